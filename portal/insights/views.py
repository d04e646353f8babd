"""``/-/insights/``: ratings, comments and missed searches for the people who write the
pages; ``/-/insights/<section>/`` and ``/-/insights/<section>/<page>/`` narrow it.

Who may see it is said once, in the resource tree: ``Insights.__acl__`` grants
``moderate`` to ``role:moderator`` and the view asks for it; a reader who is not logged in
is sent to the moderators' login page and brought back. The answer is ``no-store``: it is
for one moderator, now.
"""

import datetime

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.view import forbidden_view_config, view_config

from ..resources import Insights, Section
from . import charts, queries

MAX_PERIODS = 260  # five years of weeks: a longer window is asked for by month
OLDEST = datetime.date(2000, 1, 1)
SHOWN_MISSES = 10  # per section on the page; `portal insights` lists them all


@forbidden_view_config(containment=Insights)
def to_login(exc, request):
    """Not a moderator (not logged in): the login page, then back here."""
    moderation = request.site_root["-"]["moderation"]
    return HTTPSeeOther(location=request.resource_url(
        moderation, "@@login", query={"came_from": request.path_qs}))


def read_window(request, today):
    """``(period, since)`` from the query string; ``HTTPBadRequest`` saying what is wrong."""
    period = request.GET.get("period", "").strip() or "week"
    if period not in queries.PERIODS:
        raise HTTPBadRequest(f"period must be one of {', '.join(queries.PERIODS)}, "
                             f"got {period[:20]!r}")
    raw = request.GET.get("since", "").strip()
    if not raw:
        return period, queries.default_since(today, period)
    try:
        since = datetime.date.fromisoformat(raw)
    except ValueError:
        raise HTTPBadRequest(f"since must be a date such as 2026-09-01, got {raw[:20]!r}") from None
    if not OLDEST <= since <= today:
        raise HTTPBadRequest(f"since must be between {OLDEST} and today ({today}), got {since}")
    if len(queries.periods_between(since, today, period)) > MAX_PERIODS:
        raise HTTPBadRequest(f"from {since} that is more than {MAX_PERIODS} {period}s: "
                             "choose a later date, or count by month")
    return period, since


def scope_of(context):
    node = context.node
    if node is None:
        return queries.SITE
    return queries.Scope(node.key, whole=isinstance(node, Section))


def lineage(context):
    """The insights resources from the site's down to ``context``, for breadcrumbs."""
    chain = []
    while isinstance(context, Insights):
        chain.append(context)
        context = context.__parent__
    return list(reversed(chain))


def breakdown(context, root, result):
    """``[(Row, node or None)]``: every section of the site, or every page of a section,
    in reading order, with or without figures; then the keys with figures whose section or
    page is no longer served (content moves between plugin versions; ratings stay)."""
    if context.node is None:
        nodes = list(root.sections.values())
    elif isinstance(context.node, Section):
        nodes = context.node.sequence
    else:
        return []
    rows = [(result.rows.get(node.key) or queries.Row(node.key), node) for node in nodes]
    known = {node.key for node in nodes}
    return rows + [(row, None) for key, row in sorted(result.rows.items()) if key not in known]


def missed_by_section(root, misses):
    """``[(name, section or None, [SearchMiss])]``: the sections in the site's order, then
    names no longer served, then the searches that name no section."""
    gone = sorted(name for name in misses if name and name not in root.sections)
    named = [(name, root.sections.get(name), misses[name])
             for name in [*root.sections, *gone] if misses.get(name)]
    return named + ([(None, None, misses[None])] if misses.get(None) else [])


@view_config(context=Insights, renderer="insights/report.jinja2",
             request_method=("GET", "HEAD"), permission="moderate")
def report(context, request):
    today = request.clock.utcnow().date()
    period, since = read_window(request, today)
    scope = scope_of(context)
    root = request.site_root
    result = queries.report(request.dbsession, scope, period=period, since=since,
                            today=today, sections=list(root.sections.values()))
    request.response.headers["Cache-Control"] = "no-store"
    top = lineage(context)[0]

    def insights_url(node, **query):
        return request.resource_url(top, *node.key.split("/"), "", query=query or None)

    title = context.node.title if context.node is not None else "the whole site"
    return {
        "title": f"Insights: {title}",
        "context_title": title,
        "moderator": request.identity,
        "csrf_token": get_csrf_token(request),
        "moderation": root["-"]["moderation"],
        "lineage": lineage(context),
        "report": result,
        "period": period,
        "since": since,
        "today": today,
        "query": {"period": period, "since": since.isoformat()},
        "histogram": charts.histogram("chart-stars", result.total.ratings),
        "ratings_trend": charts.ratings_trend(
            "chart-ratings", result.window, result.series,
            f"Ratings per {period}, with their mean stars"),
        "comments_trend": charts.comments_trend(
            "chart-comments", result.window, result.series, f"Comments per {period}"),
        "breakdown": breakdown(context, root, result),
        "lowest": [(row, root.find(row.key), comments) for row, comments in result.lowest],
        "latest": ([] if scope.whole else
                   queries.latest_comments(request.dbsession, [scope.key]).get(scope.key, [])),
        "missed": missed_by_section(root, result.misses),
        "shown_misses": SHOWN_MISSES,
        "insights_url": insights_url,
        "date_text": lambda day: charts.long_day(day, "week"),
        "counted_states": queries.COUNTED_STATES,
    }
