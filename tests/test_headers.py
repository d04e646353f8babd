"""Security headers on every response, cookie flags, the request body limit, and the
debug toolbar's relaxed policy (development only)."""

import pytest

from portal.http.headers import STRICT_CSP

PLUGIN_WITH_COOKIES = {
    "portal_cookies/__init__.py": """
        from pyramid.view import view_config
        from portal.resources import Root

        @view_config(context=Root, name="set-cookies", renderer="string")
        def set_cookies(request):
            request.session["seen"] = True               # the session cookie
            request.response.set_cookie("plain", "1")    # a cookie with no flags at all
            return "ok"

        def includeme(config):
            config.scan()
    """,
}


def test_every_kind_of_response_has_the_strict_policy(portal_app):
    responses = [
        portal_app.get("/"),
        portal_app.get("/-/plugins.json"),
        portal_app.get("/healthz"),
        portal_app.get("/no-such-section/", status=404),
        portal_app.get("/api/v1/no-such-thing", status=404),
    ]
    static = portal_app.get("/").html.find("link", rel="stylesheet")["href"]
    responses.append(portal_app.get(static))
    for response in responses:
        assert response.headers["Content-Security-Policy"] == STRICT_CSP, response.request.url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in response.headers


def test_pages_have_no_inline_script_or_style_that_the_policy_would_block(portal_app):
    html = portal_app.get("/").html
    for script in html.find_all("script"):
        assert script.get("src"), f"inline script: {script}"
    assert not html.find_all("style")
    assert not html.select("[style]")
    assert not [tag for tag in html.find_all(True) if any(a.startswith("on") for a in tag.attrs)]


def test_hsts_only_when_configured(portal_app_factory):
    app = portal_app_factory(**{"portal.hsts": "true", "portal.hsts.max_age": "600"})
    assert app.get("/").headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains"


def test_every_cookie_is_httponly_samesite_and_secure_in_production(portal_app_factory,
                                                                    installed_plugin):
    installed_plugin("cookies", PLUGIN_WITH_COOKIES)
    app = portal_app_factory(plugins=["cookies"], **{"portal.cookies.secure": "true"})
    cookies = app.get("/set-cookies").headers.getall("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} == {"portal_session", "plain"}
    for cookie in cookies:
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite", "secure"} <= flags, cookie


def test_cookies_are_not_secure_when_the_site_is_plain_http(portal_app_factory, installed_plugin):
    installed_plugin("cookies", PLUGIN_WITH_COOKIES)
    app = portal_app_factory(plugins=["cookies"])
    for cookie in app.get("/set-cookies").headers.getall("Set-Cookie"):
        assert "secure" not in cookie.lower()
        assert "httponly" in cookie.lower()


def test_a_body_over_the_limit_gets_413_with_the_limit_in_the_message(portal_app_factory):
    app = portal_app_factory(**{"portal.max_body_bytes": "1000"})
    response = app.post("/", {"body": "x" * 2000}, status=413)
    assert "at most 1000 bytes" in response.text
    assert response.headers["Content-Security-Policy"] == STRICT_CSP
    api = app.post("/api/v1/anything", {"body": "x" * 2000}, status=413)
    assert api.json["status"] == 413
    assert "at most 1000 bytes" in api.json["error"]


def test_the_debug_toolbar_works_under_a_relaxed_policy_in_development_only(portal_app_factory):
    app = portal_app_factory(**{
        "pyramid.includes": "pyramid_debugtoolbar",
        "debugtoolbar.hosts": "0.0.0.0/0",
    })
    response = app.get("/")
    assert "pDebug" in response.text or "_debug_toolbar" in response.text  # toolbar injected
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" in policy
    assert "frame-ancestors 'none'" in policy
    toolbar = response.html.find(id="pDebug")
    assert toolbar is not None


@pytest.mark.browser
def test_chromium_reports_no_policy_violation_and_runs_the_scripts(portal_app, serve, chromium):
    """The strict policy, enforced by a real browser: nothing the pages load or run is
    blocked, and the site's own scripts still run (the theme toggle is revealed by JS)."""
    base = serve(portal_app.app)
    page = chromium.new_page()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    for path in ("/", "/guide/", "/guide/faq/", "/-/plugins"):
        response = page.goto(base + path)
        assert response.headers["content-security-policy"] == STRICT_CSP
        page.wait_for_load_state("load")
    assert not violations, violations
    assert page.locator("[data-theme-toggle]").is_visible()
