"""Content correctness (contract 1.1): two pages with one URL fail the plugin naming both
files; unknown front matter keys, missing static files, files the content folder cannot
serve, a ``section=`` value naming no section and a renderer that does not exist are each
a located problem from ``portal plugin check`` and on ``/-/plugins``; Markdown links to a
plugin's static files get the cache-busting URL."""

import hashlib
import html
import re
from urllib.parse import urljoin

import pytest

from portal.ops.cli import main as portal_command
from portal.testing import log_in_moderator

SECTION = """
    def includeme(config):
        config.add_portal_section("acme", title="Acme", content="portal_acme:content")
        config.add_portal_static("portal_acme:static")
"""
LOGO = "<svg xmlns='http://www.w3.org/2000/svg'/>\n"


def acme(**files):
    result = {
        "portal_acme/__init__.py": SECTION,
        "portal_acme/content/index.md": "---\ntitle: Acme\n---\nLanding.\n",
        "portal_acme/static/logo.svg": LOGO,
    }
    result.update(files)
    return result


@pytest.fixture
def site_ini(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "site.ini"
    path.write_text("[app:main]\nuse = egg:backend-portal\n"
                    f"sqlalchemy.url = sqlite:///{tmp_path / 'portal.sqlite'}\n"
                    "portal.plugins.only = acme\n", encoding="utf-8")
    return str(path)


def check(capsys, ini):
    status = portal_command(["plugin", "check", ini, "acme"])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def content_of(tmp_path):
    (site,) = tmp_path.glob("site-*")
    return site / "portal_acme" / "content"


def moderator_entry(app):
    log_in_moderator(app)
    return next(p for p in app.get("/-/plugins.json").json["plugins"] if p["name"] == "acme")


def test_two_pages_with_one_url_fail_the_plugin_naming_both_files(
    installed_plugin, portal_app_factory, site_ini, capsys, tmp_path
):
    installed_plugin("acme", acme(**{
        "portal_acme/content/routing.md": "# Routing, the page\n",
        "portal_acme/content/routing/index.md": "# Routing, the folder\n",
        "portal_acme/content/routing/deep.md": "# Deep\n",
    }))
    content = content_of(tmp_path)
    message = (f"{content}/routing.md and {content}/routing/index.md are both the page /acme/routing/: "
               "rename or remove one")
    status, out, _ = check(capsys, site_ini)
    assert status == 1
    assert out == [f"{content}/routing.md:1: plugin 'acme' (portal-acme 1.0): {message}"]
    app = portal_app_factory(plugins=["acme"])
    failed = moderator_entry(app)
    assert failed["status"] == "failed" and message in failed["error"]
    assert failed["problems"][0]["file"] == f"{content}/routing.md"
    app.get("/acme/routing/deep/", status=404)


def test_unknown_front_matter_keys_are_located_problems(installed_plugin, portal_app_factory, site_ini,
                                                        capsys, tmp_path):
    installed_plugin("acme", acme(**{
        "portal_acme/content/page.md": "---\ntitle: Page\nsumary: A typo.\nx-acme-release: 3\n"
                                       "keywords: [a]\ntested_with: {python: '3.12'}\n---\nText.\n",
    }))
    problem = (f"{content_of(tmp_path)}/page.md:3: unknown front matter key 'sumary' "
               "(did you mean 'summary'?)")
    status, out, _ = check(capsys, site_ini)
    assert (status, out) == (1, [problem])  # x-acme-release is the plugin's own: not reported
    app = portal_app_factory(plugins=["acme"])
    assert app.get("/acme/page/").status_int == 200  # a warning, not a failure
    public = next(p for p in app.get("/-/plugins.json").json["plugins"] if p["name"] == "acme")
    assert public["warnings_count"] == 1 and "warnings" not in public
    assert [w["text"] for w in moderator_entry(app)["warnings"]] == [problem]
    assert problem in html.unescape(app.get("/-/plugins").text)


def test_links_to_static_files_get_the_cache_busting_url_and_a_missing_one_is_located(
    installed_plugin, portal_app_factory, site_ini, capsys, tmp_path
):
    installed_plugin("acme", acme(**{
        "portal_acme/content/page.md": "---\ntitle: Page\n---\n"
                                       "![The logo](/-/static/acme/logo.svg)\n\n"      # line 4
                                       "![Gone](/-/static/acme/diagram.png)\n\n"       # line 6
                                       "[Config](/-/static/acmee/acme.toml)\n",        # line 8
    }))
    content = content_of(tmp_path)
    status, out, _ = check(capsys, site_ini)
    assert status == 1
    assert out[0] == (f"{content}/page.md:6: link '/-/static/acme/diagram.png': static file missing, "
                      f"no diagram.png in {content.parent / 'static'}")
    assert out[1].startswith(f"{content}/page.md:8: link '/-/static/acmee/acme.toml': no static folder "
                             "is served at /-/static/acmee/ here (")
    app = portal_app_factory(plugins=["acme"])
    page = app.get("/acme/page/")
    src = page.html.find("img", alt="The logo")["src"]
    token = hashlib.blake2b(LOGO.encode(), digest_size=6).hexdigest()
    assert src == f"../../-/static/acme/logo.svg?v={token}"
    served = app.get(urljoin("http://localhost/acme/page/", src))
    assert served.body == LOGO.encode() and served.cache_control.max_age == 31536000
    assert len(moderator_entry(app)["warnings"]) == 2


def test_files_the_content_folder_cannot_serve_are_located_problems(installed_plugin, site_ini, capsys,
                                                                    tmp_path):
    installed_plugin("acme", acme(**{
        "portal_acme/content/page.md": "---\ntitle: Page\n---\n![A diagram](diagram.png)\n\n"
                                       "[The config](files/acme.toml)\n",
        "portal_acme/content/diagram.png": "not really a png",
        "portal_acme/content/files/acme.toml": "x = 1\n",
        "portal_acme/content/drafts/later.md": "# Later\n",
    }))
    content = content_of(tmp_path)
    status, out, _ = check(capsys, site_ini)
    assert status == 1
    hint = ("content folders hold Markdown pages only; put static files in the plugin's static folder "
            "(config.add_portal_static) and link them as /-/static/<name>/...")
    assert sorted(out) == sorted([
        f"{content}/diagram.png:1: diagram.png is not served: {hint}",
        f"{content}/drafts/later.md:1: folder drafts/ has 1 Markdown page but no index.md, so none is "
        "served: add drafts/index.md",
        f"{content}/files/acme.toml:1: folder files/ is not served: {hint}",
        f"{content}/page.md:4: image 'diagram.png' is not served: {hint}",
        f"{content}/page.md:6: link 'files/acme.toml' is not to a page: {hint}",
    ])


VIEWS = """
    from portal.resources import Page, Section

    def stats(context, request):
        return {"pages": 1}

    def printable(context, request):
        return {"page": context}

    def includeme(config):
        config.add_portal_section("acme", title="Acme", content="portal_acme:content")
        config.add_view(stats, context=Section, name="stats", section="acmee", renderer="json")
        config.add_view(printable, context=Page, name="print", section="acme",
                        renderer="portal_acme:templates/print.jinja2")
        config.add_view(stats, context=Section, name="count", section="acme", renderer="jsno")
"""


def test_a_bad_section_value_and_a_missing_renderer_are_located_problems(
    installed_plugin, portal_app_factory, site_ini, capsys, tmp_path
):
    installed_plugin("acme", acme(**{"portal_acme/__init__.py": VIEWS}))
    init = content_of(tmp_path).parent / "__init__.py"
    status, out, _ = check(capsys, site_ini)
    assert status == 1
    assert out == [
        f"{init}:12: view portal_acme.stats @@stats: section='acmee' is not a section of plugin 'acme' "
        "(portal-acme 1.0) (it declares: acme) nor of any plugin installed here, so the view never matches",
        f"{init}:13: view portal_acme.printable @@print: template "
        "'portal_acme:templates/print.jinja2' of its renderer does not exist",
        f"{init}:15: view portal_acme.stats @@count: renderer 'jsno' is not known to this portal "
        "(use 'json', 'string' or a template name ending in .jinja2)",
    ]
    app = portal_app_factory(plugins=["acme"])
    warnings = [w["text"] for w in moderator_entry(app)["warnings"]]
    assert warnings == out
    assert re.search(r"3 content warnings", " ".join(app.get("/-/plugins").text.split()))
