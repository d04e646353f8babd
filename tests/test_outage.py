"""Health, readiness and a real database outage: the portal points at PostgreSQL through a
TCP proxy that the test stops (the database becomes unreachable) and starts again."""

import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from portal.moderation.models import Moderator
from portal.moderation.passwords import hash_password
from portal.testing import with_token


class TcpProxy:
    """127.0.0.1:<port> -> ``upstream``; ``stop()`` refuses new connections and cuts the
    open ones (as a database host going away does), ``start()`` serves again on the
    same port."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.port = None
        self.listener = None
        self.conns = []
        self.lock = threading.Lock()
        self.frozen = False
        # Round trips left unanswered while frozen (a connection accepted, or data
        # swallowed): a test waits on this instead of guessing how long a client takes.
        self.silenced = 0
        self.silence = threading.Condition()

    def freeze(self):
        """Go silent, as a hung host does: connections are accepted and kept open, what
        is sent is swallowed, nothing ever comes back."""
        self.frozen = True

    def wait_silenced(self, count, timeout=10.0):
        """Whether ``count`` round trips have gone unanswered since the freeze."""
        with self.silence:
            return self.silence.wait_for(lambda: self.silenced >= count, timeout)

    def _silenced(self):
        with self.silence:
            self.silenced += 1
            self.silence.notify_all()

    def thaw(self):
        """Answer again; the connections that went silent are cut (as a recovering host's
        are), so clients reconnect."""
        self.frozen = False
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self.conns.clear()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self.conns.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self.frozen:
                with self.lock:
                    self.conns.append(client)
                self._silenced()
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source, dest):
        try:
            while data := source.recv(65536):
                if not self.frozen:
                    dest.sendall(data)
                else:
                    self._silenced()
        except OSError:
            pass
        finally:
            for sock in (source, dest):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def proxied_postgres(postgres_url):
    url = sa.engine.make_url(postgres_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.stop()


def test_healthz_answers_while_the_process_runs(portal_app):
    response = portal_app.get("/healthz")
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ok_with_a_database_and_sections(portal_app):
    assert portal_app.get("/readyz").json == {
        "status": "ok", "checks": {"database": "ok", "plugins": "ok"}}


def test_readyz_is_503_when_every_plugin_failed(portal_app_factory, installed_plugin):
    installed_plugin("broken", {"portal_broken/__init__.py": "raise ImportError('no luck')\n"})
    response = portal_app_factory(plugins=["broken"]).get("/readyz", status=503)
    assert response.json == {"status": "unavailable",
                             "checks": {"database": "ok", "plugins": "failed"}}


def test_readyz_tells_strangers_what_failed_but_not_why(portal_app_factory, caplog):
    app = portal_app_factory(**{"sqlalchemy.url": "postgresql+psycopg://nobody@127.0.0.1:9/x",
                                "portal.db.connect_timeout": "2"})
    response = app.get("/readyz", status=503)
    assert response.json == {"status": "unavailable",
                             "checks": {"database": "failed", "plugins": "ok"}}
    assert "127.0.0.1" not in response.text and "OperationalError" not in response.text
    # The reason is in the log, for the operator.
    assert "database unreachable: OperationalError" in caplog.text and "port 9" in caplog.text


def test_readyz_tells_a_moderator_why(portal_app_factory, installed_plugin):
    installed_plugin("broken", {"portal_broken/__init__.py": "raise ImportError('no luck')\n"})
    app = portal_app_factory(plugins=["broken"])
    stranger = app.get("/readyz", status=503).json
    assert "reasons" not in stranger and "no luck" not in str(stranger)
    log_in(app)  # the moderation screens need no section
    told = app.get("/readyz", status=503).json
    assert "no section loaded (failed plugins: broken)" in told["reasons"][0]


@pytest.mark.postgresql
def test_a_database_outage_keeps_pages_and_recovers_without_restart(portal_app_factory,
                                                                     proxied_postgres):
    proxy, url = proxied_postgres
    app = portal_app_factory(**{"sqlalchemy.url": url, "portal.db.connect_timeout": "2"})
    assert app.get("/readyz").json["status"] == "ok"
    page = app.get("/guide/")

    proxy.stop()
    down = app.get("/readyz", status=503)
    assert down.json["checks"]["database"] == "failed"
    # Reading goes on: content does not live in the database; the discussion is replaced
    # by a notice.
    reduced = app.get("/guide/")
    assert reduced.headers["Cache-Control"] == "no-store"
    assert "Comments and ratings are unavailable" in reduced.text
    assert reduced.html.select_one(".doc__body") == page.html.select_one(".doc__body")
    assert page.html.find(id="comments") is not None
    assert reduced.html.find(id="comments") is None
    # A write gets a clear 503 that gives the reader their text back.
    form = with_token(app, page.forms["comment-form"])
    form["body"] = "A comment written while the database was away."
    form["name"] = "Ada"
    refused = form.submit(status=503)
    assert refused.headers["Retry-After"]
    assert "nothing was saved" in refused.text
    assert refused.html.find("textarea", string="A comment written while the database was away.")
    home = app.get("/")
    assert "Ratings are unavailable" in home.text
    assert home.html.select_one(".site-nav a")

    proxy.start()
    assert app.get("/readyz").json["status"] == "ok"  # the same process, no restart
    assert app.get("/guide/").html.find(id="comments") is not None
    form = with_token(app, app.get("/guide/").forms["comment-form"])
    form["body"] = "Back again."
    form["name"] = "Ada"
    form.submit()
    assert "Back again." in app.get("/guide/").text


def test_a_locked_sqlite_database_is_a_conflict_not_an_outage():
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from portal.ops.outage import is_outage

    locked = OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked"))
    gone = OperationalError("SELECT 1", {}, sqlite3.OperationalError("unable to open database file"))
    assert not is_outage(locked)  # portal.retry replays it
    assert is_outage(gone)


def log_in(app, name="mod", password="correct horse battery"):
    with app.app.registry["dbsession_factory"]() as s:
        s.add(Moderator(name=name, password_hash=hash_password(password)))
        s.commit()
    form = app.get("/-/moderation/@@login").forms["login-form"]
    form["name"], form["password"] = name, password
    form.submit(status=303)


@pytest.mark.postgresql
def test_a_moderator_and_every_form_post_degrade_like_a_reader_during_an_outage(
        portal_app_factory, proxied_postgres):
    proxy, url = proxied_postgres
    app = portal_app_factory(**{"sqlalchemy.url": url, "portal.db.connect_timeout": "2"})
    log_in(app)
    assert "Logged in as" in app.get("/-/moderation/").text
    page = app.get("/guide/")
    form = with_token(app, page.forms["comment-form"])

    proxy.stop()
    # The moderator reads the documentation as a reader does (it was a bare 500).
    reduced = app.get("/guide/")
    assert reduced.status_int == 200 and "Comments and ratings are unavailable" in reduced.text
    # The moderation screens say why they cannot be shown.
    queue = app.get("/-/moderation/", status=503)
    assert "nothing was saved" in queue.text and queue.headers["Retry-After"]
    # A post that breaks a rule (no stamp) shows the text back with a 503, not a 500.
    form["stamp"] = ""
    form["body"] = "Written during the outage, with a stale form."
    refused = form.submit(status=503)
    assert refused.html.find("textarea", string="Written during the outage, with a stale form.")
    # The feed cannot be read: 503, not the HTML page with 200.
    feed = app.get("/guide/@@feed", status=503)
    assert feed.headers["Retry-After"] and "<feed" not in feed.text

    proxy.start()
    assert "Logged in as" in app.get("/-/moderation/").text  # the session survived


@pytest.mark.postgresql
def test_a_silent_database_costs_a_request_seconds_and_healthz_nothing(portal_app_factory,
                                                                       proxied_postgres, serve):
    """The proxy goes silent (accepts, swallows, never answers): every wait on the
    database is bounded, so requests get their 503 within the timeouts and /healthz,
    which never touches the database, answers at once while they wait."""
    proxy, url = proxied_postgres
    timeouts = {"portal.db.connect_timeout": "2", "portal.db.statement_timeout": "1",
                "portal.db.pool_timeout": "2"}
    app = portal_app_factory(**{"sqlalchemy.url": url, **timeouts})
    base = serve(app.app, threads=8)
    assert app.get("/readyz").json["status"] == "ok"  # the pool holds a connection

    proxy.freeze()
    # The bound: the pooled connection's ping (statement timeout + 1 s of grace), then a
    # new connection (the connect timeout): about 4 s here; the hang was 40 s before.
    bound = (1 + 1) + 2 + 3

    def timed(path):
        start = time.monotonic()
        try:
            with urllib.request.urlopen(base + path, timeout=60) as resp:
                status = resp.status
        except urllib.error.HTTPError as err:
            status = err.code
        return status, time.monotonic() - start

    with ThreadPoolExecutor(max_workers=4) as pool:
        waiting = [pool.submit(timed, path) for path in
                   ("/guide/@@feed", "/-/comments.atom", "/readyz", "/api/v1/pages/guide/rating")]
        # Each request's first round trip to the database now goes unanswered.
        assert proxy.wait_silenced(len(waiting)), proxy.silenced
        status, took = timed("/healthz")
        assert (status, took < 1) == (200, True), took
        answers = [f.result() for f in waiting]
    assert [status for status, _ in answers] == [503] * 4, answers
    assert all(took < bound for _, took in answers), answers

    proxy.thaw()
    # The silent connections are cut; the pool's ping finds them dead and reconnects, so
    # the very next request recovers, without a restart.
    assert app.get("/readyz").json["status"] == "ok"
    assert app.get("/api/v1/pages/guide/rating").json["count"] == 0
