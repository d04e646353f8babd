"""Rendered pages kept for readers without reader state (portal.http.pagecache), in front of
the router: every reader still gets a working form, writes show at once, cookies decide by
their content (a moderator, an open edit window or a pending comment is drawn for; the CSRF
cookie, a rater's id or another site's cookie is not), revalidation answers 304, and the
kept answer is compressed once for clients that accept it."""

import gzip

import pytest
import webtest

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


@pytest.mark.parametrize("cookie", [
    "portal_csrf=abc",  # a form was used once
    "portal_reader=someone",  # a reader who rated
    "_ga=GA1.2.3; theme=x",  # another application's cookies on the same domain
    "portal_session=",  # an emptied session
])
def test_cookies_without_reader_state_are_served_the_kept_page(app, cookie):
    anonymous_get(app, "/guide/")
    first = anonymous_get(app, "/guide/")
    assert first.headers["X-Portal-Cache"] == "hit"
    response = app.get("/guide/", headers={"Cookie": cookie})
    if cookie.startswith("portal_session"):
        # A session cookie, even empty, may be a moderator's: drawn for them.
        assert "X-Portal-Cache" not in response.headers
    else:
        assert response.headers["X-Portal-Cache"] == "hit" and response.body == first.body


@pytest.mark.parametrize("cookie", ["portal_edit_12=grant", "portal_pending=1", "portal_session=abc"])
def test_readers_with_reader_state_are_drawn_for(app, cookie):
    anonymous_get(app, "/guide/")
    assert anonymous_get(app, "/guide/").headers["X-Portal-Cache"] == "hit"
    response = app.get("/guide/", headers={"Cookie": cookie})
    assert "X-Portal-Cache" not in response.headers
    assert response.headers["Cache-Control"].startswith("private")


def test_a_reader_with_a_pending_comment_sees_it_and_nobody_else_does(portal_app_factory):
    app = portal_app_factory(plugins=["guide"], **{"portal.page_cache.seconds": "30",
                                                    "portal.comments.moderation": "all"})
    anonymous_get(app, "/guide/faq/")
    assert anonymous_get(app, "/guide/faq/").headers["X-Portal-Cache"] == "hit"
    app.reset()
    form = with_token(app, app.get("/guide/faq/").forms["comment-form"])
    form["body"] = "Waiting for a moderator."
    form.submit(status=303)
    assert "portal_pending" in app.cookies
    mine = app.get("/guide/faq/")
    assert "Waiting for a moderator." in mine.text and "X-Portal-Cache" not in mine.headers
    other = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.77"})
    assert "Waiting for a moderator." not in other.get("/guide/faq/").text


def test_a_kept_page_answers_304_and_compressed(app):
    anonymous_get(app, "/guide/")
    kept = anonymous_get(app, "/guide/")
    assert kept.headers["X-Portal-Cache"] == "hit"
    again = app.get("/guide/", headers={"If-None-Match": kept.headers["ETag"]}, status=304)
    assert again.body == b"" and again.headers["ETag"] == kept.headers["ETag"]
    assert again.headers["Content-Security-Policy"]
    # WebTest decodes compressed answers itself: ask the WSGI application directly.
    status, headers, body = raw_get(app, "/guide/", HTTP_ACCEPT_ENCODING="gzip")
    assert headers["Content-Encoding"] == "gzip" and headers["X-Portal-Cache"] == "hit"
    assert gzip.decompress(body) == kept.body and len(body) < len(kept.body) / 3
    brotli = pytest.importorskip("brotli")
    status, headers, body = raw_get(app, "/guide/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert headers["Content-Encoding"] == "br" and brotli.decompress(body) == kept.body
    # Every kept answer says what it varies by (a shared cache in front keeps one copy per
    # encoding), compressed or not; its length is the length of what is sent.
    for accept in ("", "gzip", "br"):
        status, headers, body = raw_get(app, "/guide/", HTTP_ACCEPT_ENCODING=accept)
        assert headers["X-Portal-Cache"] == "hit"
        assert headers["Vary"] == "Cookie, Accept-Encoding"
        assert headers["Content-Length"] == str(len(body))


def raw_get(app, path, **environ):
    """``(status, headers, body)`` of a GET straight from the WSGI application."""
    import io

    env = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "localhost",
           "SERVER_PORT": "80", "HTTP_HOST": "localhost:80", "wsgi.url_scheme": "http",
           "wsgi.input": io.BytesIO(), "REMOTE_ADDR": "192.0.2.10", **environ}
    answer = []
    body = b"".join(app.app(env, lambda status, headers, exc_info=None: answer.append((status, headers))))
    status, headers = answer[0]
    return status, dict(headers), body


def test_rendered_pages_and_static_files_are_compressed_too(portal_app):
    status, headers, body = raw_get(portal_app, "/guide/faq/", HTTP_ACCEPT_ENCODING="gzip")
    assert status.startswith("200") and headers["Content-Encoding"] == "gzip"
    assert b"</html>" in gzip.decompress(body)
    css = portal_app.get("/").html.find("link", rel="stylesheet")["href"].replace("http://localhost", "")
    path, _, query = css.partition("?")
    status, headers, body = raw_get(portal_app, path, QUERY_STRING=query, HTTP_ACCEPT_ENCODING="gzip")
    assert headers["Content-Encoding"] == "gzip" and b"--bg" in gzip.decompress(body)
    # Images are left alone; so are clients that do not ask.
    status, headers, body = raw_get(portal_app, "/favicon.ico", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in headers
    status, headers, body = raw_get(portal_app, "/guide/faq/")
    assert "Content-Encoding" not in headers and body.rstrip().endswith(b"</html>")


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
