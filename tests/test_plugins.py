"""Plugin loading, contract version 1: every failure mode leaves the rest of the portal serving.

Each plugin here is a real installed distribution (a dist-info with entry_points.txt on
sys.path, through the ``installed_plugin`` fixture), found by the portal the way pip-installed
plugins are.
"""

import logging

import pytest

from portal.plugins import PluginError
from portal.testing import log_in_moderator

GOOD = {
    "portal_good/__init__.py": """
        def includeme(config):
            config.add_portal_section(
                "good", title="Good", content="portal_good:content",
                summary="The section that always works.", order=10)
    """,
    "portal_good/content/index.md": "---\ntitle: Good\nsummary: Landing.\n---\nHello from good.\n",
    "portal_good/content/page.md": "---\ntitle: A page\nsummary: A page.\n---\n## Part\n\nText.\n",
}


def section_plugin(name, section=None, extra="", files=None, content=True):
    """Files of a plugin declaring one section (``section``, default ``name``)."""
    module = "portal_" + name.replace("-", "_")
    section = section or name
    result = {
        f"{module}/__init__.py": f"""
            {extra}
            def includeme(config):
                config.add_portal_section(
                    {section!r}, title={name.title()!r}, content="{module}:content",
                    summary="Summary of {name}.", order=20)
        """,
    }
    if content:
        result[f"{module}/content/index.md"] = f"# {name.title()}\n\nLanding of {name}.\n"
    result.update(files or {})
    return result


@pytest.fixture
def good(installed_plugin):
    installed_plugin("good", GOOD)


def plugins_by_name(app):
    """``/-/plugins.json`` as a moderator sees it (errors and locations included)."""
    log_in_moderator(app)
    return {p["name"]: p for p in app.get("/-/plugins.json").json["plugins"]}


def assert_good_still_serves(app):
    assert "Hello from good." in app.get("/good/").text
    assert app.get("/good/page/").status_int == 200
    assert 'href="http://localhost/good/"' in app.get("/").text


def test_a_loaded_plugin_is_listed_with_the_fields_of_the_contract(good, portal_app_factory):
    app = portal_app_factory(plugins=["good"])
    entry = plugins_by_name(app)["good"]
    assert {k: entry[k] for k in ("name", "version", "distribution", "status", "error", "sections")} == {
        "name": "good",
        "version": "1.0",
        "distribution": "portal-good",
        "status": "loaded",
        "error": None,
        "sections": ["good"],
    }
    assert_good_still_serves(app)


FAILURES = {
    "import error": (
        section_plugin("broken", extra="import no_such_module_anywhere"),
        "cannot be imported (portal_broken): ModuleNotFoundError: No module named 'no_such_module_anywhere'",
    ),
    "exception in includeme": (
        {"portal_broken/__init__.py": "def includeme(config):\n    raise RuntimeError('database of widgets is empty')\n"},
        "includeme failed: RuntimeError: database of widgets is empty",
    ),
    "no includeme": (
        {"portal_broken/__init__.py": "X = 1\n"},
        "portal_broken has no includeme(config) function",
    ),
    "missing content folder": (
        section_plugin("broken", content=False),
        "section 'broken': content folder",
    ),
    "unreadable content": (
        section_plugin("broken", files={"portal_broken/content/bad.md": None}),
        "cannot be read",
    ),
    "invalid front matter": (
        section_plugin("broken", files={"portal_broken/content/bad.md": "---\ntitle: [oops\n---\n# B\n"}),
        "invalid front matter",
    ),
    "invalid section name": (
        section_plugin("broken", section="Not Valid"),
        "section name 'Not Valid' is not a URL segment",
    ),
    "reserved section name": (
        section_plugin("broken", section="api"),
        "section name 'api' is reserved",
    ),
    "unsupported API version": (
        section_plugin("broken", extra="PORTAL_API = (2, 3)"),
        "supports plugin API version 2, 3, but this portal speaks version 1",
    ),
}


def install_failure(installed_plugin, tmp_path, kind):
    files, _ = FAILURES[kind]
    files = dict(files)
    if files.get("portal_broken/content/bad.md", "") is None:
        del files["portal_broken/content/bad.md"]
        installed_plugin("broken", files)
        bad = next(p for p in tmp_path.glob("site-*/portal_broken/content"))
        (bad / "bad.md").write_bytes(b"# Caf\xe9 \xff\n")
    else:
        installed_plugin("broken", files)


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_a_failing_plugin_is_listed_failed_and_the_rest_serves(
    kind, good, installed_plugin, tmp_path, portal_app_factory, caplog
):
    install_failure(installed_plugin, tmp_path, kind)
    with caplog.at_level(logging.ERROR, logger="portal.plugins"):
        app = portal_app_factory(plugins=["good", "broken"])
    broken = plugins_by_name(app)["broken"]
    assert broken["status"] == "failed"
    assert FAILURES[kind][1] in broken["error"]
    assert broken["sections"] == []
    assert_good_still_serves(app)
    app.get("/broken/", status=404)
    # One log line naming the plugin, its distribution and the cause.
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("portal.plugins")]
    assert len(lines) == 1
    assert lines[0].startswith("plugin 'broken' (portal-broken 1.0): ")
    assert "\n" not in lines[0]
    # The HTML list shows it too, in the site layout.
    html = app.get("/-/plugins").text
    assert 'class="status status--failed">failed' in html
    assert "Skip to content" in html


@pytest.mark.parametrize("kind", ["exception in includeme", "invalid front matter"])
def test_strict_mode_makes_a_failure_fatal_with_the_same_message(
    kind, good, installed_plugin, tmp_path, portal_app_factory
):
    install_failure(installed_plugin, tmp_path, kind)
    with pytest.raises(PluginError) as exc:
        portal_app_factory(plugins=["good", "broken"], **{"portal.plugins.strict": "true"})
    assert str(exc.value).startswith("plugin 'broken' (portal-broken 1.0): ")
    assert FAILURES[kind][1] in str(exc.value)


def test_a_failed_includeme_leaves_nothing_half_registered(good, installed_plugin, portal_app_factory):
    installed_plugin("half", {
        "portal_half/__init__.py": """
            def includeme(config):
                config.add_portal_section("half", title="Half", content="portal_half:content")
                raise ValueError("second step failed")
        """,
        "portal_half/content/index.md": "# Half\n",
    })
    app = portal_app_factory(plugins=["good", "half"])
    assert plugins_by_name(app)["half"]["status"] == "failed"
    app.get("/half/", status=404)
    assert "Half" not in app.get("/").text


def test_two_plugins_claiming_one_section_both_fail_naming_each_other(
    good, installed_plugin, portal_app_factory
):
    installed_plugin("one", section_plugin("one", section="shared"))
    installed_plugin("two", section_plugin("two", section="shared"))
    app = portal_app_factory(plugins=["good", "one", "two"])
    plugins = plugins_by_name(app)
    for name, other in (("one", "two"), ("two", "one")):
        assert plugins[name]["status"] == "failed"
        error = plugins[name]["error"]
        assert f"section 'shared' is also claimed by plugin '{other}' (portal-{other} 1.0)" in error
        assert "portal_one/__init__.py:" in error and "portal_two/__init__.py:" in error
    app.get("/shared/", status=404)
    assert_good_still_serves(app)


def test_the_site_can_choose_the_owner_of_a_contested_section(good, installed_plugin, portal_app_factory):
    installed_plugin("one", section_plugin("one", section="shared"))
    installed_plugin("two", section_plugin("two", section="shared"))
    app = portal_app_factory(plugins=["good", "one", "two"], **{"portal.plugins.owners": "shared=two"})
    plugins = plugins_by_name(app)
    assert plugins["two"]["status"] == "loaded" and plugins["two"]["sections"] == ["shared"]
    assert plugins["one"]["status"] == "loaded" and plugins["one"]["sections"] == []
    assert "given to plugin 'two'" in plugins["one"]["notes"][0]
    assert "Landing of two." in app.get("/shared/").text


def test_disabled_plugins_are_listed_and_not_loaded(good, installed_plugin, portal_app_factory):
    installed_plugin("extra", section_plugin("extra"))
    app = portal_app_factory(plugins=["good", "extra"], **{"portal.plugins.disabled": "extra"})
    extra = plugins_by_name(app)["extra"]
    assert extra["status"] == "disabled" and extra["error"] is None and extra["sections"] == []
    app.get("/extra/", status=404)
    assert_good_still_serves(app)


def test_disabling_through_the_environment_of_a_deployment(good, installed_plugin, portal_settings,
                                                           monkeypatch):
    """The paste entry point (what pserve and the container run) reads the environment."""
    import webtest

    from portal import main

    installed_plugin("extra", section_plugin("extra"))
    settings = {**portal_settings, "portal.plugins.only": "good extra"}

    def statuses(app):
        return {p["name"]: p["status"] for p in app.get("/-/plugins.json").json["plugins"]
                if p["name"] in ("good", "extra")}

    assert statuses(webtest.TestApp(main({}, **settings))) == {"good": "loaded", "extra": "loaded"}
    monkeypatch.setenv("PORTAL_PLUGINS_DISABLED", "extra good")
    app = webtest.TestApp(main({}, **settings))
    assert statuses(app) == {"good": "disabled", "extra": "disabled"}


def test_the_test_kit_never_reads_the_shell_environment(good, installed_plugin, portal_app_factory,
                                                       monkeypatch, tmp_path):
    """A plugin author with DATABASE_URL or PORTAL_PLUGINS_ONLY exported in their shell gets
    the portal their test asked for, writing into the test's own database."""
    installed_plugin("extra", section_plugin("extra"))
    elsewhere = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{elsewhere}")
    monkeypatch.setenv("PORTAL_PLUGINS_ONLY", "good")
    monkeypatch.setenv("PORTAL_PLUGINS_DISABLED", "extra")
    app = portal_app_factory(plugins=["extra"])
    assert app.get("/extra/").status_code == 200
    statuses = {p["name"]: p["status"] for p in app.get("/-/plugins.json").json["plugins"]}
    assert statuses["extra"] == "loaded" and statuses["good"] == "disabled"
    app.app.registry["dbengine"].dispose()
    assert not elsewhere.exists()
    assert str(app.app.registry["dbengine"].url) == app.app.registry.settings["sqlalchemy.url"]
    assert "elsewhere" not in app.app.registry.settings["sqlalchemy.url"]


def test_an_entry_point_naming_a_function(installed_plugin, portal_app_factory):
    installed_plugin("fn", {
        "portal_fn/__init__.py": """
            def setup_portal(config):
                config.add_portal_section("fn", title="Fn", content="portal_fn:content")
        """,
        "portal_fn/content/index.md": "# Fn\n\nBy function.\n",
    }, entry_point="portal_fn:setup_portal")
    app = portal_app_factory(plugins=["fn"])
    assert "By function." in app.get("/fn/").text


def test_plugin_static_files_and_template_overrides(installed_plugin, portal_app_factory):
    installed_plugin("themed", {
        "portal_themed/__init__.py": """
            def includeme(config):
                config.add_portal_section("themed", title="Themed", content="portal_themed:content")
                config.add_portal_static("portal_themed:static")
                config.add_portal_templates("portal_themed:templates")
        """,
        "portal_themed/content/index.md": "# Themed\n",
        "portal_themed/static/themed.css": "body { color: teal; }\n",
        "portal_themed/templates/home.jinja2": """
            {% extends "portal:templates/home.jinja2" %}
            {% block home_extra %}<p id="themed">Brought to you by a plugin.</p>{% endblock %}
        """,
    })
    app = portal_app_factory(plugins=["themed"])
    assert app.get("/-/static/themed/themed.css").text == "body { color: teal; }\n"
    home = app.get("/").text
    assert '<p id="themed">Brought to you by a plugin.</p>' in home
    assert 'href="http://localhost/themed/"' in home  # the core's blocks still render
    entry = plugins_by_name(app)["themed"]
    assert entry["static"] == ["/-/static/themed/"]
    assert entry["templates"] == ["home.jinja2"]


def test_a_subscriber_to_page_rendered_can_add_to_a_page(installed_plugin, portal_app_factory):
    installed_plugin("listener", {
        "portal_listener/__init__.py": """
            from portal.events import PageRendered

            def add_banner(event):
                event.value["doc_banner"] = "seen " + event.context.key

            def includeme(config):
                config.add_portal_section("listener", title="L", content="portal_listener:content")
                config.add_portal_templates("portal_listener:templates")
                config.add_subscriber(add_banner, PageRendered)
        """,
        "portal_listener/content/index.md": "# L\n",
        "portal_listener/templates/page.jinja2": """
            {% extends "portal:templates/page.jinja2" %}
            {% block doc_tools %}<p id="banner">{{ doc_banner }}</p>{% endblock %}
        """,
    })
    app = portal_app_factory(plugins=["listener"])
    assert '<p id="banner">seen listener</p>' in app.get("/listener/").text


# A failed plugin keeps nothing it registered (contract 1.1) ------------------------------

HALF_WAY = {
    "portal_half/__init__.py": """
        from portal.events import PageRendered

        def shout(event):
            event.value["doc_banner"] = "half was here"

        def view(context, request):
            return {}

        def includeme(config):
            config.add_portal_setting("half.colour", str, default="teal")
            config.add_portal_section("half", title="Half", content="portal_half:content")
            config.add_portal_static("portal_half:static")
            config.add_portal_templates("portal_half:templates")
            config.add_subscriber(shout, PageRendered)
            FAIL
    """,
    "portal_half/content/index.md": "# Half\n",
    "portal_half/static/half.css": "body { color: teal; }\n",
    "portal_half/templates/home.jinja2": """
        {% extends "portal:templates/home.jinja2" %}
        {% block home_extra %}<p id="half">Half's home</p>{% endblock %}
    """,
}


@pytest.mark.parametrize("when, failure, message", [
    ("in includeme", 'raise RuntimeError("half-way")', "includeme failed: RuntimeError: half-way"),
    ("at commit", 'config.add_view(view, route_name="no-such-route")',
     "configuration failed: No route named no-such-route"),
])
def test_a_failed_plugin_keeps_nothing_it_registered(when, failure, message, good, installed_plugin,
                                                     portal_app_factory):
    files = dict(HALF_WAY)
    files["portal_half/__init__.py"] = files["portal_half/__init__.py"].replace("FAIL", failure)
    installed_plugin("half", files)
    app = portal_app_factory(plugins=["good", "half"], **{"half.colour": "red"})
    for listing in (app.get("/-/plugins.json").json, plugins_by_name(app)):  # public, moderator
        half = next(p for p in listing["plugins"] if p["name"] == "half") \
            if "plugins" in listing else listing["half"]
        assert half["status"] == "failed"
        assert half["static"] == [] and half["sections"] == [] and half["settings"] == []
        assert half["contributions"] == []
    assert message in half["error"]
    assert half["registered"] == [] and half["templates"] == []
    app.get("/-/static/half/half.css", status=404)
    app.get("/half/", status=404)
    assert 'id="half"' not in app.get("/").text  # its template folder is off the path
    assert "half was here" not in app.get("/good/page/").text  # its subscriber never runs
    registry = app.app.registry
    assert registry.settings["half.colour"] == "red"  # the site's text, not a typed value
    assert not [i for i in registry.introspector.get_category("portal sections")
                if i["introspectable"].discriminator == "half"]
    assert_good_still_serves(app)


# Section ownership, remembered in the database ------------------------------------------


def test_a_newcomer_claiming_a_served_section_fails_and_the_owner_keeps_serving_across_restarts(
    installed_plugin, portal_app_factory, database_url
):
    installed_plugin("owner", section_plugin("owner", section="shared"))
    first = portal_app_factory(plugins=["owner"], **{"sqlalchemy.url": database_url})
    assert "Landing of owner." in first.get("/shared/").text  # served: its owner is recorded
    installed_plugin("newcomer", section_plugin("newcomer", section="shared"))
    for _ in range(2):  # the start after installing it, and a restart
        app = portal_app_factory(plugins=["owner", "newcomer"], **{"sqlalchemy.url": database_url})
        assert "Landing of owner." in app.get("/shared/").text
        plugins = plugins_by_name(app)
        assert plugins["owner"]["status"] == "loaded" and plugins["owner"]["sections"] == ["shared"]
        newcomer = plugins["newcomer"]
        assert newcomer["status"] == "failed"
        assert ("section 'shared' already has an owner: plugin 'owner' (portal-owner 1.0) serves it, "
                "and plugin 'newcomer' (portal-newcomer 1.0) claims it too") in newcomer["error"]
        assert "portal.plugins.owners = shared=newcomer" in newcomer["error"]
        assert newcomer["error_at"].endswith("portal_newcomer/__init__.py:4")
    # The site hands the section over; the new owner is recorded and keeps it afterwards.
    handed = portal_app_factory(plugins=["owner", "newcomer"],
                                **{"sqlalchemy.url": database_url, "portal.plugins.owners": "shared=newcomer"})
    assert "Landing of newcomer." in handed.get("/shared/").text
    assert plugins_by_name(handed)["owner"]["notes"] == [
        "section 'shared' given to plugin 'newcomer' by portal.plugins.owners"]
    later = portal_app_factory(plugins=["newcomer"], **{"sqlalchemy.url": database_url})
    assert "Landing of newcomer." in later.get("/shared/").text
    for app in (first, handed, later):
        app.app.registry["dbengine"].dispose()


def test_with_no_owner_recorded_two_claimants_both_fail_and_the_error_says_why(
    good, installed_plugin, portal_app_factory
):
    installed_plugin("one", section_plugin("one", section="shared"))
    installed_plugin("two", section_plugin("two", section="shared"))
    app = portal_app_factory(plugins=["good", "one", "two"])
    plugins = plugins_by_name(app)
    for name in ("one", "two"):
        assert "No owner is recorded for it yet." in plugins[name]["error"]
    # Nothing was recorded either: installing only one of them later serves it.
    app = portal_app_factory(plugins=["good", "two"])
    assert "Landing of two." in app.get("/shared/").text


def test_a_section_whose_owner_is_not_loaded_is_not_taken_by_another_plugin(
    installed_plugin, portal_app_factory
):
    """The owner failing (or being disabled) one day must not hand its section to whoever
    else claims it: only the site's setting does."""
    installed_plugin("owner", section_plugin("owner", section="shared"))
    portal_app_factory(plugins=["owner"])
    installed_plugin("newcomer", section_plugin("newcomer", section="shared"))
    app = portal_app_factory(plugins=["newcomer"])
    app.get("/shared/", status=404)
    error = plugins_by_name(app)["newcomer"]["error"]
    assert "it belongs to plugin 'owner' (portal-owner), which is not loaded here" in error


# What strangers see of /-/plugins ------------------------------------------------------

CONTRACT_1_0_FIELDS = {"name", "version", "distribution", "status", "error", "error_at", "sections",
                       "entry_point", "api", "static", "templates", "notes", "registered", "failures",
                       "last_failure", "switched_off"}


def test_strangers_get_names_versions_states_and_sections_and_no_paths(
    good, installed_plugin, tmp_path, portal_app_factory
):
    install_failure(installed_plugin, tmp_path, "invalid front matter")
    app = portal_app_factory(plugins=["good", "broken"])
    public = app.get("/-/plugins.json")
    assert str(tmp_path) not in public.text and "site-packages" not in public.text
    assert public.json["details"] == "public"
    broken = next(p for p in public.json["plugins"] if p["name"] == "broken")
    assert (broken["status"], broken["version"], broken["sections"]) == ("failed", "1.0", [])
    assert "invalid front matter" not in broken["error"] and "moderators" in broken["error"]
    assert not {"error_at", "registered", "problems", "warnings", "last_failure", "location"} & set(broken)
    html = app.get("/-/plugins").text
    assert str(tmp_path) not in html and "invalid front matter" not in html
    # A moderator gets every field /-/plugins.json had in contract 1.0, and more.
    log_in_moderator(app)
    full = app.get("/-/plugins.json").json
    assert full["details"] == "moderator"
    broken = next(p for p in full["plugins"] if p["name"] == "broken")
    assert CONTRACT_1_0_FIELDS <= set(broken)
    assert "invalid front matter" in broken["error"] and str(tmp_path) in broken["error_at"]
    assert broken["problems"][0]["line"] == 2 and broken["problems"][0]["file"].endswith("bad.md")
    assert "invalid front matter" in app.get("/-/plugins").text
