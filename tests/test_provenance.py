"""Provenance and compatibility: ``/-/plugins.json`` says what each plugin registered and
where (module:line, from the configuration actions Pyramid recorded), who owns a contested
section, and which plugin API versions the core speaks and each plugin declares."""

import textwrap

import pytest

from portal.testing import log_in_moderator

RICH = {
    "portal_rich/__init__.py": '''
        from portal.events import PageRendered
        from portal.resources import Page, Section

        def badge(event):
            event.value["rich_badge"] = "rich"

        def stats(context, request):
            return {"pages": len(context.section.documents)}

        def includeme(config):
            config.add_portal_section("rich", title="Rich", content="portal_rich:content")
            config.add_portal_static("portal_rich:static")
            config.add_portal_templates("portal_rich:templates")
            config.add_view(stats, context=Section, name="stats", renderer="json", section="rich")
            config.add_subscriber(badge, PageRendered)
            config.scan(".views")
    ''',
    "portal_rich/views.py": '''
        from pyramid.view import view_config

        from portal.resources import Page


        @view_config(context=Page, name="print", renderer="string", section="rich")
        def printable(context, request):
            return context.doc.title
    ''',
    "portal_rich/content/index.md": "# Rich\n\nLanding.\n",
    "portal_rich/content/page.md": "# Rich page\n",
    "portal_rich/static/rich.css": "main { color: teal; }\n",
    "portal_rich/templates/_nav.jinja2": '{% macro tree(node, current) %}<p id="rich-nav">nav</p>{% endmacro %}\n',
    "portal_rich/templates/rich/box.jinja2": "<div>{{ text }}</div>\n",
}


def plugins_json(app):
    """``/-/plugins.json`` as a moderator sees it (strangers get no paths or locations)."""
    log_in_moderator(app)
    return app.get("/-/plugins.json").json


def entry(app, name):
    return next(p for p in plugins_json(app)["plugins"] if p["name"] == name)


def test_plugins_json_lists_what_a_plugin_registered_and_where(installed_plugin, portal_app_factory):
    installed_plugin("rich", RICH)
    app = portal_app_factory(plugins=["rich"], strict=True)
    registered = entry(app, "rich")["registered"]
    where = {(r["kind"], r.get("callable") or r["name"]): r["where"] for r in registered}
    assert where == {
        ("section", "rich"): "portal_rich:12",
        ("static", "/-/static/rich/"): "portal_rich:13",
        ("templates", "portal_rich:templates"): "portal_rich:14",
        ("view", "portal_rich.stats"): "portal_rich:15",
        ("subscriber", "portal_rich.badge"): "portal_rich:16",
        ("view", "portal_rich.views.printable"): "portal_rich.views:7",
    }
    by_kind = {r["kind"]: r for r in registered if r["kind"] != "view"}
    assert by_kind["templates"]["overrides"] == ["_nav.jinja2"]  # rich/box.jinja2 is its own
    assert by_kind["templates"]["templates"] == ["_nav.jinja2", "rich/box.jinja2"]
    assert by_kind["subscriber"]["events"] == ["portal.events.PageRendered"]
    assert by_kind["section"]["content"] == "portal_rich:content"
    stats = next(r for r in registered if r.get("callable") == "portal_rich.stats")
    assert (stats["context"], stats["name"]) == ("portal.resources.Section", "stats")
    assert all(r["file"].endswith((".py",)) and r["line"] > 0 for r in registered)
    # What it registered works: the views answer on its section only.
    assert app.get("/rich/@@stats").json == {"pages": 2}
    assert app.get("/rich/page/@@print").text == "Rich page"
    # The HTML list shows the same, in a disclosure per plugin.
    html = app.get("/-/plugins").text
    assert "What it registered" in html and "portal_rich.views:7" in html


def test_the_core_gives_its_plugin_api_version_and_each_plugin_its_own(installed_plugin, portal_app_factory):
    installed_plugin("plain", {
        "portal_plain/__init__.py": "def includeme(config):\n    pass\n",
    })
    installed_plugin("declared", {
        "portal_declared/__init__.py": "PORTAL_API = (1, 2)\n\ndef includeme(config):\n    pass\n",
    })
    app = portal_app_factory(plugins=["plain", "declared"])
    listing = plugins_json(app)
    assert listing["api_version"] == 1 and listing["api_versions"] == [1]
    assert entry(app, "plain")["api"] == [1]  # nothing declared: version 1
    assert entry(app, "declared")["api"] == [1, 2]
    assert entry(app, "declared")["status"] == "loaded"


@pytest.mark.parametrize("declared, message", [
    ("2", "supports plugin API version 2, but this portal speaks version 1"),
    ("(2, 3)", "supports plugin API version 2, 3, but this portal speaks version 1"),
    ("'one'", "PORTAL_API must be a version number, a contract such as '1.2', or a tuple of them, "
              "such as PORTAL_API = (1,); got 'one'"),
    ("'1.3'", "needs plugin contract 1.3, but this portal implements contract 1.2"),
])
def test_a_plugin_for_another_api_version_fails_naming_the_versions_the_core_speaks(
    declared, message, installed_plugin, portal_app_factory
):
    installed_plugin("future", {
        "portal_future/__init__.py": f'"""A plugin."""\nPORTAL_API = {declared}\n\ndef includeme(config):\n    pass\n',
    })
    app = portal_app_factory(plugins=["future"])
    future = entry(app, "future")
    assert future["status"] == "failed"
    assert message in future["error"]
    assert future["error_at"].endswith("portal_future/__init__.py:2")


def test_the_api_version_of_an_entry_point_function_is_read_from_its_module(installed_plugin, portal_app_factory):
    installed_plugin("fn", {
        "portal_fn/__init__.py": "PORTAL_API = 7\n\ndef setup_portal(config):\n    pass\n",
    }, entry_point="portal_fn:setup_portal")
    app = portal_app_factory(plugins=["fn"])
    assert "supports plugin API version 7" in entry(app, "fn")["error"]


def section_plugin(name, section):
    return {
        f"portal_{name}/__init__.py": textwrap.dedent(f"""
            def includeme(config):
                config.add_portal_section({section!r}, title={name.title()!r}, content="portal_{name}:content")
        """),
        f"portal_{name}/content/index.md": f"# {name.title()}\n\nLanding of {name}.\n",
    }


def test_a_contested_section_fails_both_plugins_each_pointing_at_its_own_claim(installed_plugin, portal_app_factory):
    installed_plugin("one", section_plugin("one", "shared"))
    installed_plugin("two", section_plugin("two", "shared"))
    app = portal_app_factory(plugins=["one", "two"])
    for name, other in (("one", "two"), ("two", "one")):
        plugin = entry(app, name)
        assert plugin["status"] == "failed" and plugin["registered"] == []
        assert f"also claimed by plugin '{other}' (portal-{other} 1.0)" in plugin["error"]
        assert plugin["error_at"].endswith(f"portal_{name}/__init__.py:3")
    app.get("/shared/", status=404)


def test_the_owner_chosen_by_the_site_registers_the_section_and_the_other_keeps_the_rest(
    installed_plugin, portal_app_factory
):
    installed_plugin("one", section_plugin("one", "shared"))
    two = section_plugin("two", "shared")
    two["portal_two/__init__.py"] += '    config.add_portal_section("extra", title="Extra", content="portal_two:content")\n'
    installed_plugin("two", two)
    app = portal_app_factory(plugins=["one", "two"], strict=True, **{"portal.plugins.owners": "shared=one"})
    one, two = entry(app, "one"), entry(app, "two")
    assert [(r["kind"], r["name"]) for r in one["registered"]] == [("section", "shared")]
    assert [(r["kind"], r["name"]) for r in two["registered"]] == [("section", "extra")]
    assert two["notes"] == ["section 'shared' given to plugin 'one' by portal.plugins.owners"]
    assert "Landing of one." in app.get("/shared/").text
    assert "Landing of two." in app.get("/extra/").text
