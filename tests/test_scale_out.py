"""Two portal processes (waitress, started with pserve as in production) on one PostgreSQL
database, as behind a load balancer: they agree on comments, aggregate concurrent ratings
exactly, and a process stopped mid-load loses no write it acknowledged."""

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.testing import free_port, wait_for_http, write_ini

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]

BIN = Path(sys.executable).parent
SETTINGS = {
    "portal.plugins.only": "guide",  # one section: quicker start-ups, the same code paths
    "portal.comments.moderation": "open",
    "portal.comments.min_seconds": "0",
    "portal.comments.rate_limit": "1000000",
    "portal.ratings.rate_limit": "1000000",  # every reader comes from 127.0.0.1 here
    "portal.ratings.reader_limit": "1000000",
}


def call(url, method="GET", data=None, headers=None, timeout=30):
    """(status, body text, headers); HTTP errors are answers too."""
    body = json.dumps(data).encode() if data is not None else None
    headers = dict(headers or {})
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read().decode(), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers


class Portal:
    def __init__(self, tmp, database_url, name):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ini = write_ini(tmp / f"{name}.ini", self.port, database_url, **SETTINGS)
        self.log = open(tmp / f"{name}.log", "wb")
        self.process = subprocess.Popen([str(BIN / "pserve"), str(ini)], stdout=self.log,
                                        stderr=subprocess.STDOUT)

    def wait(self):
        wait_for_http(self.url + "/healthz", timeout=120, process=self.process)

    def stamp(self, page=None):
        """A form stamp, as a form fetches it (pages carry none; each is good once)."""
        return json.loads(call(f"{self.url}/api/v1/csrf")[1])["stamp"]

    def post_comment(self, page, body, stamp=None):
        return call(f"{self.url}/api/v1/pages/{page}/comments", "POST",
                    {"body": body, "name": "Ada", "stamp": stamp or self.stamp()})

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def two_portals(postgres_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale-out")
    portals = [Portal(tmp, postgres_url, "a"), Portal(tmp, postgres_url, "b")]
    try:
        for portal in portals:
            portal.wait()
        yield portals
    finally:
        for portal in portals:
            portal.stop()


@pytest.fixture(scope="module")
def db(postgres_url):
    engine = sa.create_engine(postgres_url)
    yield engine
    engine.dispose()


def test_a_comment_posted_through_one_is_read_through_the_other(two_portals):
    a, b = two_portals
    status, text, _ = a.post_comment("guide/faq", "Posted through A, read through B.",
                                     a.stamp("guide/faq"))
    assert status == 201, text
    status, text, _ = call(f"{b.url}/api/v1/pages/guide/faq/comments")
    assert status == 200
    assert "Posted through A, read through B." in text
    assert "Posted through A, read through B." in call(f"{b.url}/guide/faq/")[1]


def test_ratings_sent_to_both_at_once_aggregate_exactly(two_portals):
    a, b = two_portals
    page = "guide/habits"
    # 80 new readers at once, half through each process: 1..5 stars in turn.
    jobs = [(a if i % 2 else b, 1 + i % 5) for i in range(80)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(
            lambda job: call(f"{job[0].url}/api/v1/pages/{page}/rating/mine", "PUT",
                             {"stars": job[1]})[0], jobs))
    assert answers == [200] * len(jobs)
    for portal in (a, b):
        summary = json.loads(call(f"{portal.url}/api/v1/pages/{page}/rating")[1])
        assert summary["count"] == 80
        assert summary["histogram"] == {str(s): 16 for s in range(1, 6)}
        assert summary["mean"] == pytest.approx(sum(stars for _, stars in jobs) / 80, abs=0.01)


def test_one_reader_rating_through_both_at_once_has_one_rating(two_portals, db):
    a, b = two_portals
    page = "guide/performance"
    # A reader cookie and a CSRF token, made by A and honoured by B (one secret).
    status, text, headers = call(f"{a.url}/api/v1/csrf")
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie"):
        jar.load(value)
    token = json.loads(text)["csrf_token"]
    status, _, headers = call(f"{a.url}/api/v1/pages/{page}/rating/mine", "PUT", {"stars": 1},
                              {"Cookie": "; ".join(f"{k}={v.value}" for k, v in jar.items()),
                               "X-CSRF-Token": token})
    assert status == 200
    for value in headers.get_all("Set-Cookie"):
        jar.load(value)
    assert "portal_reader" in jar
    cookie = "; ".join(f"{k}={v.value}" for k, v in jar.items())
    jobs = [(a if i % 2 else b, 1 + i % 5) for i in range(40)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(
            lambda job: call(f"{job[0].url}/api/v1/pages/{page}/rating/mine", "PUT",
                             {"stars": job[1]}, {"Cookie": cookie, "X-CSRF-Token": token})[0],
            jobs))
    assert answers == [200] * len(jobs)
    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM ratings WHERE page_key = :k"),
                            {"k": page}).scalar_one()
    assert rows == 1


def test_stopping_one_mid_load_loses_no_acknowledged_write(two_portals, db):
    a, b = two_portals
    page = "guide/why-python"
    acknowledged, failed = [], []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        i = 0
        while not stop.is_set():
            portal = (a, b)[(n + i) % 2]
            body = f"load {n}-{i}: a comment while a process goes away"
            i += 1
            try:
                status, _, _ = portal.post_comment(page, body)
            except OSError:  # refused or cut: the process is gone
                status = None
            with lock:
                (acknowledged if status == 201 else failed).append(body)

    def until(condition, timeout=60):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "the load did not get that far"
            time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    until(lambda: len(acknowledged) >= 30)  # both processes under load
    a.process.kill()  # not a graceful stop: the harshest way for a process to go
    a.process.wait()
    seen = len(acknowledged)
    until(lambda: failed and len(acknowledged) >= seen + 30)  # the survivor carries on
    stop.set()
    for t in threads:
        t.join()

    assert len(acknowledged) > 20 and failed, (len(acknowledged), len(failed))
    with db.connect() as conn:
        stored = set(conn.execute(
            sa.text("SELECT body_source FROM comments WHERE page_key = :k"), {"k": page}).scalars())
    lost = [body for body in acknowledged if body not in stored]
    assert not lost, f"{len(lost)} acknowledged comments are not in the database: {lost[:3]}"
    # The survivor kept serving throughout.
    assert call(f"{b.url}/readyz")[0] == 200
