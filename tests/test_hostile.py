"""The open world: a corpus of hostile requests over every route, parameter and content type
the portal accepts (issue 12). Whatever is sent, the answer is never a 5xx, always carries
the security headers, and a refused request (4xx) changes nothing in the database. On
SQLite and PostgreSQL (NUL in text was a 500 on PostgreSQL only).

The categories: undecodable bytes in the path, the query string and form bodies; digits
that are not ASCII; integers past 64 bits in ids, cursors, ``parent`` and ``stars``; form
fields sent as files; forms in other charsets; multipart without a boundary; lone
surrogates, NUL and deep nesting in JSON; CR/LF in ``came_from``; wrong content types;
forged cookies and forwarded headers."""

import json
from urllib.parse import unquote_to_bytes

import pytest
import sqlalchemy as sa
import webob
import webtest

from portal.abuse.models import ClientEvent
from portal.discussion.models import Comment, Rating
from portal.moderation.models import Moderator, ServerSession
from portal.moderation.passwords import hash_password
from portal.search.models import SearchMiss

PASSWORD = "correct horse battery"

# Raw (already %-encoded) values for query parameters.
QUERY_VALUES = [
    "%ff", "%c0%af", "%ed%a0%80", "%C2%B2", "%D9%A1%D9%A2", "99999999999999999999999",
    "9223372036854775808", "-1", "0", "1e3", "+1", "%201", "%00", "a%00b", "%0d%0aSet-Cookie:%20x=1",
    "x" * 3000, "%5B%5D", "NaN", "%3Cscript%3E", "..%2F..%2Fetc%2Fpasswd", "",
]
# Text values for form fields and JSON strings.
TEXT_VALUES = [
    "\x00", "a\x00b", "\ud800", "²", "١٢", "99999999999999999999999", "-5", "1.0", " ",
    "\x1b[31m\x0b\x0c", "\r\nSet-Cookie: x=1", "x" * 70000, "<script>alert(1)</script>",
]

GET_ROUTES = {
    "/": ["q"],
    "/demo/first/": ["sort", "after", "thread", "edit", "reply"],
    "/demo/": ["sort", "after", "thread"],
    "/@@search": ["q", "section", "page"],
    "/demo/first/@@feed": ["x"],
    "/-/comments.atom": ["x"],
    "/-/plugins.json": ["x"],
    "/-/moderation/@@login": ["came_from"],
    "/api/v1/pages/demo/first/comments": ["sort", "after", "limit", "thread"],
    "/api/v1/pages/demo/first/rating": ["x"],
    "/api/v1/pages/demo/first/rating/mine": ["x"],
    "/api/v1/search": ["q", "section", "page", "per_page", "live"],
    "/api/v1/csrf": ["x"],
    "/readyz": ["x"],
}
MODERATOR_GET_ROUTES = {
    "/-/moderation/": ["after"],
    "/-/moderation/@@recent": ["after"],
    "/-/moderation/@@search": ["page", "author", "after"],
}
BAD_PATHS = [
    "/%ff/", "/demo/%ff/", "/demo/first/%ed%a0%80", "/%00", "/demo/first/%00/", "/demo/../../x",
    "/api/v1/pages/%ff/comments", "/api/v1/pages/demo%00/rating", "/" + "a" * 5000,
    "/-/moderation/%ff", "/demo/first/@@%ff", "/%C2%B2/",
]
FORMS = {
    "/demo/first/@@comments": {"body": "hello", "name": "Ann", "parent": "", "stamp": None,
                               "website": ""},
    "/demo/first/@@edit-comment": {"id": "1", "body": "changed"},
    "/demo/first/@@delete-comment": {"id": "1"},
    "/demo/first/@@rate": {"stars": "4"},
    "/-/moderation/@@login": {"name": "mod", "password": "wrong password", "came_from": ""},
}
MODERATOR_FORMS = {
    "/-/moderation/@@act": {"do": "approve", "id": "1", "return_to": "/-/moderation/"},
    "/-/moderation/@@password": {"current": "wrong", "new": "x", "again": "y"},
}
JSON_ROUTES = {
    ("POST", "/api/v1/pages/demo/first/comments"): {"body": "hello", "stamp": None},
    ("PUT", "/api/v1/pages/demo/first/rating/mine"): {"stars": 3},
}
RAW_JSON = [
    b'{"body": "\\ud800", "stamp": "s"}', b'{"stars": "\\udfff"}', b'{"\\ud800": 1}',
    b"[" * 1000 + b"]" * 1000, b'{"body": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"stars": 1e400}', b'{"stars": NaN}', b'{"stars": 99999999999999999999999}',
    b'{"parent": 18446744073709551616, "body": "x", "stamp": "s"}', b"\xff\xfe{}",
    b"\xef\xbb\xbf{}", b"", b"null", b"[]", b'"text"', b'{"stars": 2, "stars": 9}',
    b'{"body": "a\\u0000b", "stamp": "s"}', b'{"name": "\\u0000", "body": "x", "stamp": "s"}',
]


def snapshot(app):
    """What a request could change, as comparable rows."""
    with app.app.registry["dbsession_factory"]() as s:
        return (
            s.execute(sa.select(Comment.id, Comment.state, Comment.body_source, Comment.author_name)
                      .order_by(Comment.id)).all(),
            s.execute(sa.select(Rating.page_key, Rating.reader_key, Rating.stars)
                      .order_by(Rating.id)).all(),
            s.execute(sa.select(ServerSession.id, ServerSession.data)
                      .order_by(ServerSession.id)).all(),
            s.execute(sa.select(SearchMiss.query, SearchMiss.count)
                      .order_by(SearchMiss.query)).all(),
            # A wrong password is counted on purpose (the login limit): the only write a
            # refused request makes.
            s.scalar(sa.select(sa.func.count()).select_from(ClientEvent)
                     .where(ClientEvent.kind.notin_(("login", "login-account")))),
        )


class Corpus:
    def __init__(self, app):
        self.app = app
        self.tried = 0
        self.failures = []
        self.refused = 0

    def send(self, client, method, url, *, body=None, headers=None, content_type=None,
             params=None, upload_files=None, counts_logins=False):
        before = snapshot(self.app)
        kwargs = {"headers": headers or {}, "expect_errors": True}
        if method in ("GET", "HEAD"):
            response = client.request(url, method=method, headers=headers or {},
                                      expect_errors=True)
        elif upload_files is not None:
            response = client.post(url, params=params or {}, upload_files=upload_files, **kwargs)
        else:
            response = client.request(url, method=method, body=body or b"",
                                      content_type=content_type, headers=headers or {},
                                      expect_errors=True)
        return self.check(response, method, f"{method} {url[:120]} {str(body)[:80] if body else ''}",
                          before)

    def send_path(self, method, raw_path, body=b"", content_type=None):
        """A path WebTest cannot even build a URL for (bytes that are not UTF-8): straight
        to the WSGI application, as waitress would hand it over."""
        before = snapshot(self.app)
        request = webob.Request.blank("/", method=method, body=body,
                                      environ={"REMOTE_ADDR": "192.0.2.83"})
        if content_type:
            request.content_type = content_type
        request.environ["PATH_INFO"] = unquote_to_bytes(raw_path).decode("latin-1")
        return self.check(request.get_response(self.app.app), method, f"{method} {raw_path[:120]}",
                          before)

    def check(self, response, method, label, before):
        self.tried += 1
        if response.status_int >= 500:
            self.failures.append(f"{response.status_int} {label}: {response.text[:200]}")
        elif "Content-Security-Policy" not in response.headers:
            self.failures.append(f"no security headers: {label}")
        elif response.status_int >= 400 and method not in ("GET", "HEAD"):
            self.refused += 1
            if snapshot(self.app) != before:
                self.failures.append(f"refused ({response.status_int}) but changed the database: "
                                     f"{label}")
        return response


def form_body(fields):
    from urllib.parse import urlencode

    return urlencode(fields).encode()


@pytest.fixture
def world(demo_app):
    app = demo_app(**{"portal.comments.rate_limit": "100000", "portal.ratings.rate_limit": "100000",
                      "portal.login.rate_limit": "100000", "portal.login.account_limit": "100000"})
    with app.app.registry["dbsession_factory"]() as s:
        s.add(Moderator(name="mod", password_hash=hash_password(PASSWORD)))
        s.commit()
    reader = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.80"})
    token = reader.get("/api/v1/csrf").json
    reader.post("/demo/first/@@comments", {"csrf_token": token["csrf_token"], "body": "first",
                                           "stamp": token["stamp"]}, status=303)
    moderator = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.81"})
    login = moderator.get("/-/moderation/@@login").forms["login-form"]
    login["name"], login["password"] = "mod", PASSWORD
    login.submit(status=303)
    return app, reader, moderator


def test_hostile_requests_are_answered_4xx_with_headers_and_change_nothing(world):
    app, reader, moderator = world
    corpus = Corpus(app)
    anonymous = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.82"})

    # Query strings: every parameter of every GET route, every hostile value.
    for routes, client in ((GET_ROUTES, anonymous), (MODERATOR_GET_ROUTES, moderator)):
        for path, names in routes.items():
            for name in names:
                for value in QUERY_VALUES:
                    corpus.send(client, "GET", f"{path}?{name}={value}")
    # Paths.
    for path in BAD_PATHS:
        corpus.send_path("GET", path)
        corpus.send_path("POST", path, body=b"body=x",
                         content_type="application/x-www-form-urlencoded")

    # Form posts, with a valid CSRF token so the views themselves are reached.
    for forms, client in ((FORMS, reader), (MODERATOR_FORMS, moderator)):
        for path, fields in forms.items():
            token = client.get("/api/v1/csrf").json

            def base():
                values = {"csrf_token": token["csrf_token"], **fields}  # noqa: B023
                if "stamp" in values:
                    values["stamp"] = client.get("/api/v1/csrf").json["stamp"]  # noqa: B023
                return values

            for name in fields:
                for value in TEXT_VALUES:
                    values = base()
                    values[name] = value
                    corpus.send(client, "POST", path, body=form_body(
                        {k: v.encode("utf-8", "surrogatepass") for k, v in values.items()}),
                        content_type="application/x-www-form-urlencoded")
                # The field as a file upload.
                values = base()
                values.pop(name)
                corpus.send(client, "POST", path, params=values,
                            upload_files=[(name, "field.txt", b"a file, not a field")])
            for content_type in ("application/x-www-form-urlencoded; charset=latin-1",
                                 "application/x-www-form-urlencoded; charset=utf-16",
                                 "application/x-www-form-urlencoded; charset=nonsense",
                                 "multipart/form-data", "multipart/form-data; boundary=",
                                 "application/json", "text/plain", "application/xml"):
                corpus.send(client, "POST", path, body=form_body(base()), content_type=content_type)
            for raw in (form_body(base()) + b"&body=%ff%fe", b"\xff\xfe\x00", b"=" * 100 + b"&&&",
                        b"csrf_token=" + token["csrf_token"].encode() + b"&" + b"a=1&" * 200):
                corpus.send(client, "POST", path, body=raw,
                            content_type="application/x-www-form-urlencoded")
            multipart = (b"--b\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n\xff\xfe\r\n--b--\r\n")
            corpus.send(client, "POST", path, body=multipart,
                        content_type="multipart/form-data; boundary=b")

    # JSON: every field, every hostile value; raw bodies; content types.
    token = reader.get("/api/v1/csrf").json["csrf_token"]
    headers = {"X-CSRF-Token": token}
    for (method, path), fields in JSON_ROUTES.items():
        for name in fields:
            for value in [*TEXT_VALUES, 2**64, -(2**70), 1.5, True, None, [], {}, 1e308]:
                data = dict(fields)
                if "stamp" in data:
                    data["stamp"] = reader.get("/api/v1/csrf").json["stamp"]
                data[name] = value
                raw = json.dumps(data).encode("utf-8", "surrogatepass")
                corpus.send(reader, method, path, body=raw, content_type="application/json",
                            headers=headers)
        for raw in RAW_JSON:
            corpus.send(reader, method, path, body=raw, content_type="application/json",
                        headers=headers)
        for content_type in ("application/json; charset=latin-1", "text/plain",
                             "application/x-www-form-urlencoded", "multipart/form-data"):
            corpus.send(reader, method, path, body=b'{"stars": 3}', content_type=content_type,
                        headers=headers)

    # Forged cookies and forwarded headers, on reading and writing routes.
    forged = ["portal_session=" + "A" * 43, "portal_session=" + "x" * 5000, "portal_session=%ff",
              "portal_reader=forged.value", "portal_edit_1=" + "e" * 300, "portal_csrf=\x7f",
              "portal_reader=" + "ä"]
    for cookie in forged:
        for path in ("/demo/first/", "/-/moderation/", "/api/v1/pages/demo/first/rating/mine"):
            corpus.send(anonymous, "GET", path, headers={"Cookie": cookie})
        corpus.send(anonymous, "PUT", "/api/v1/pages/demo/first/rating/mine",
                    body=b'{"stars": 3}', content_type="application/json",
                    headers={"Cookie": cookie, "X-CSRF-Token": "nope"})
    for header, value in (("X-Forwarded-For", "%ff, 999.1.1.1, ::zz"), ("X-Forwarded-Host", "evil/x"),
                          ("X-Forwarded-Proto", "gopher"), ("Host", "exa mple:99999"),
                          ("Accept", "\x00"), ("Origin", "null"), ("If-None-Match", "\"" * 50)):
        for path in ("/", "/demo/first/", "/api/v1/search?q=flask", "/demo/first/@@feed"):
            corpus.send(anonymous, "GET", path, headers={header: value})

    print(f"\nhostile corpus: {corpus.tried} requests tried, {corpus.refused} unsafe ones "
          f"refused, {sum(f[:1] == '5' for f in corpus.failures)} answered 5xx")
    assert corpus.tried >= 300
    assert not corpus.failures, "\n".join(corpus.failures[:40])


def test_the_corpus_reaches_postgresql_with_nul_and_giant_integers(world):
    """The worst of the old 500s, one by one with their answers."""
    app, reader, _ = world
    token = reader.get("/api/v1/csrf").json
    stamp = token["stamp"]
    headers = {"X-CSRF-Token": token["csrf_token"]}
    answer = reader.post_json("/api/v1/pages/demo/first/comments",
                              {"body": "x", "stamp": stamp, "name": "a\x00b"}, headers=headers,
                              status=400).json
    assert answer["fields"] == {"name": "contains a NUL character"}
    answer = reader.post_json("/api/v1/pages/demo/first/comments",
                              {"body": "x", "stamp": stamp, "parent": 2**70}, headers=headers,
                              status=400).json
    assert list(answer["fields"]) == ["parent"]
    assert reader.get("/demo/first/?thread=99999999999999999999999", status=400)
    assert reader.get("/api/v1/pages/demo/first/comments?thread=%C2%B2", status=400).json[
        "fields"] == {"thread": "must be the id of a top-level comment"}
    deep = reader.put("/api/v1/pages/demo/first/rating/mine", b"[" * 1000 + b"]" * 1000,
                      headers={**headers, "Content-Type": "application/json"}, status=400).json
    assert "deep" in deep["fields"]["body"]
    raw = webob.Request.blank("/")
    raw.environ["PATH_INFO"] = "/demo/\xff/"  # the bytes as waitress hands them over
    refused = raw.get_response(app.app)
    assert refused.status_int == 400 and refused.headers["Content-Security-Policy"]
    assert "not valid UTF-8" in refused.text
    # 2.0 is the integer 2 (JSON Schema's integer), as the OpenAPI document says.
    assert reader.put_json("/api/v1/pages/demo/first/rating/mine", {"stars": 2.0},
                           headers=headers).json["mine"] == 2

