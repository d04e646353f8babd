"""Transient database errors: retried by pyramid_retry, a 503 if they persist.

pyramid_retry replays a request whose exception provides ``IRetryableError``. pyramid_tm
tags an exception that way only when the transaction says it is retryable; zope.sqlalchemy
says so for PostgreSQL's class 40 errors, but not for SQLite's "database is locked"
(``SQLITE_BUSY``: a writer held the lock past the busy timeout, or a read transaction's
snapshot went stale before it could write). So an exception view here, chosen for any
transient database error — serialization failure (40001), deadlock (40P01), SQLite busy
or locked — marks it retryable itself. Exception views run for errors raised in views and
for errors raised while pyramid_tm commits, and pyramid_retry reads ``request.exception``
after either, so both are replayed. On the last attempt the reader gets a 503 with
``Retry-After`` instead of a 500.
"""

import logging

from pyramid.renderers import render_to_response
from pyramid_retry import is_last_attempt, mark_error_retryable
from sqlalchemy.exc import DBAPIError

from .errors import wants_json
from .predicates import add_boolean_predicate

log = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
SQLITE_TRANSIENT = ("SQLITE_BUSY", "SQLITE_LOCKED")


def is_transient(exc):
    """Whether ``exc`` is a database error that may pass if the request runs again."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    name = getattr(orig, "sqlite_errorname", None) or ""
    if name.startswith(SQLITE_TRANSIENT):
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text


def transient_error(exc, request):
    mark_error_retryable(exc)
    if not is_last_attempt(request):
        log.info("%s %s: transient database error, retrying: %s",
                 request.method, request.path_qs, exc.orig)
        # pyramid_retry discards this response and runs the request again.
        response = request.response
        response.status = 503
        return response
    log.warning("%s %s: transient database error on the last attempt: %s",
                request.method, request.path_qs, exc.orig)
    message = "The database is busy. Nothing was saved; please try again in a moment."
    if wants_json(request):
        response = render_to_response("json", {"error": message, "status": 503}, request)
    else:
        response = render_to_response(
            "error.jinja2", {"status": 503, "title": "Busy", "detail": message}, request)
    response.status = 503
    response.headers["Retry-After"] = "1"
    return response


def includeme(config):
    add_boolean_predicate(config, "transient_error", lambda context, request: is_transient(context))
    config.add_exception_view(transient_error, context=DBAPIError, transient_error=True)
