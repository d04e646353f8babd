"""Server-side sessions: the ``portal_session`` cookie holds a random token and nothing else;
the session (who is logged in, flash messages) is a row of ``sessions`` keyed by the
token's SHA-256.

- A session ends when its row goes: logout, a new password (``set_password``), ``portal
  moderator revoke NAME``, or a timeout: ``portal.sessions.idle_timeout`` seconds without a
  request, ``portal.sessions.absolute_timeout`` seconds after the login, whatever happens.
- Readers stay cookie-light: nothing here runs for a request without the cookie, and a
  session (a row and a cookie) is made only when something is stored in it (a login).
- The row is read in a short database session of its own, so a database outage while a
  moderator reads a page leaves the request's transaction untouched: the moderator is
  served as a reader is (``portal.ops.outage``), and ``unavailable`` says why.

``DatabaseSession`` implements Pyramid's ``ISession`` (``request.session``), so plugins that
keep something in the session keep working.
"""

import datetime
import hashlib
import json
import logging
import secrets

from pyramid.interfaces import ISession
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from zope.interface import implementer

from .models import Moderator, ServerSession

log = logging.getLogger(__name__)

COOKIE = "portal_session"
TOUCH_EVERY = 60  # seconds: last_seen_at is written at most this often per session


def token_hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def revoke_sessions(dbsession, moderator_id, keep=None):
    """End every session of a moderator (but ``keep``, a session id); how many ended."""
    stmt = delete(ServerSession).where(ServerSession.moderator_id == moderator_id)
    if keep is not None:
        stmt = stmt.where(ServerSession.id != keep)
    return dbsession.execute(stmt).rowcount


def set_password(dbsession, moderator, password):
    """The one way a moderator gets a new password: hashed, and every session ended."""
    from .passwords import hash_password

    moderator.password_hash = hash_password(password)
    dbsession.flush()
    return revoke_sessions(dbsession, moderator.id)


@implementer(ISession)
class DatabaseSession(dict):
    """``request.session``: a dict whose changes are written to the session's row in the
    request's transaction (committed or aborted with the rest of the request)."""

    def __init__(self, request):
        super().__init__()
        self.request = request
        self.id = None  # the row's key; None: no session (nothing stored yet)
        self.moderator = None  # a detached Moderator when logged in
        self.unavailable = False  # the database could not be asked
        self.created = request.clock.time()
        self.new = True
        self._row = None
        token = request.cookies.get(COOKIE)
        if token:
            self._load(token)

    # -- reading -----------------------------------------------------------------------

    @property
    def moderator_id(self):
        return self.moderator.id if self.moderator is not None else None

    def _settings(self):
        return self.request.registry.settings

    def _load(self, token):
        request = self.request
        if len(token) > 100:
            self._drop_cookie()
            return
        ident = token_hash(token)
        now = request.clock.utcnow()
        try:
            with request.registry["dbsession_factory"]() as db:
                row = db.get(ServerSession, ident)
                moderator = db.get(Moderator, row.moderator_id) if row and row.moderator_id else None
                if row is not None and self._expired(row, now):
                    db.delete(row)
                    db.commit()
                    row = None
                if row is not None:
                    data, created, seen = row.data, row.created_at, row.last_seen_at
        except SQLAlchemyError as exc:
            # The database is out: serve this request as a reader's (the cookie stays).
            log.warning("session not read: %s", type(exc).__name__)
            self.unavailable = True
            return
        if row is None or (row.moderator_id is not None and moderator is None):
            self._drop_cookie()
            return
        self.id = ident
        self.moderator = moderator
        self.new = False
        self.created = created.replace(tzinfo=datetime.UTC).timestamp()
        try:
            dict.update(self, json.loads(data or "{}"))
        except ValueError:
            pass
        if (now - seen).total_seconds() > TOUCH_EVERY:
            self._db_row().last_seen_at = now

    def _expired(self, row, now):
        settings = self._settings()
        idle = (now - row.last_seen_at).total_seconds()
        age = (now - row.created_at).total_seconds()
        return idle > settings["portal.sessions.idle_timeout"] or \
            age > settings["portal.sessions.absolute_timeout"]

    # -- writing -----------------------------------------------------------------------

    def _db_row(self):
        """This session's row in the request's transaction (made if there is none)."""
        if self._row is not None:
            return self._row
        dbsession = self.request.dbsession
        if self.id is not None:
            self._row = dbsession.get(ServerSession, self.id)
        if self._row is None:
            token = secrets.token_urlsafe(32)
            now = self.request.clock.utcnow()
            self.id = token_hash(token)
            self._row = ServerSession(id=self.id, moderator_id=self.moderator_id, data="{}",
                                      created_at=now, last_seen_at=now)
            dbsession.add(self._row)
            self._set_cookie(token)
        return self._row

    def changed(self):
        self._db_row().data = json.dumps(dict(self))

    def _cookie_callback(self, callback):
        self.request.add_response_callback(callback)

    def _set_cookie(self, token):
        settings = self._settings()

        def set_cookie(request, response):
            response.set_cookie(COOKIE, token, max_age=settings["portal.sessions.absolute_timeout"],
                                path="/", secure=settings["portal.cookies.secure"], httponly=True,
                                samesite="Lax")

        self._cookie_callback(set_cookie)

    def _drop_cookie(self):
        self._cookie_callback(lambda request, response: response.delete_cookie(COOKIE, path="/"))

    def login(self, moderator):
        """A new session for ``moderator`` (never the one the browser came with: no
        fixation), and expired sessions of theirs cleared away."""
        self.invalidate()
        self.moderator = moderator
        self._db_row()
        self._sweep(moderator.id)

    def _sweep(self, moderator_id):
        settings = self._settings()
        now = self.request.clock.utcnow()
        idle = now - datetime.timedelta(seconds=settings["portal.sessions.idle_timeout"])
        born = now - datetime.timedelta(seconds=settings["portal.sessions.absolute_timeout"])
        self.request.dbsession.execute(delete(ServerSession).where(
            ServerSession.moderator_id == moderator_id,
            (ServerSession.last_seen_at < idle) | (ServerSession.created_at < born)))

    def invalidate(self):
        if self.id is not None:
            self.request.dbsession.execute(delete(ServerSession).where(ServerSession.id == self.id))
            if self._row is not None:
                self.request.dbsession.expunge(self._row)
            self._drop_cookie()
        self.clear()
        self.id = self._row = self.moderator = None
        self.new = True

    # -- ISession's dict methods that change it ------------------------------------------

    def _changes(name):  # noqa: N805  (a decorator factory used in the class body)
        def method(self, *args, **kw):
            result = getattr(dict, name)(self, *args, **kw)
            self.changed()
            return result

        method.__name__ = name
        return method

    __setitem__ = _changes("__setitem__")
    __delitem__ = _changes("__delitem__")
    pop = _changes("pop")
    popitem = _changes("popitem")
    setdefault = _changes("setdefault")
    update = _changes("update")
    del _changes

    # -- flash messages and the (unused) session CSRF token ------------------------------

    def flash(self, msg, queue="", allow_duplicate=True):
        queued = self.get("_f_" + queue, [])
        if allow_duplicate or msg not in queued:
            self["_f_" + queue] = queued + [msg]

    def pop_flash(self, queue=""):
        if "_f_" + queue not in self:
            return []
        return self.pop("_f_" + queue)

    def peek_flash(self, queue=""):
        return list(self.get("_f_" + queue, []))

    def new_csrf_token(self):
        self["_csrft_"] = token = secrets.token_hex(20)
        return token

    def get_csrf_token(self):
        return self.get("_csrft_") or self.new_csrf_token()


def session_factory(request):
    return DatabaseSession(request)
