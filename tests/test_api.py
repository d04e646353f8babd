"""The JSON API under /api/v1/: its OpenAPI document matches the routes and the answers,
listing and posting comments, the rating summary and the reader's own rating, CSRF for
cookie-carrying requests, and bad input answered 4xx with every bad field named and
nothing stored. On SQLite and PostgreSQL."""

import re

import pytest
import sqlalchemy as sa
import webtest
from jsonschema import Draft202012Validator

from portal.abuse.models import ClientEvent
from portal.discussion.models import Comment, Rating

API = "/api/v1"
COMMENTS = f"{API}/pages/demo/first/comments"
RATING = f"{API}/pages/demo/first/rating"
MINE = f"{API}/pages/demo/first/rating/mine"


def session_of(app):
    return app.app.registry["dbsession_factory"]()


def stored(app):
    """Everything a request could have written."""
    with session_of(app) as s:
        return {model.__tablename__: s.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (Comment, Rating, ClientEvent)}


NOTHING = {"comments": 0, "ratings": 0, "client_events": 0}


def fresh(app, addr="192.0.2.70"):
    """A client with no cookies at all (a script)."""
    return webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": addr})


class Browser:
    """A cookie-carrying client that sends the CSRF token as the page's JavaScript does."""

    def __init__(self, app):
        self.app = app
        self.token = app.get(f"{API}/csrf").json["csrf_token"]

    def headers(self):
        return {"X-CSRF-Token": self.token}

    def post(self, url, data, status=201):
        return self.app.post_json(url, data, headers=self.headers(), status=status)

    def put(self, url, data, status=200):
        return self.app.put_json(url, data, headers=self.headers(), status=status)

    def stamp(self):
        return self.app.get(COMMENTS).json["stamp"]


@pytest.fixture
def app(demo_app):
    return demo_app()


@pytest.fixture
def browser(app):
    return Browser(app)


@pytest.fixture
def openapi(app):
    return app.get(f"{API}/openapi.json").json


def validate(openapi, name, instance):
    schema = {"$ref": f"#/components/schemas/{name}", "components": openapi["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=str)
    assert not errors, [e.message for e in errors]


# -- the document --------------------------------------------------------------------------

def test_the_openapi_document_lists_exactly_the_routes_and_methods_of_the_code(app, openapi):
    introspector = app.app.registry.introspector
    routes = {}
    for intr in introspector.get_category("routes"):
        route = intr["introspectable"]
        if route["pattern"].startswith(API + "/"):
            routes[route["name"]] = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route["pattern"])
    in_code = {path: set() for path in routes.values()}
    for intr in introspector.get_category("views"):
        view = intr["introspectable"]
        if view["route_name"] in routes:
            methods = view["request_methods"]
            if methods is None:  # the 405 answer for any other method
                continue
            methods = [methods] if isinstance(methods, str) else methods
            in_code[routes[view["route_name"]]].update(m.lower() for m in methods)
    in_document = {path: {m for m in ops if m != "parameters"}
                   for path, ops in openapi["paths"].items()}
    assert in_code == in_document
    # The 405 answers name the same methods.
    from portal.api import ROUTE_METHODS

    for name, path in routes.items():
        if name in ROUTE_METHODS:
            assert {m.lower() for m in ROUTE_METHODS[name]} - {"head"} == in_code[path], name
    assert openapi["openapi"].startswith("3.")
    Draft202012Validator.check_schema({"$defs": openapi["components"]["schemas"]})


def test_the_document_describes_the_csrf_header_on_unsafe_operations(openapi):
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            if method in ("post", "put", "patch", "delete"):
                names = [p["name"] for p in op["parameters"]]
                assert "X-CSRF-Token" in names, (path, method)
    assert openapi["components"]["securitySchemes"]["csrfToken"]["name"] == "X-CSRF-Token"


def test_answers_validate_against_the_document(app, browser, openapi):
    browser.put(MINE, {"stars": 4})
    created = browser.post(COMMENTS, {"body": "hello", "stamp": browser.stamp()}).json
    validate(openapi, "Comment", created)
    browser.post(COMMENTS, {"body": "reply", "stamp": browser.stamp(), "parent": created["id"],
                            "name": "Ann"})
    validate(openapi, "CommentList", app.get(COMMENTS).json)
    validate(openapi, "RatingSummary", app.get(RATING).json)
    validate(openapi, "MyRating", app.get(MINE).json)
    validate(openapi, "CSRFToken", app.get(f"{API}/csrf").json)
    bad = browser.post(COMMENTS, {"body": 1}, status=400).json
    validate(openapi, "Error", bad)
    validate(openapi, "Error", app.get(f"{API}/pages/nope/comments", status=404).json)


# -- comments ------------------------------------------------------------------------------

def test_posting_a_comment_and_a_reply(app, browser):
    answer = browser.post(COMMENTS, {"body": "Hi *there*", "stamp": browser.stamp(),
                                     "name": "Ann"})
    comment = answer.json
    assert answer.headers["Location"] == f"http://localhost/demo/first/#comment-{comment['id']}"
    assert (comment["html"], comment["author"], comment["pending"]) == (
        "<p>Hi <em>there</em></p>", "Ann", False)
    reply = browser.post(COMMENTS, {"body": "Hello", "stamp": browser.stamp(),
                                    "parent": comment["id"], "name": None}).json
    assert reply["parent"] == comment["id"]
    listing = app.get(COMMENTS).json
    assert listing["count"] == 2
    [thread] = listing["threads"]
    assert thread["id"] == comment["id"] and [r["id"] for r in thread["replies"]] == [reply["id"]]
    # The HTML page shows the same.
    assert "Hi <em>there</em>" in app.get("/demo/first/").text


def test_listing_is_keyset_paginated_both_ways(demo_app):
    app = demo_app(**{"portal.comments.rate_limit": "100"})
    browser = Browser(app)
    ids = [browser.post(COMMENTS, {"body": f"c{i}", "stamp": browser.stamp()}).json["id"]
           for i in range(7)]

    def walk(**params):
        seen, after = [], None
        while True:
            query = dict(params, **({"after": after} if after else {}))
            page = app.get(COMMENTS, params=query).json
            seen.append([t["id"] for t in page["threads"]])
            after = page["next"]
            if after is None:
                return seen

    assert walk(limit=3) == [ids[0:3], ids[3:6], ids[6:7]]
    assert walk(limit=3, sort="newest") == [ids[6:3:-1], ids[3:0:-1], ids[0:1]]
    assert walk() == [ids]


@pytest.mark.parametrize("params, field", [
    ({"sort": "best"}, "sort"),
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"after": "garbage!"}, "after"),
    ({"thread": "first"}, "thread"),
])
def test_bad_listing_parameters_are_named(app, params, field):
    answer = app.get(COMMENTS, params=params, status=400).json
    assert list(answer["fields"]) == [field]


def test_a_long_thread_shows_its_first_replies_and_pages_through_the_rest(demo_app):
    app = demo_app(**{"portal.comments.thread_replies": "3", "portal.comments.rate_limit": "100"})
    browser = Browser(app)
    root = browser.post(COMMENTS, {"body": "root", "stamp": browser.stamp()}).json["id"]
    replies = [browser.post(COMMENTS, {"body": f"r{i}", "stamp": browser.stamp(),
                                       "parent": root}).json["id"] for i in range(7)]
    [thread] = app.get(COMMENTS).json["threads"]
    assert [r["id"] for r in thread["replies"]] == replies[:3] and thread["more_replies"] == 4
    assert "Read the whole thread (4 more replies)" in app.get("/demo/first/").text
    seen, after = [], None
    while True:
        page = app.get(COMMENTS, params={"thread": root, **({"after": after} if after else {})}).json
        seen.append([r["id"] for r in page["threads"][0]["replies"]])
        after = page["next"]
        if after is None:
            break
    assert seen == [replies[0:3], replies[3:6], replies[6:7]]
    # The HTML thread view pages the same way.
    html = app.get("/demo/first/", params={"thread": root}).text
    assert all(f'id="comment-{i}"' in html for i in replies[:3]) and "More replies" in html
    assert app.get(COMMENTS, params={"thread": replies[0]}, status=404).json["fields"] == {
        "thread": "no such thread on this page"}


def test_in_moderation_mode_all_a_posted_comment_is_pending_and_seen_only_by_its_author(demo_app):
    app = demo_app(**{"portal.comments.moderation": "all"})
    browser = Browser(app)
    comment = browser.post(COMMENTS, {"body": "wait for me", "stamp": browser.stamp()}).json
    assert comment["pending"] is True
    mine = app.get(COMMENTS).json
    assert [t["id"] for t in mine["threads"]] == [comment["id"]] and mine["count"] == 0
    assert fresh(app).get(COMMENTS).json["threads"] == []


def test_a_script_without_cookies_needs_no_csrf_token_and_becomes_a_reader(app):
    script = fresh(app)
    stamp = script.get(COMMENTS).json["stamp"]
    assert not script.cookies
    script.post_json(COMMENTS, {"body": "from a script", "stamp": stamp}, status=201)
    assert "portal_reader" in script.cookies
    # Now it carries a cookie, so it is treated like a browser: the token is required.
    answer = script.put_json(MINE, {"stars": 3}, status=403).json
    assert list(answer["fields"]) == ["X-CSRF-Token"]
    token = script.get(f"{API}/csrf").json["csrf_token"]
    script.put_json(MINE, {"stars": 3}, headers={"X-CSRF-Token": token})
    assert script.get(MINE).json["stars"] == 3


def test_cookie_carrying_requests_need_the_right_csrf_token(app, browser):
    stamp = browser.stamp()
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        answer = app.post_json(COMMENTS, {"body": "x", "stamp": stamp}, headers=headers,
                               status=403).json
        assert answer["fields"] == {"X-CSRF-Token": "send the token from GET /api/v1/csrf in "
                                                    "this header"}
        app.put_json(MINE, {"stars": 5}, headers=headers, status=403)
    assert stored(app) == NOTHING


def test_a_request_from_another_origin_is_refused(app, browser):
    answer = app.put_json(MINE, {"stars": 5}, headers={**browser.headers(),
                                                       "Origin": "https://evil.example"},
                          status=403, extra_environ={"wsgi.url_scheme": "https"})
    assert "Origin" in answer.json["fields"]
    assert stored(app) == NOTHING


def test_the_rate_limit_answers_429_with_retry_after(demo_app):
    app = demo_app(**{"portal.comments.rate_limit": "1"})
    browser = Browser(app)
    browser.post(COMMENTS, {"body": "one", "stamp": browser.stamp()})
    answer = browser.post(COMMENTS, {"body": "two", "stamp": browser.stamp()}, status=429)
    assert int(answer.headers["Retry-After"]) > 0 and "client" in answer.json["fields"]
    assert stored(app)["comments"] == 1


# -- bad input: every bad field named, nothing stored ---------------------------------------

@pytest.mark.parametrize("data, fields", [
    ({}, {"body", "stamp"}),
    ({"stamp": "s"}, {"body"}),
    ({"body": 42, "stamp": "s"}, {"body"}),
    ({"body": ["x"], "stamp": None, "name": 7, "parent": "1"}, {"body", "stamp", "name", "parent"}),
    ({"body": "x", "stamp": "s", "color": "red"}, {"color"}),
    ({"body": "x", "stamp": "s", "parent": True}, {"parent"}),
    ({"body": "", "stamp": "STAMP"}, {"body"}),
    ({"body": "x" * 5001, "stamp": "STAMP"}, {"body"}),
    ({"body": "x", "stamp": "STAMP", "name": "n" * 81}, {"name"}),
    ({"body": "x", "stamp": "forged"}, {"stamp"}),
    ({"body": "x", "stamp": "STAMP", "website": "http://spam.example"}, {"website"}),
    ({"body": "[a](http://a.example)[b](http://b.example)[c](http://c.example)"
              "[d](http://d.example)", "stamp": "STAMP"}, {"body"}),
    ({"body": "x", "stamp": "STAMP", "parent": 999999}, {"parent"}),
    ({"body": "", "stamp": "forged", "parent": 999999, "name": "n" * 81},
     {"body", "stamp", "parent", "name"}),
])
def test_bad_comments_name_each_bad_field_and_store_nothing(app, browser, data, fields):
    if data.get("stamp") == "STAMP":
        data = dict(data, stamp=browser.stamp())
    answer = browser.post(COMMENTS, data, status=400).json
    assert set(answer["fields"]) == fields, answer
    assert answer["status"] == 400 and answer["error"]
    assert stored(app) == NOTHING


def test_a_parent_from_another_page_is_refused(app, browser):
    other = browser.post(f"{API}/pages/demo/second/comments",
                         {"body": "elsewhere", "stamp": browser.stamp()}).json
    answer = browser.post(COMMENTS, {"body": "x", "stamp": browser.stamp(),
                                     "parent": other["id"]}, status=400).json
    assert answer["fields"] == {"parent": f"comment {other['id']} is not on this page"}
    assert stored(app)["comments"] == 1


@pytest.mark.parametrize("stars", [0, 6, -1, 4.5, "4", True, None, [4], {"n": 4}])
def test_out_of_range_or_mistyped_stars_are_refused(app, browser, stars):
    answer = browser.put(MINE, {"stars": stars}, status=400).json
    assert list(answer["fields"]) == ["stars"]
    assert stored(app) == NOTHING


def test_missing_and_unknown_rating_fields_are_named(app, browser):
    assert browser.put(MINE, {}, status=400).json["fields"] == {"stars": "is required"}
    answer = browser.put(MINE, {"stars": 3, "weight": 2}, status=400).json
    assert answer["fields"] == {"weight": "unknown field"}
    assert stored(app) == NOTHING


@pytest.mark.parametrize("url", [f"{API}/pages/nope/comments", f"{API}/pages/demo/nope/rating",
                                 f"{API}/pages/demo/first.md/rating/mine",
                                 f"{API}/pages/demo/index/comments"])
def test_an_unknown_page_is_a_404_naming_the_key(app, browser, url):
    assert app.get(url, status=404).json["fields"] == {"key": "no such page"}
    if url.endswith("comments"):
        browser.post(url, {"body": "x", "stamp": browser.stamp()}, status=404)
    else:
        browser.put(url if url.endswith("mine") else url + "/mine", {"stars": 3}, status=404)
    assert stored(app) == NOTHING


def test_bodies_that_are_not_json_objects_are_refused(app, browser):
    headers = {**browser.headers(), "Content-Type": "application/json"}
    cases = [
        (b"\xff\xfe{}", 400, "body", "invalid UTF-8"),
        (b'{"stars": 4', 400, "body", ""),
        (b"[4]", 400, "body", "must be an object"),
        (b'{"stars": 4}' + b" " * 70000, 413, "body", "larger than"),
    ]
    for raw, status, field, text in cases:
        answer = app.put(MINE, raw, headers=headers, status=status).json
        assert list(answer["fields"]) == [field] and text in answer["fields"][field]
    answer = app.put(MINE, b'{"stars": 4}', headers={**browser.headers(),
                                                      "Content-Type": "text/plain"}, status=415)
    assert list(answer.json["fields"]) == ["Content-Type"]
    assert stored(app) == NOTHING


# -- ratings -------------------------------------------------------------------------------

def test_rating_summary_and_own_rating(app, browser):
    assert app.get(RATING).json == {"page": "demo/first", "count": 0, "mean": None, "mine": None,
                                    "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}
    assert app.get(MINE).json == {"page": "demo/first", "stars": None}
    summary = browser.put(MINE, {"stars": 5}).json
    assert (summary["count"], summary["mean"], summary["mine"]) == (1, 5.0, 5)
    summary = browser.put(MINE, {"stars": 2}).json
    assert (summary["count"], summary["mean"], summary["mine"]) == (1, 2.0, 2)
    other = Browser(fresh(app, "192.0.2.71"))
    summary = other.put(MINE, {"stars": 4}).json
    assert summary["histogram"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0}
    assert summary["mean"] == 3.0 and summary["mine"] == 4
    assert app.get(MINE).json["stars"] == 2
    assert app.get(f"{API}/pages/demo/rating").json["count"] == 0  # the section's own page


def test_other_methods_are_405_naming_the_allowed_ones(app, browser):
    answer = app.delete(COMMENTS, headers=browser.headers(), status=405)
    assert answer.headers["Allow"] == "GET, HEAD, POST" and answer.json["status"] == 405
    assert app.post_json(RATING, {"stars": 3}, headers=browser.headers(),
                         status=405).headers["Allow"] == "GET, HEAD"
    assert stored(app) == NOTHING


def test_unknown_api_paths_are_json_404s(app):
    answer = app.get(f"{API}/nothing-here", status=404).json
    assert answer == {"error": "not found", "status": 404, "fields": {}}


def test_a_moderator_posting_through_the_api_skips_the_queue(demo_app):
    """The API's page routes have a route factory, so ``request.root`` is the page there;
    the rules that ask about the site (may this person moderate?) use ``request.site_root``.
    Reaching for the site through ``request.root`` would break this request."""
    from portal.moderation.models import Moderator
    from portal.moderation.passwords import hash_password

    app = demo_app(**{"portal.comments.moderation": "all"})
    with session_of(app) as s:
        s.add(Moderator(name="mod", password_hash=hash_password("correct horse battery")))
        s.commit()
    login = app.get("/-/moderation/@@login").forms["login-form"]
    login["name"], login["password"] = "mod", "correct horse battery"
    login.submit(status=303)
    moderator = Browser(app)
    posted = moderator.post(COMMENTS, {"body": "From the moderator.", "stamp": moderator.stamp()})
    assert posted.json["pending"] is False and posted.json["moderator"] is True
    reader = Browser(fresh(app))
    posted = reader.post(COMMENTS, {"body": "From a reader.", "stamp": reader.stamp()})
    assert posted.json["pending"] is True
