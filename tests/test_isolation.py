"""Runtime isolation: a plugin that raises while a page is answered loses its own part of
the page, is logged by name, and after repeated failures its section answers 503 until the
process restarts. Readers of the other sections never see a 500 because of it.

Every plugin here is a real installed distribution (``installed_plugin``) and every
request goes through the full WSGI application.
"""

import logging
import textwrap

import pytest

GOOD = {
    "portal_good/__init__.py": """
        def includeme(config):
            config.add_portal_section("good", title="Good", content="portal_good:content", order=10)
    """,
    "portal_good/content/index.md": "---\ntitle: Good\n---\nHello from good.\n",
    "portal_good/content/page.md": "---\ntitle: A good page\n---\nGood text.\n",
}

THRESHOLD = 3


def flaky(code, files=None):
    """A plugin ``flaky`` with a section of two pages; ``code`` is the rest of its module,
    with a function ``more(config)`` that its includeme calls."""
    result = {
        "portal_flaky/__init__.py": textwrap.dedent("""
            from pyramid.events import BeforeRender
            from portal.events import PageRendered
            from portal.resources import Page, Section

            READ = ("GET", "HEAD")

            def includeme(config):
                config.add_portal_section("flaky", title="Flaky", content="portal_flaky:content", order=20)
                more(config)
        """) + textwrap.dedent(code),
        "portal_flaky/content/index.md": "---\ntitle: Flaky\n---\nLanding of flaky.\n",
        "portal_flaky/content/page.md": "---\ntitle: Flaky page\n---\nFlaky text.\n",
    }
    result.update(files or {})
    return result


@pytest.fixture
def site(installed_plugin, portal_app_factory):
    """Install ``good`` and a ``flaky`` plugin, return the portal serving both."""

    def make(code, files=None, also=(), **settings):
        installed_plugin("good", GOOD)
        installed_plugin("flaky", flaky(code, files))
        return portal_app_factory(
            plugins=["good", "flaky", *also],
            **{"portal.plugins.failure_threshold": str(THRESHOLD), **settings},
        )

    return make


def words(page):
    """The page's HTML with runs of white space made one space."""
    return " ".join(page.text.split())


def status_of(app, name):
    return next(p for p in app.get("/-/plugins.json").json["plugins"] if p["name"] == name)


def assert_others_serve(app):
    """The other section, the home page and the backstage answer 200, never 500."""
    assert "Hello from good." in app.get("/good/").text
    assert "Good text." in app.get("/good/page/").text
    assert app.get("/").status_int == 200
    assert app.get("/-/plugins").status_int == 200


def flaky_log(caplog):
    return [r.getMessage() for r in caplog.records
            if r.name == "portal.plugins.isolation" and r.getMessage().startswith("plugin 'flaky'")]


def test_a_failing_view_override_falls_back_to_the_core_page_then_the_section_is_switched_off(
    site, caplog
):
    app = site("""
def fancy_page(context, request):
    raise RuntimeError("fancy renderer lost its config")

def more(config):
    config.add_view(fancy_page, context=Page, section="flaky", renderer="page.jinja2",
                    request_method=READ, permission="view")
""")
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        for _ in range(THRESHOLD - 1):
            page = app.get("/flaky/page/")
            assert "Flaky text." in page.text  # the core's view answered instead
            assert_others_serve(app)
    lines = flaky_log(caplog)
    assert len(lines) == THRESHOLD - 1
    assert lines[0].startswith("plugin 'flaky' (portal-flaky 1.0): view portal_flaky.fancy_page failed on GET /flaky/page/")
    assert "fancy renderer lost its config" in caplog.records[0].exc_text
    assert status_of(app, "flaky")["failures"] == THRESHOLD - 1

    app.get("/flaky/page/")  # the last failure allowed
    entry = status_of(app, "flaky")
    assert entry["switched_off"] is True and entry["failures"] == THRESHOLD
    for url in ("/flaky/", "/flaky/page/"):
        page = app.get(url, status=503)
        assert "Temporarily unavailable" in page.text
        assert "<strong>Flaky</strong> cannot be shown right now" in words(page)
        assert "comes back when the site's operator restarts the portal" in words(page)
    assert 'href="http://localhost/flaky/"' not in app.get("/").text  # gone from navigation
    assert_others_serve(app)
    assert "Switched off</strong> after 3 failures" in words(app.get("/-/plugins"))


def test_a_failing_view_of_its_own_answers_503_naming_it_and_other_sections_are_untouched(site):
    app = site("""
def stats(context, request):
    return {"pages": 1 / 0}

def more(config):
    config.add_view(stats, context=Section, name="stats", section="flaky", renderer="json")
""")
    page = app.get("/flaky/@@stats", status=503)
    assert "the plugin that provides it failed" in words(page)
    assert "<code>flaky</code>" in page.text
    app.get("/good/@@stats", status=404)  # the view is not there: a plain 404
    assert_others_serve(app)
    assert app.get("/flaky/").status_int == 200  # the section's own pages still work


def test_a_failing_subscriber_loses_its_contribution_and_the_page_renders(site, caplog):
    app = site("""
def sabotage(event):
    event.value["doc"] = None  # what it added is taken back out when it fails
    event.value["flaky_banner"] = "never shown"
    raise KeyError("banner service")

def more(config):
    config.add_subscriber(sabotage, PageRendered)
""")
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        page = app.get("/good/page/")
    assert "Good text." in page.text
    assert "never shown" not in page.text
    (line,) = flaky_log(caplog)
    assert "subscriber portal_flaky.sabotage of PageRendered failed on GET /good/page/" in line
    for _ in range(THRESHOLD):
        assert_others_serve(app)
    assert status_of(app, "flaky")["switched_off"] is True
    # Switched off: its subscriber no longer runs at all.
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        app.get("/good/page/")
    assert flaky_log(caplog) == []


def test_a_failing_before_render_subscriber_cannot_break_any_page(site):
    app = site("""
def stamp(event):
    raise RuntimeError("clock is wrong")

def more(config):
    config.add_subscriber(stamp, BeforeRender)
""", **{"portal.plugins.failure_threshold": "0"})  # 0: never switched off
    for _ in range(THRESHOLD + 2):
        assert_others_serve(app)
        assert "Flaky text." in app.get("/flaky/page/").text
    entry = status_of(app, "flaky")
    assert entry["switched_off"] is False and entry["failures"] > THRESHOLD


def test_a_failing_template_override_is_replaced_by_the_core_template(site, caplog):
    app = site("""
def more(config):
    config.add_portal_templates("portal_flaky:templates")
""", files={
        "portal_flaky/templates/layout.jinja2": """
            {% extends "portal:templates/layout.jinja2" %}
            {% block footer %}<p id="flaky-footer">{{ request.sponsor.name.upper() }}</p>{% endblock %}
        """,
    })
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        page = app.get("/good/page/")
    assert "Good text." in page.text
    assert "flaky-footer" not in page.text
    assert "Installed plugins" in page.text  # the core's footer instead
    (line,) = flaky_log(caplog)
    assert line.startswith("plugin 'flaky' (portal-flaky 1.0): template ")
    assert "portal_flaky/templates/layout.jinja2:3 failed on GET /good/page/" in line
    for _ in range(THRESHOLD):
        assert_others_serve(app)
    assert status_of(app, "flaky")["switched_off"] is True
    app.get("/flaky/", status=503)


def test_a_working_template_override_keeps_working_beside_a_failing_one(installed_plugin, site):
    installed_plugin("banner", {
        "portal_banner/__init__.py": """
            def includeme(config):
                config.add_portal_templates("portal_banner:templates")
        """,
        "portal_banner/templates/home.jinja2": """
            {% extends "portal:templates/home.jinja2" %}
            {% block home_extra %}<p id="banner">Welcome</p>{% endblock %}
        """,
    })
    app = site("""
def more(config):
    config.add_portal_templates("portal_flaky:templates")
""", files={
        "portal_flaky/templates/home.jinja2": """
            {% extends "portal:templates/home.jinja2" %}
            {% block home_extra %}{{ request.nothing.here }}{% endblock %}
        """,
    }, also=["banner"])
    home = app.get("/").text
    # flaky's home.jinja2 comes first on the search path and fails: banner's is used.
    assert '<p id="banner">Welcome</p>' in home


def test_a_plugin_that_failed_at_commit_contributes_nothing(installed_plugin, portal_app_factory, caplog):
    """Its subscriber was registered before its configuration failed: it must not run."""
    installed_plugin("good", GOOD)
    installed_plugin("half", {
        "portal_half/__init__.py": """
            from portal.events import PageRendered
            from portal.resources import Page

            def shout(event):
                raise RuntimeError("should never run")

            def view(context, request):
                return {}

            def includeme(config):
                config.add_subscriber(shout, PageRendered)
                config.add_view(view, route_name="no-such-route")
        """,
    })
    with caplog.at_level(logging.ERROR):
        app = portal_app_factory(plugins=["good", "half"])
    half = status_of(app, "half")
    assert half["status"] == "failed" and "configuration failed" in half["error"]
    assert half["error_at"].endswith("portal_half/__init__.py:13")  # the add_view call
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert_others_serve(app)
    assert not [r for r in caplog.records if "half" in r.getMessage()]
