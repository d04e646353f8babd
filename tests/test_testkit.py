"""The test kit plugin authors use (portal.testing, a pytest plugin): a portal with only
the plugins a test names, loud when a named plugin is missing or broken."""

from pathlib import Path

import pytest

from portal.plugins import PluginError
from portal.testing import section_pages

ACME = {
    "portal_acme/__init__.py": """
        def includeme(config):
            config.add_portal_section("acme", title="Acme", content="portal_acme:content")
    """,
    "portal_acme/content/index.md": "---\ntitle: Acme home\n---\nLanding.\n",
    "portal_acme/content/second.md": "---\ntitle: Second\norder: 2\n---\nTwo.\n",
    "portal_acme/content/first.md": "---\ntitle: First\norder: 1\n---\nOne.\n",
    "portal_acme/content/more/index.md": "---\ntitle: More\norder: 3\n---\nMore.\n",
    "portal_acme/content/more/deep.md": "---\ntitle: Deep & low\n---\nDeep.\n",
}


def test_section_pages_lists_the_landing_and_every_page_in_reading_order(installed_plugin, portal_app_factory):
    installed_plugin("acme", ACME)
    app = portal_app_factory(plugins=["acme"], strict=True)
    pages = section_pages(app, "acme")
    assert pages == [("/acme/", "Acme"), ("/acme/first/", "First"), ("/acme/second/", "Second"),
                     ("/acme/more/", "More"), ("/acme/more/deep/", "Deep & low")]
    for path, title in pages:
        assert title in app.get(path).html.title.get_text()


def test_naming_a_plugin_that_is_not_installed_is_an_error_not_an_empty_portal(installed_plugin, portal_app_factory):
    installed_plugin("acme", ACME)
    with pytest.raises(LookupError) as exc:
        portal_app_factory(plugins=["acme", "acmee"])
    assert "no installed plugin is named 'acmee'" in str(exc.value)
    assert "acme" in str(exc.value).split("installed:")[1]


def test_strict_makes_a_load_failure_raise_with_the_portal_s_message(installed_plugin, portal_app_factory):
    installed_plugin("acme", {**ACME, "portal_acme/content/first.md": "---\norder: one\n---\n"})
    with pytest.raises(PluginError, match=r"first.md:2: invalid front matter: 'order' must be int"):
        portal_app_factory(plugins=["acme"], strict=True)
    # Without strict the portal starts and the section is missing, with the reason.
    app = portal_app_factory(plugins=["acme"])
    with pytest.raises(LookupError, match=r"no section 'acme'.*plugin 'acme' \(portal-acme 1.0\): includeme failed"):
        section_pages(app, "acme")


def test_assert_pages_render_lists_every_page_that_does_not_and_every_located_problem(
    installed_plugin, portal_app_factory
):
    from portal.testing import assert_pages_render

    installed_plugin("acme", {**ACME, "portal_acme/content/first.md": "---\ntitle: First\nsumary: x\n---\n"
                                                                      "See [nothing](nothing.md).\n"})
    app = portal_app_factory(plugins=["acme"], strict=True)
    with pytest.raises(AssertionError) as exc:
        assert_pages_render(app, "acme")
    lines = str(exc.value).splitlines()
    assert lines[0] == "section 'acme':"
    assert sorted(line.split(": ", 1)[1] for line in lines[1:]) == [
        "broken link 'nothing.md': no page nothing.md",
        "unknown front matter key 'sumary' (did you mean 'summary'?)",
    ]
    assert_pages_render(app, "acme", warnings=False)  # the pages themselves answer


def test_assert_runnable_blocks_run_names_each_block_that_fails(installed_plugin, portal_app_factory):
    from portal.testing import assert_runnable_blocks_run, runnable_blocks

    installed_plugin("acme", {**ACME, "portal_acme/content/first.md": (
        "---\ntitle: First\n---\n"
        "```python runnable\nassert sum([1, 2]) == 3\n```\n\n"       # line 4: runs
        "```python runnable\nassert 'banana'.count('a') == 2\n```\n\n"  # line 8: fails
        "```python\nnever_run()\n```\n")})
    app = portal_app_factory(plugins=["acme"], strict=True)
    blocks = runnable_blocks(app, "acme")
    assert [(Path(f).name, line) for f, line, _ in blocks] == [("first.md", 4), ("first.md", 8)]
    with pytest.raises(AssertionError) as exc:
        assert_runnable_blocks_run(app, "acme")
    (failure,) = str(exc.value).splitlines()[1:]
    assert failure.endswith("first.md:8: exited 1: AssertionError")


def test_log_in_moderator_shows_the_details_of_the_plugins_page(installed_plugin, portal_app_factory):
    from portal.testing import log_in_moderator

    installed_plugin("acme", {**ACME, "portal_acme/content/first.md": "---\norder: one\n---\n"})
    app = portal_app_factory(plugins=["acme"])
    entry = app.get("/-/plugins.json").json["plugins"][0]
    assert "error_at" not in entry
    log_in_moderator(app)
    entry = app.get("/-/plugins.json").json["plugins"][0]
    assert entry["error_at"].endswith("first.md:2")
    log_in_moderator(app)  # twice is fine: the moderator exists already
