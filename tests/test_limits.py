"""Abuse limits that are not the comments' or the logins' (issue 12): missed searches are
counted within bounds, and an error that escapes every exception view still leaves with the
security headers."""

import pytest
import sqlalchemy as sa
import webtest

from portal.http.headers import STRICT_CSP
from portal.search.models import SearchMiss


def misses(app):
    with app.app.registry["dbsession_factory"]() as s:
        return dict(s.execute(sa.select(SearchMiss.query, SearchMiss.count)).all())


def test_missed_searches_are_counted_within_a_per_address_limit(portal_app_factory):
    app = portal_app_factory(**{"portal.search.miss_limit": "3"})
    script = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "198.51.100.30"})
    for n in range(10):
        script.get("/api/v1/search", params={"q": f"zzqx{n}"})  # answered every time
    assert len(misses(app)) == 3
    other = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "198.51.100.31"})
    other.get("/@@search", params={"q": "qqzzy"})
    assert "qqzzy" in misses(app)


def test_the_table_of_missed_searches_stops_growing_at_its_cap(portal_app_factory):
    app = portal_app_factory(**{"portal.search.misses_max": "4"})
    for n in range(8):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": f"198.51.100.{40 + n}"})
        client.get("/api/v1/search", params={"q": f"nothingatall{n}"})
    kept = misses(app)
    assert len(kept) == 4
    webtest.TestApp(app.app).get("/api/v1/search", params={"q": "nothingatall0"})
    assert misses(app)["nothingatall0"] == 2  # known queries are still counted


BOOM = {
    "portal_boom/__init__.py": """
        from pyramid.tweens import EXCVIEW

        def boom_tween_factory(handler, registry):
            def boom(request):
                if request.path_info == "/boom":
                    raise RuntimeError("a bug above the exception views")
                return handler(request)
            return boom

        def includeme(config):
            config.add_tween("portal_boom.boom_tween_factory", over=EXCVIEW)
    """,
}


def test_an_error_outside_the_exception_views_is_a_500_with_the_security_headers(
        portal_app_factory, installed_plugin):
    installed_plugin("boom", BOOM)
    app = portal_app_factory(plugins=["boom", "guide"])
    answer = app.get("/boom", status=500)
    assert answer.headers["Content-Security-Policy"] == STRICT_CSP
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "could not answer this request" in answer.text
    assert app.get("/guide/").status_int == 200


@pytest.mark.parametrize("path", ["/api/v1/search?q=%ff", "/@@search?q=x&section=a%00b",
                                  "/@@search?q=x&page=%C2%B2"])
def test_search_parameters_that_are_not_text_are_a_400(portal_app, path):
    assert portal_app.get(path, status=400).headers["Content-Security-Policy"] == STRICT_CSP
