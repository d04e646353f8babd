"""Health, readiness and a real database outage: the portal points at PostgreSQL through a
TCP proxy that the test stops (the database becomes unreachable) and starts again."""

import socket
import threading

import pytest
import sqlalchemy as sa

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
                dest.sendall(data)
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
    assert response.json["status"] == "unavailable"
    assert "no section loaded (failed plugins: broken)" in response.json["reasons"][0]


def test_readyz_is_503_with_the_reason_when_the_database_is_unreachable(portal_app_factory):
    app = portal_app_factory(**{"sqlalchemy.url": "postgresql+psycopg://nobody@127.0.0.1:9/x",
                                "portal.db.connect_timeout": "2"})
    response = app.get("/readyz", status=503)
    assert response.json["checks"]["plugins"] == "ok"
    assert response.json["checks"]["database"].startswith("database unreachable: OperationalError")


@pytest.mark.postgresql
def test_a_database_outage_keeps_pages_and_recovers_without_restart(portal_app_factory,
                                                                     proxied_postgres):
    proxy, url = proxied_postgres
    app = portal_app_factory(**{"sqlalchemy.url": url, "portal.db.connect_timeout": "2"})
    assert app.get("/readyz").json["status"] == "ok"
    page = app.get("/guide/")

    proxy.stop()
    down = app.get("/readyz", status=503)
    assert "database unreachable" in down.json["reasons"][0]
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
