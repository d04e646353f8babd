"""Many readers at once, over real HTTP (waitress serving the application in a thread on
127.0.0.1) against PostgreSQL: concurrent ratings end with exactly one row per reader and
the right histogram, concurrent comment posts are all stored and none twice."""

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from portal.discussion.models import Comment, Rating

pytestmark = pytest.mark.postgresql

SETTINGS = {
    "portal.plugins.only": "demo",
    "portal.comments.min_seconds": "0",
    "portal.comments.rate_limit": "100000",
    "portal.ratings.rate_limit": "100000",
}


class Client:
    """One browser: its own cookies (session, reader) and CSRF token."""

    def __init__(self, base):
        self.base = base
        self.cookies = {}
        self.token = self.call("GET", "/api/v1/csrf")[1]["csrf_token"]

    def call(self, method, path, data=None):
        headers = {"Accept": "application/json"}
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if method != "GET":
                headers["X-CSRF-Token"] = self.token
        request = urllib.request.Request(self.base + path, data=body, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                status, raw, got = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as err:
            status, raw, got = err.code, err.read(), err.headers
        for header in got.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return status, json.loads(raw)


@pytest.fixture
def live(demo_app, serve):
    """The demo site on PostgreSQL, served over HTTP with 16 waitress threads."""
    app = demo_app(**SETTINGS)
    return app, serve(app.app, threads=16)


def together(jobs, workers):
    """Run ``jobs`` (callables) from ``workers`` threads released at the same moment."""
    start = threading.Barrier(workers)

    def run(job):
        start.wait(timeout=60)
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, jobs))


def session_of(app):
    return app.app.registry["dbsession_factory"]()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_fifty_concurrent_ratings_leave_one_row_per_reader_and_the_right_histogram(live):
    app, base = live
    readers = [Client(base) for _ in range(30)]
    # Each reader rated another page once, so they carry their reader cookie.
    for reader in readers:
        assert reader.call("PUT", "/api/v1/pages/demo/second/rating/mine", {"stars": 3})[0] == 200
        assert "portal_reader" in reader.cookies
    wanted = {i: 1 + i % 5 for i in range(30)}
    # 50 requests at once: readers 0-19 send two each (the same reader racing itself),
    # readers 20-29 one each.
    jobs = []
    for i, reader in enumerate(readers):
        for _ in range(2 if i < 20 else 1):
            jobs.append(lambda r=reader, s=wanted[i]: r.call(
                "PUT", "/api/v1/pages/demo/first/rating/mine", {"stars": s}))
    assert len(jobs) == 50
    answers = together(jobs, workers=50)
    assert [status for status, _ in answers] == [200] * 50, answers
    with session_of(app) as s:
        rows = s.execute(sa.select(Rating.reader_key, Rating.stars)
                         .where(Rating.page_key == "demo/first")).all()
    assert len(rows) == 30 and len({key for key, _ in rows}) == 30
    expected = {str(n): sum(1 for v in wanted.values() if v == n) for n in range(1, 6)}
    summary = readers[0].call("GET", "/api/v1/pages/demo/first/rating")[1]
    assert summary["count"] == 30 and summary["histogram"] == expected
    for i, reader in enumerate(readers):
        assert reader.call("GET", "/api/v1/pages/demo/first/rating/mine")[1]["stars"] == wanted[i]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_five_hundred_concurrent_comment_posts_are_all_stored_once(live):
    app, base = live
    clients = [Client(base) for _ in range(50)]

    def stamp():  # a stamp is good for one comment
        return clients[0].call("GET", "/api/v1/csrf")[1]["stamp"]

    root = clients[0].call("POST", "/api/v1/pages/demo/first/comments",
                           {"body": "the thread", "stamp": stamp()})[1]["id"]
    jobs = []
    for c, client in enumerate(clients):
        for n in range(10):
            body = f"comment {c}-{n}"
            parent = root if n % 2 else None  # half of them replies to one thread
            jobs.append(lambda cl=client, b=body, p=parent, s=stamp(): cl.call(
                "POST", "/api/v1/pages/demo/first/comments",
                {"body": b, "stamp": s, "parent": p}))
    answers = together(jobs, workers=50)
    assert [status for status, _ in answers] == [201] * 500, [a for a in answers if a[0] != 201][:3]
    ids = [body["id"] for _, body in answers]
    assert len(set(ids)) == 500
    with session_of(app) as s:
        bodies = s.scalars(sa.select(Comment.body_source)
                           .where(Comment.body_source.startswith("comment "))).all()
        replies = s.scalar(sa.select(sa.func.count()).where(Comment.parent_id == root))
    assert len(bodies) == 500 and len(set(bodies)) == 500
    assert set(bodies) == {f"comment {c}-{n}" for c in range(50) for n in range(10)}
    assert replies == 250
    # Every comment is reachable through the paginated listing, once.
    seen, after = [], None
    while True:
        query = f"?limit=100&after={after}" if after else "?limit=100"
        page = clients[1].call("GET", "/api/v1/pages/demo/first/comments" + query)[1]
        for thread in page["threads"]:
            seen.append(thread["id"])
            if thread["more_replies"]:  # a long thread: read its replies page by page
                seen.extend(read_thread(clients[1], thread["id"]))
            else:
                seen.extend(r["id"] for r in thread["replies"])
        after = page["next"]
        if after is None:
            break
    assert sorted(seen) == sorted(ids + [root])


def read_thread(client, root):
    found, after = [], None
    while True:
        query = f"?thread={root}" + (f"&after={after}" if after else "")
        page = client.call("GET", "/api/v1/pages/demo/first/comments" + query)[1]
        [thread] = page["threads"]
        found.extend(r["id"] for r in thread["replies"])
        after = page["next"]
        if after is None:
            return found


# -- abuse limits under concurrency, from one address (issue 12) ----------------------------

def plain_call(base, method, path, data=None, headers=None):
    """One request from a client without cookies (a script): a new reader every time."""
    body = None if data is None else (json.dumps(data).encode() if isinstance(data, dict)
                                      else data)
    request = urllib.request.Request(base + path, data=body, method=method,
                                     headers={"Accept": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_hundred_parallel_ratings_from_one_address_store_no_more_than_the_limit(demo_app,
                                                                                  serve):
    app = demo_app(**{**SETTINGS, "portal.ratings.rate_limit": "10"})
    base = serve(app.app, threads=16)
    jobs = [lambda: plain_call(base, "PUT", "/api/v1/pages/demo/first/rating/mine",
                               {"stars": 5}, {"Content-Type": "application/json"})] * 100
    statuses = together(jobs, workers=50)
    with session_of(app) as s:
        stored = s.scalar(sa.select(sa.func.count()).select_from(Rating))
    print(f"\nratings from one address: 100 sent, {statuses.count(200)} accepted, "
          f"{statuses.count(429)} refused (429), {stored} stored")
    assert stored == 10 and statuses.count(200) == 10 and statuses.count(429) == 90


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sixty_parallel_wrong_passwords_from_one_address_check_exactly_the_limit(demo_app,
                                                                                 serve):
    from portal.moderation.models import Moderator
    from portal.moderation.passwords import hash_password

    app = demo_app(**{**SETTINGS, "portal.login.rate_limit": "10",
                      "portal.login.account_limit": "1000"})
    with session_of(app) as s:
        s.add(Moderator(name="mod", password_hash=hash_password("correct horse battery")))
        s.commit()
    base = serve(app.app, threads=16)
    csrf = Client(base)  # a browser's CSRF cookie and token, shared by every attempt
    cookie = "; ".join(f"{k}={v}" for k, v in csrf.cookies.items())

    def attempt(i):
        body = urlencode({"csrf_token": csrf.token, "name": "mod",
                          "password": f"wrong guess {i}", "came_from": ""}).encode()
        return plain_call(base, "POST", "/-/moderation/@@login", body,
                          {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})

    statuses = together([lambda i=i: attempt(i) for i in range(60)], workers=60)
    print(f"\nlogins from one address: 60 sent, {statuses.count(400)} passwords checked, "
          f"{statuses.count(429)} refused (429)")
    assert statuses.count(400) == 10 and statuses.count(429) == 50, statuses
