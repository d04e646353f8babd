"""A database outage: readers get a clear 503 (JSON under ``/api/``), never a 500.

Reading pages needs no database (plugin content lives in memory), so pages keep being
served: when the database fails under a section or page (its comments and rating are
read from the database), the page is rendered again without them, with a notice in their
place, and answered 200 (``no-store``, so no cache keeps the reduced page). Writes, feeds,
moderation screens and everything else that needs the database get a 503 with
``Retry-After``. A logged-in moderator whose session cannot be read is served as a reader
(``portal.moderation.sessions``). The engine pings pooled connections before use
(``pool_pre_ping``) and drops the broken ones, and every wait on the database is bounded
(``portal.ops.database``), so when the database returns the next request succeeds: no
restart.

A form post that could not be saved shows the text the reader sent, so nothing they
typed is lost: also when the post broke a rule and the page shown again with its errors
needed the database (``outage_tween``).
"""

import logging

from pyramid.renderers import render_to_response
from pyramid.view import exception_view_config
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..content.views import reading_value
from ..http.errors import wants_json
from ..http.predicates import add_boolean_predicate
from ..resources import Page, Root, Section

log = logging.getLogger(__name__)

RETRY_AFTER = "30"
MESSAGE = "The database is not reachable right now; nothing was saved. Try again in a minute."


# SQLSTATE classes of a lost or refused connection: 08 connection exception, 57P operator
# intervention (admin or crash shutdown, cannot connect now), 53300 too many connections,
# 57014 a statement cancelled by ``statement_timeout`` (a database too slow to answer).
OUTAGE_SQLSTATES = ("08", "57P", "53300", "57014")


class DatabaseUnavailable(Exception):
    """Raised where the portal learned of an outage without a database error in hand (the
    sessions could not be read, so a moderation screen cannot be shown)."""


def is_outage(exc):
    """Whether ``exc`` means the database cannot be reached (as opposed to a transient
    conflict, which portal.retry replays, or a bug)."""
    if isinstance(exc, (PoolTimeoutError, DatabaseUnavailable)):
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(OUTAGE_SQLSTATES)
    # SQLite's busy and locked errors are conflicts; psycopg's connection failures have no
    # SQLSTATE at all.
    name = getattr(orig, "sqlite_errorname", None) or ""
    text = str(orig).lower()
    return not name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) and "is locked" not in text


def outage_in(exc):
    """``exc`` or the error it was raised while handling, if that is an outage."""
    seen = 0
    while exc is not None and seen < 5:
        if is_outage(exc):
            return exc
        exc, seen = exc.__context__, seen + 1
    return None


NOT_SHOWN_BACK = ("csrf_token", "stamp", "website", "parent", "id", "came_from", "return_to",
                  "password", "current", "new", "again")


def submitted_text(request):
    """The reader's own text fields of a form post (not tokens, not passwords), to copy
    and send again."""
    if request.method != "POST" or request.content_type not in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        return []
    try:
        items = list(request.POST.items())
    except Exception:  # an unreadable body has nothing to show back
        return []
    return [(name, value) for name, value in items
            if isinstance(value, str) and value.strip() and name not in NOT_SHOWN_BACK]


def _log(exc, request):
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    log.error("%s %s: database unavailable: %s: %s", request.method, request.path_qs,
              type(exc).__name__, cause[0] if cause else "")


def outage_response(exc, request):
    """The 503 a request gets when the database is out: JSON under ``/api/``; the page
    without its discussion for a reading view; otherwise the 503 page, which shows the
    text of a form post back so nothing typed is lost."""
    _log(exc, request)
    if wants_json(request):
        response = render_to_response("json", {"error": MESSAGE, "status": 503, "fields": {}},
                                      request)
    else:
        response = None
        context = getattr(request, "context", None)
        if (request.method in ("GET", "HEAD") and not getattr(request, "view_name", "")
                and isinstance(context, (Root, Section, Page))):
            try:
                if isinstance(context, Root):
                    return home_without_database(context, request)
                return page_without_database(context, request)
            except (OperationalError, InterfaceError, PoolTimeoutError):
                pass  # something else on the page needs the database too: the 503 page
        response = render_to_response(
            "database_unavailable.jinja2",
            {"message": MESSAGE, "submitted": submitted_text(request)}, request)
    response.status = 503
    response.headers["Retry-After"] = RETRY_AFTER
    response.headers["Cache-Control"] = "no-store"
    return response


@exception_view_config(OperationalError, database_outage=True)
@exception_view_config(InterfaceError, database_outage=True)
@exception_view_config(PoolTimeoutError, database_outage=True)
@exception_view_config(DatabaseUnavailable)
def database_unavailable(exc, request):
    return outage_response(exc, request)


def outage_tween_factory(handler, registry):
    """An outage met while handling another error (a form post that broke a rule, whose
    page is shown again with the discussion from the database; a moderation screen whose
    session could not be read) escapes the exception views: it gets the same 503 here,
    after pyramid_tm aborted the transaction."""

    def outage_tween(request):
        try:
            return handler(request)
        except Exception as exc:
            outage = outage_in(exc)
            if outage is None:
                raise
            return outage_response(outage, request)

    return outage_tween


def home_without_database(context, request):
    """The home page without its database-backed extras (the best-rated pages, added by a
    ``BeforeRender`` subscriber for ``home.jinja2``): rendered under another name."""
    response = render_to_response("home_without_database.jinja2",
                                  {"sections": list(context)}, request)
    response.headers["Cache-Control"] = "no-store"
    return response


def page_without_database(context, request):
    """The page as ``portal.content.views.page_value`` builds it, but without notifying
    ``PageRendered`` (whose subscribers add the comments and rating from the database)."""
    value = reading_value(context)
    value["base_template"] = "section.jinja2" if context is value["section"] else "page.jinja2"
    response = render_to_response("page_without_database.jinja2", value, request)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def includeme(config):
    add_boolean_predicate(config, "database_outage", lambda context, request: is_outage(context))
    config.add_tween("portal.ops.outage.outage_tween_factory", over="pyramid_tm.tm_tween_factory")
