"""A database outage: readers get a clear 503 (JSON under ``/api/``), never a 500.

Reading pages needs no database (plugin content lives in memory), so pages keep being
served: when the database fails under a section or page (its comments and rating are
read from the database), the page is rendered again without them, with a notice in their
place, and answered 200 (``no-store``, so no cache keeps the reduced page). Writes, and
everything else that needs the database, get the 503 page. The engine pings pooled connections before use (``pool_pre_ping``) and drops the
broken ones, so when the database returns the next request succeeds: no restart.

A form post that could not be saved shows the text the reader sent, so nothing they
typed is lost.
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
# intervention (admin or crash shutdown, cannot connect now), 53300 too many connections.
OUTAGE_SQLSTATES = ("08", "57P", "53300")


def is_outage(exc):
    """Whether ``exc`` means the database cannot be reached (as opposed to a transient
    conflict, which portal.retry replays, or a bug)."""
    if isinstance(exc, PoolTimeoutError):
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


def submitted_text(request):
    """The reader's own text fields of a form post (not tokens), to copy and send again."""
    if request.method != "POST" or request.content_type not in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        return []
    return [(name, value) for name, value in request.POST.items()
            if isinstance(value, str) and value.strip() and "csrf" not in name.lower()]


@exception_view_config(OperationalError, database_outage=True, renderer="database_unavailable.jinja2")
@exception_view_config(InterfaceError, database_outage=True, renderer="database_unavailable.jinja2")
@exception_view_config(PoolTimeoutError, database_outage=True, renderer="database_unavailable.jinja2")
def database_unavailable(exc, request):
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    log.error("%s %s: database unavailable: %s: %s", request.method, request.path_qs,
              type(exc).__name__, cause[0] if cause else "")
    request.response.status = 503
    request.response.headers["Retry-After"] = RETRY_AFTER
    request.response.headers["Cache-Control"] = "no-store"
    if wants_json(request):
        request.override_renderer = "json"
        return {"error": MESSAGE, "status": 503}
    if request.method in ("GET", "HEAD") and isinstance(request.context, (Root, Section, Page)):
        try:
            if isinstance(request.context, Root):
                return home_without_database(request.context, request)
            return page_without_database(request.context, request)
        except (OperationalError, InterfaceError, PoolTimeoutError):
            pass  # something else on the page needs the database too: the 503 page
    return {"message": MESSAGE, "submitted": submitted_text(request)}


def home_without_database(context, request):
    """The home page without its database-backed extras (the best-rated pages, added by a
    ``BeforeRender`` subscriber for ``home.jinja2``): rendered under another name."""
    response = render_to_response("home_without_database.jinja2",
                                  {"sections": list(context)}, request)
    response.headers["Cache-Control"] = "no-store"
    return response


def page_without_database(context, request):
    """The page as ``portal.views.pages.page_value`` builds it, but without notifying
    ``PageRendered`` (whose subscribers add the comments and rating from the database)."""
    value = reading_value(context)
    value["base_template"] = "section.jinja2" if context is value["section"] else "page.jinja2"
    response = render_to_response("page_without_database.jinja2", value, request)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def includeme(config):
    add_boolean_predicate(config, "database_outage", lambda context, request: is_outage(context))
