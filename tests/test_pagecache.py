"""Rendered pages kept for anonymous readers (portal.pagecache): every reader still gets a
working form of their own, writes show at once, and nobody with cookies is served a kept
page."""


import pytest

from portal.testing import with_token


@pytest.fixture
def app(portal_app_factory):
    return portal_app_factory(plugins=["guide"], **{"portal.page_cache.seconds": "30"})


def anonymous_get(app, url, **kw):
    app.reset()  # no cookies: a first-time reader
    return app.get(url, **kw)


def test_the_second_anonymous_reader_gets_the_kept_page_and_its_form_works(app):
    first = anonymous_get(app, "/guide/faq/")
    assert "X-Portal-Cache" not in first.headers
    second = anonymous_get(app, "/guide/faq/")
    assert second.headers["X-Portal-Cache"] == "hit"
    # Every anonymous reader gets the same bytes, with the same ETag.
    assert second.body == first.body and second.etag == first.etag
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    # The kept page's form works for its reader: it fetches its own token when used.
    form = with_token(app, second.forms["comment-form"])
    form["body"] = "Posted from a kept page."
    form["name"] = "Ada"
    form.submit().maybe_follow()
    assert "Posted from a kept page." in anonymous_get(app, "/guide/faq/").text


def test_a_comment_empties_the_cache_at_once(app):
    anonymous_get(app, "/guide/faq/")
    kept = anonymous_get(app, "/guide/faq/")
    assert kept.headers["X-Portal-Cache"] == "hit"
    form = with_token(app, kept.forms["comment-form"])
    form["body"] = "Fresh news."
    form["name"] = "Ada"
    form.submit().maybe_follow()
    after = anonymous_get(app, "/guide/faq/")
    assert "X-Portal-Cache" not in after.headers
    assert "Fresh news." in after.text


def test_readers_with_cookies_are_never_served_a_kept_page(app):
    anonymous_get(app, "/guide/")
    assert anonymous_get(app, "/guide/").headers["X-Portal-Cache"] == "hit"
    response = app.get("/guide/", headers={"Cookie": "portal_reader=someone"})
    assert "X-Portal-Cache" not in response.headers


def test_kept_pages_expire(portal_app_factory, portal_clock):
    app = portal_app_factory(plugins=["guide"], clock=portal_clock,
                             **{"portal.page_cache.seconds": "1"})
    anonymous_get(app, "/guide/")
    portal_clock.advance(0.9)
    assert anonymous_get(app, "/guide/").headers["X-Portal-Cache"] == "hit"
    portal_clock.advance(0.2)
    assert "X-Portal-Cache" not in anonymous_get(app, "/guide/").headers


def test_only_pages_are_kept(app):
    for url in ("/-/plugins.json", "/healthz"):
        anonymous_get(app, url)
        assert "X-Portal-Cache" not in anonymous_get(app, url).headers
    anonymous_get(app, "/guide/no-such-page/", status=404)
    assert "X-Portal-Cache" not in anonymous_get(app, "/guide/no-such-page/", status=404).headers


def test_off_by_default(portal_app_factory):
    app = portal_app_factory(plugins=["guide"])
    anonymous_get(app, "/guide/")
    assert "X-Portal-Cache" not in anonymous_get(app, "/guide/").headers
