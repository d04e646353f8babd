"""Runtime isolation, proportional: a plugin contribution that raises while a page is
answered (a view, a subscriber, a template) loses its own part of the page, is logged by
name, and after repeated failures is switched off on its own by a circuit breaker that
lets one request try again after the cool-down. The section's Markdown pages (the core's
views over the plugin's content) are never switched off, and readers of the other
sections never see a 500 because of it.

Every plugin here is a real installed distribution (``installed_plugin``), every request
goes through the full WSGI application, and time is a ``ManualClock`` the tests move.
"""

import importlib
import logging
import textwrap

import pytest

from portal.testing import ManualClock, log_in_moderator

GOOD = {
    "portal_good/__init__.py": """
        def includeme(config):
            config.add_portal_section("good", title="Good", content="portal_good:content", order=10)
    """,
    "portal_good/content/index.md": "---\ntitle: Good\n---\nHello from good.\n",
    "portal_good/content/page.md": "---\ntitle: A good page\n---\nGood text.\n",
}

THRESHOLD = 3
COOLDOWN = 60


def flaky(code, files=None):
    """A plugin ``flaky`` with a section of two pages; ``code`` is the rest of its module,
    with a function ``more(config)`` that its includeme calls. ``BROKEN`` (a module
    global the tests flip) lets its contributions fail or work."""
    result = {
        "portal_flaky/__init__.py": textwrap.dedent("""
            from pyramid.events import BeforeRender
            from portal.events import PageRendered
            from portal.resources import Page, Section

            READ = ("GET", "HEAD")
            BROKEN = True

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
def clock():
    return ManualClock()


@pytest.fixture
def site(installed_plugin, portal_app_factory, clock):
    """Install ``good`` and a ``flaky`` plugin, return the portal serving both."""

    def make(code, files=None, also=(), **settings):
        installed_plugin("good", GOOD)
        installed_plugin("flaky", flaky(code, files))
        return portal_app_factory(
            plugins=["good", "flaky", *also], clock=clock,
            **{"portal.plugins.failure_threshold": str(THRESHOLD),
               "portal.plugins.cooldown": str(COOLDOWN), **settings},
        )

    return make


def flaky_module():
    return importlib.import_module("portal_flaky")


def words(page):
    """The page's HTML with runs of white space made one space."""
    return " ".join(page.text.split())


def status_of(app, name):
    return next(p for p in app.get("/-/plugins.json").json["plugins"] if p["name"] == name)


def contribution(app, kind):
    (found,) = [c for c in status_of(app, "flaky")["contributions"] if c["kind"] == kind]
    return found


def assert_content_serves(app):
    """The plugin's own Markdown pages, the other section, the home page (listing both) and
    the backstage answer 200, never 500 or 503."""
    assert "Landing of flaky." in app.get("/flaky/").text
    assert "Flaky text." in app.get("/flaky/page/").text
    assert "Hello from good." in app.get("/good/").text
    assert "Good text." in app.get("/good/page/").text
    home = app.get("/").text
    assert 'href="http://localhost/flaky/"' in home and 'href="http://localhost/good/"' in home
    assert app.get("/-/plugins").status_int == 200


def flaky_log(caplog):
    return [r.getMessage() for r in caplog.records
            if r.name == "portal.plugins.isolation" and r.getMessage().startswith("plugin 'flaky'")]


WIDGET = """
def widget(context, request):
    if BROKEN:
        raise RuntimeError("widget backend is down")
    return {"widget": "ok"}

def more(config):
    config.add_view(widget, context=Section, name="widget", section="flaky", renderer="json")
"""


def test_a_failing_view_never_takes_its_section_offline_and_recovers_after_the_cool_down(site, clock, caplog):
    app = site(WIDGET)
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        for _ in range(50):
            answer = app.get("/flaky/@@widget", status=503)
            assert_content_serves(app)
    assert "the plugin that provides it failed" in words(answer)
    assert 'The pages of <a href="http://localhost/flaky/">Flaky</a> and every other section work as usual' \
        in words(answer)
    # Counted until its circuit opened; after that it is not even called.
    lines = flaky_log(caplog)
    assert lines[0] == ("plugin 'flaky' (portal-flaky 1.0): view portal_flaky.widget @@widget failed "
                        "on GET /flaky/@@widget; left out of the page")
    assert "switched off after 3 failures" in lines[THRESHOLD]
    assert len(lines) == THRESHOLD + 1
    widget = contribution(app, "view")
    assert (widget["state"], widget["failures"], widget["retry_in"]) == ("switched_off", THRESHOLD, COOLDOWN)
    assert int(answer.headers["Retry-After"]) == COOLDOWN
    assert "tried again in 60 seconds" in words(answer)

    flaky_module().BROKEN = False  # the backend is back; the breaker does not know yet
    clock.advance(COOLDOWN - 1)
    app.get("/flaky/@@widget", status=503)
    clock.advance(1)
    assert contribution(app, "view")["state"] == "retrying"
    assert app.get("/flaky/@@widget").json == {"widget": "ok"}  # no restart
    assert contribution(app, "view")["state"] == "serving"
    assert status_of(app, "flaky")["switched_off"] is False


def test_a_failing_trial_switches_the_view_off_for_another_cool_down(site, clock):
    app = site(WIDGET)
    for _ in range(THRESHOLD):
        app.get("/flaky/@@widget", status=503)
    clock.advance(COOLDOWN)
    app.get("/flaky/@@widget", status=503)  # the one try: it fails again
    widget = contribution(app, "view")
    assert (widget["state"], widget["failures"], widget["times_switched_off"]) == ("switched_off", 4, 2)
    flaky_module().BROKEN = False
    app.get("/flaky/@@widget", status=503)  # still within the new cool-down
    clock.advance(COOLDOWN)
    assert app.get("/flaky/@@widget").json == {"widget": "ok"}


def test_a_failing_view_override_falls_back_to_the_core_page_and_comes_back(site, clock, caplog):
    app = site("""
def fancy_page(context, request):
    if BROKEN:
        raise RuntimeError("fancy renderer lost its config")
    value = {"page": context, "section": context.section, "doc": context.doc,
             "breadcrumbs": context.lineage_nodes(), "children": list(context.children.values()),
             "fancy": True}
    value["previous"], value["next"] = context.section.neighbours(context)
    return value

def more(config):
    config.add_view(fancy_page, context=Page, section="flaky", renderer="page.jinja2",
                    request_method=READ, permission="view")
    config.add_portal_templates("portal_flaky:templates")
""", files={
        "portal_flaky/templates/page.jinja2": """
            {% extends "portal:templates/page.jinja2" %}
            {% block doc_tools %}{% if fancy %}<p id="fancy">Fancy</p>{% endif %}{{ super() }}{% endblock %}
        """,
    })
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        for _ in range(THRESHOLD + 5):
            page = app.get("/flaky/page/")
            assert "Flaky text." in page.text and 'id="fancy"' not in page.text  # the core's view
    assert "fancy renderer lost its config" in caplog.records[0].exc_text
    assert contribution(app, "view")["state"] == "switched_off"
    assert contribution(app, "template")["state"] == "serving"  # not the template's fault
    assert_content_serves(app)
    flaky_module().BROKEN = False
    clock.advance(COOLDOWN)
    assert 'id="fancy"' in app.get("/flaky/page/").text
    assert contribution(app, "view")["state"] == "serving"


SCANNED = {
    "portal_flaky/views.py": """
        from pyramid.view import view_config

        from portal.resources import Section


        @view_config(context=Section, name="stats", section="flaky", renderer="json")
        def stats(context, request):
            raise LookupError("stats table is missing")
    """,
}


def test_a_view_registered_by_a_scan_is_guarded_like_one_added_in_includeme(site, caplog):
    app = site("""
def more(config):
    config.scan(".views")
""", files=SCANNED)
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        answer = app.get("/flaky/@@stats", status=503)  # not a 500
    assert "<code>flaky</code>" in answer.text
    (line,) = flaky_log(caplog)
    assert "view portal_flaky.views.stats @@stats failed on GET /flaky/@@stats" in line
    assert contribution(app, "view")["failures"] == 1
    assert_content_serves(app)


def test_a_scanned_view_is_its_plugins_whoever_scans_it(installed_plugin, site, caplog):
    """The plugin that owns a view is the one whose package registered it (longest
    match), not whichever plugin was being loaded: here ``helper`` scans a module of
    ``flaky``'s package, and the view is guarded as ``flaky``'s."""
    installed_plugin("helper", {
        "portal_helper/__init__.py": """
            def includeme(config):
                config.scan("portal_flaky.views")
        """,
    })
    app = site("def more(config):\n    pass\n", files=SCANNED, also=["helper"])
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        app.get("/flaky/@@stats", status=503)
    (line,) = flaky_log(caplog)
    assert line.startswith("plugin 'flaky' (portal-flaky 1.0): view portal_flaky.views.stats")
    assert contribution(app, "view")["failures"] == 1


def test_a_failing_subscriber_costs_the_page_its_contribution_and_comes_back(site, clock, caplog):
    app = site("""
def banner(event):
    event.value["doc_banner"] = "never shown"  # taken back out when it fails
    if BROKEN:
        raise KeyError("banner service")
    event.value["doc_banner"] = "Flaky banner"

def more(config):
    config.add_subscriber(banner, PageRendered)
    config.add_portal_templates("portal_flaky:templates")
""", files={
        "portal_flaky/templates/page.jinja2": """
            {% extends "portal:templates/page.jinja2" %}
            {% block doc_tools %}<p id="banner">{{ doc_banner }}</p>{{ super() }}{% endblock %}
        """,
    })
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        page = app.get("/good/page/")
    assert "Good text." in page.text and "never shown" not in page.text
    (line,) = flaky_log(caplog)
    assert "subscriber portal_flaky.banner (PageRendered) failed on GET /good/page/" in line
    for _ in range(THRESHOLD):
        assert_content_serves(app)
    assert contribution(app, "subscriber")["state"] == "switched_off"
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        assert_content_serves(app)  # switched off: it does not run at all
    assert flaky_log(caplog) == []
    flaky_module().BROKEN = False
    clock.advance(COOLDOWN)
    assert '<p id="banner">Flaky banner</p>' in app.get("/good/page/").text
    assert contribution(app, "subscriber")["state"] == "serving"


def test_a_failing_before_render_subscriber_cannot_break_any_page(site):
    app = site("""
def stamp(event):
    raise RuntimeError("clock is wrong")

def more(config):
    config.add_subscriber(stamp, BeforeRender)
""", **{"portal.plugins.failure_threshold": "0"})  # 0: never switched off
    for _ in range(THRESHOLD + 2):
        assert_content_serves(app)
    entry = status_of(app, "flaky")
    assert entry["switched_off"] is False and entry["failures"] > THRESHOLD


FOOTER = """
def more(config):
    config.add_portal_templates("portal_flaky:templates")
"""
FOOTER_FILES = {
    "portal_flaky/templates/layout.jinja2": """
        {% extends "portal:templates/layout.jinja2" %}
        {% block footer %}<p id="flaky-footer">{{ request.registry.flaky_sponsor.upper() }}</p>{% endblock %}
    """,
    "portal_flaky/templates/home.jinja2": """
        {% extends "portal:templates/home.jinja2" %}
        {% block home_extra %}<p id="flaky-home">Flaky says hello</p>{% endblock %}
    """,
}


def test_a_failing_template_is_left_out_on_its_own_and_comes_back(site, clock, caplog):
    app = site(FOOTER, files=FOOTER_FILES)
    with caplog.at_level(logging.ERROR, logger="portal.plugins.isolation"):
        page = app.get("/good/page/")
    assert "Good text." in page.text
    assert "flaky-footer" not in page.text
    assert "Installed plugins" in page.text  # the core's footer instead
    (line,) = flaky_log(caplog)
    assert line.startswith("plugin 'flaky' (portal-flaky 1.0): template portal_flaky:templates/layout.jinja2 "
                           "failed on GET /good/page/ (at ")
    assert "portal_flaky/templates/layout.jinja2:3); left out of the page" in line
    for _ in range(THRESHOLD):
        assert_content_serves(app)
    states = {c["name"]: c["state"] for c in status_of(app, "flaky")["contributions"]}
    assert states == {"portal_flaky:templates/layout.jinja2": "switched_off",
                      "portal_flaky:templates/home.jinja2": "serving"}
    assert "Flaky says hello" in app.get("/").text  # its other template still works
    app.app.registry.flaky_sponsor = "acme corp"
    clock.advance(COOLDOWN)
    app.get("/-/plugins")  # a page that does not use the footer does not spend the trial...
    assert '<p id="flaky-footer">ACME CORP</p>' in app.get("/good/page/").text  # ...this one does
    states = {c["name"]: c["state"] for c in status_of(app, "flaky")["contributions"]}
    assert set(states.values()) == {"serving"}


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


def test_plugins_page_shows_each_contribution_and_only_moderators_see_errors(site):
    app = site(WIDGET)
    for _ in range(THRESHOLD):
        app.get("/flaky/@@widget", status=503)
    public = contribution(app, "view")
    assert public == {"kind": "view", "name": "portal_flaky.widget @@widget", "state": "switched_off",
                      "failures": THRESHOLD, "retry_in": COOLDOWN, "times_switched_off": 1}
    html = words(app.get("/-/plugins"))
    assert "switched off, tried again in 60 s" in html
    assert "widget backend is down" not in html
    log_in_moderator(app)
    detailed = contribution(app, "view")
    assert detailed["last_error"] == "RuntimeError: widget backend is down"
    file, _, line = detailed["where"].rpartition(":")
    assert file.endswith("portal_flaky/__init__.py")
    with open(file) as source:
        assert source.read().splitlines()[int(line) - 1] == "def widget(context, request):"
    assert "RuntimeError: widget backend is down" in words(app.get("/-/plugins"))


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
    log_in_moderator(app)
    half = next(p for p in app.get("/-/plugins.json").json["plugins"] if p["name"] == "half")
    assert half["status"] == "failed" and "configuration failed" in half["error"]
    assert half["error_at"].endswith("portal_half/__init__.py:13")  # the add_view call
    assert half["contributions"] == [] and half["registered"] == []
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert "Good text." in app.get("/good/page/").text
    assert not [r for r in caplog.records if "half" in r.getMessage()]
