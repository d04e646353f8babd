"""Rate limits that hold across processes and restarts: each event of a client (a comment
posted, a failed login) is a row in ``client_events``, counted over a sliding window inside the
request's transaction."""

import datetime

from sqlalchemy import delete, func, select, text

from .models import ClientEvent


def _lock_client(request, who):
    if request.dbsession.get_bind().dialect.name == "postgresql":
        request.dbsession.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                                  {"k": int(who[:15], 16)})


def count_recent(request, kind, window):
    """How many ``kind`` events this client has in the last ``window`` seconds, and the
    seconds until the oldest of them leaves the window."""
    who = request.client_key
    now = request.clock.utcnow()
    since = now - datetime.timedelta(seconds=window)
    count, oldest = request.dbsession.execute(
        select(func.count(), func.min(ClientEvent.created_at)).where(
            ClientEvent.kind == kind, ClientEvent.client_hash == who,
            ClientEvent.created_at >= since)
    ).one()
    wait = max(1, int(window - (now - oldest).total_seconds()) + 1) if count else 0
    return count, wait


def record(request, kind, window):
    """Write one ``kind`` event for this client (and drop its events older than
    ``window``, which no limit reads any more)."""
    who = request.client_key
    now = request.clock.utcnow()
    _lock_client(request, who)
    request.dbsession.execute(delete(ClientEvent).where(
        ClientEvent.kind == kind, ClientEvent.client_hash == who,
        ClientEvent.created_at < now - datetime.timedelta(seconds=window)))
    request.dbsession.add(ClientEvent(kind=kind, client_hash=who, created_at=now))
    request.dbsession.flush()


def over_limit(request, kind, limit, window):
    """Record one ``kind`` event for this client and return the seconds to wait if that
    makes more than ``limit`` in the last ``window`` seconds (None when within).

    The event is written first and counted after, inside the request's transaction: the
    caller raises when over the limit, which aborts the transaction and the event with
    it. On PostgreSQL a transaction-scoped advisory lock per client serialises the
    count, so concurrent requests of one client cannot all slip under the limit (SQLite
    has one writer at a time anyway)."""
    record(request, kind, window)
    count, wait = count_recent(request, kind, window)
    return wait if count > limit else None
