"""Rate limits that hold across processes, restarts and concurrent requests: each event (a
comment posted, a failed login, a rating) is a row in ``client_events`` keyed by who made it
(``request.client_key``, the HMAC of the client's address, or another key such as a reader
or an account), counted over a sliding window inside the request's transaction.

Counting and recording are atomic per key: ``lock`` is taken first (PostgreSQL: a
transaction-scoped advisory lock per key; SQLite: the database's one write lock), so
concurrent requests of one client wait for each other instead of all slipping under a
limit. Whoever raises over a limit aborts the transaction, the event with it."""

import datetime
import hashlib
import hmac

from sqlalchemy import delete, func, select, text

from .models import ClientEvent


def keyed(request, purpose, value):
    """``value`` keyed with the site secret: countable, not readable from the table."""
    key = request.registry.settings["portal.secret"].encode("utf-8")
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def lock(request, *keys, dbsession=None):
    """Serialise this transaction with every other one counting for ``keys`` (always taken
    in the order given, so two requests never wait for each other in a circle)."""
    dbsession = dbsession or request.dbsession
    if dbsession.get_bind().dialect.name == "postgresql":
        for key in keys:
            digest = int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)
            dbsession.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": digest})
    else:
        # A write that changes nothing takes SQLite's write lock until the commit.
        dbsession.execute(delete(ClientEvent).where(text("1 = 0")))


def count_recent(request, kind, window, who=None, dbsession=None):
    """How many ``kind`` events ``who`` (this client) has in the last ``window`` seconds,
    and the seconds until the oldest of them leaves the window."""
    who = who or request.client_key
    now = request.clock.utcnow()
    since = now - datetime.timedelta(seconds=window)
    count, oldest = (dbsession or request.dbsession).execute(
        select(func.count(), func.min(ClientEvent.created_at)).where(
            ClientEvent.kind == kind, ClientEvent.client_hash == who,
            ClientEvent.created_at >= since)
    ).one()
    wait = max(1, int(window - (now - oldest).total_seconds()) + 1) if count else 0
    return count, wait


def latest(request, kind, who, dbsession=None):
    """When ``who``'s latest ``kind`` event happened (None if never)."""
    return (dbsession or request.dbsession).scalar(select(func.max(ClientEvent.created_at)).where(
        ClientEvent.kind == kind, ClientEvent.client_hash == who))


def record(request, kind, window, who=None, dbsession=None):
    """Write one ``kind`` event for ``who`` (this client), dropping their events older
    than ``window``, which no limit reads any more."""
    who = who or request.client_key
    dbsession = dbsession or request.dbsession
    now = request.clock.utcnow()
    dbsession.execute(delete(ClientEvent).where(
        ClientEvent.kind == kind, ClientEvent.client_hash == who,
        ClientEvent.created_at < now - datetime.timedelta(seconds=window)))
    dbsession.add(ClientEvent(kind=kind, client_hash=who, created_at=now))
    dbsession.flush()


def forget(request, kind, who, at=None):
    """Drop ``who``'s ``kind`` events (only the one made ``at`` that moment, if given)."""
    stmt = delete(ClientEvent).where(ClientEvent.kind == kind, ClientEvent.client_hash == who)
    if at is not None:
        stmt = stmt.where(ClientEvent.id == select(func.max(ClientEvent.id)).where(
            ClientEvent.kind == kind, ClientEvent.client_hash == who,
            ClientEvent.created_at == at).scalar_subquery())
    request.dbsession.execute(stmt)


def over_limit(request, kind, limit, window, who=None, dbsession=None):
    """Record one ``kind`` event for ``who`` (this client) and return the seconds to wait
    if that makes more than ``limit`` in the last ``window`` seconds (None when within).
    The caller raises (or rolls back) when over the limit, so the event goes too."""
    who = who or request.client_key
    lock(request, who, dbsession=dbsession)
    record(request, kind, window, who, dbsession=dbsession)
    count, wait = count_recent(request, kind, window, who, dbsession=dbsession)
    return wait if count > limit else None
