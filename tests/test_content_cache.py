"""Parsed content kept on disk between starts (portal.content.cache_dir): a start with the
same files loads each folder from the cache instead of parsing it, serves the same pages
(the plugin host's finishing touches included), keeps the located problems, and a changed
file is parsed again."""

import pytest

from portal.content import loader

PLUGIN = {
    "portal_cached/__init__.py": """
        def includeme(config):
            config.add_portal_section("cached", title="Cached", content="portal_cached:content")
            config.add_portal_static("portal_cached:static")
    """,
    "portal_cached/static/diagram.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "portal_cached/content/index.md": "# Cached\n\nSee [the page](page.md).\n",
    "portal_cached/content/page.md": (
        "---\ntitle: A page\nsumary: a typo the checks report\n---\n\n"
        "![A diagram](/-/static/cached/diagram.svg)\n\n```python\nprint('hello')\n```\n"),
}


@pytest.fixture
def fresh_start(portal_app_factory, tmp_path):
    """``fresh_start()``: the portal as a new process would build it, with a cache dir."""
    cache = tmp_path / "content-cache"

    def start():
        loader._RENDERED.clear()  # what a new process starts without
        return portal_app_factory(plugins=["cached"], **{"portal.content.cache_dir": str(cache)})

    return start, cache


def test_a_second_start_loads_the_folder_from_the_cache(installed_plugin, fresh_start, monkeypatch):
    installed_plugin("cached", PLUGIN)
    start, cache = fresh_start
    first = start().get("/cached/page/")
    assert len(list(cache.glob("*/tree.pickle"))) == 1
    assert "?v=" in first.html.find("img")["src"]  # the static file's version

    def no_parsing(self):
        raise AssertionError("parsed again although the cache holds the folder")

    monkeypatch.setattr(loader.FolderLoader, "load", no_parsing)
    second = start().get("/cached/page/")
    assert second.body == first.body


def test_cached_pages_keep_their_problems(installed_plugin, fresh_start):
    installed_plugin("cached", PLUGIN)
    start, _ = fresh_start
    start()
    app = start()
    [doc] = [d for d in app.app.registry.portal_root["cached"].documents if d.path == ("page",)]
    assert any("sumary" in problem for problem in doc.warnings)


def test_a_changed_file_is_parsed_again(installed_plugin, fresh_start, tmp_path):
    module = installed_plugin("cached", PLUGIN)
    start, cache = fresh_start
    assert "hello" in start().get("/cached/page/").text
    page = next(p for p in tmp_path.rglob("page.md") if module in str(p))
    page.write_text(page.read_text().replace("hello", "changed"), encoding="utf-8")
    assert "changed" in start().get("/cached/page/").text
    assert len(list(cache.glob("*/tree.pickle"))) == 2  # the old one is never read again
