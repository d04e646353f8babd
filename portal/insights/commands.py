"""``portal insights CONFIG [--since DATE] [--section NAME] [--period week|month]``: the
figures of ``/-/insights/`` as CSV on standard output, for a spreadsheet or a script.

One table whose first column, ``record``, says what a row holds (docs/operators.md lists
the columns each kind fills):

- ``site`` (without ``--section``), ``section``, ``page``: ratings (count, mean, Wilson
  lower and upper bounds, how many of each number of stars) and comments (approved,
  pending, hidden); every section and page served, with or without figures, then the
  keys with figures that are no longer served;
- ``ratings`` and ``comments``: the same per period (``period`` is its first day), for
  the site, each section and each page, periods without figures left out;
- ``lowest``: the lowest-rated pages (``rank``), then ``latest_comment`` rows with their
  newest comments;
- ``missed_search``: the searches that found nothing, under the section they name
  (``section`` empty: no section).

Everything is counted since ``--since`` (all time without it).
"""

import csv
import datetime
import sys

from pyramid.paster import bootstrap, setup_logging

from ..resources import Section
from . import queries

COLUMNS = (
    "record", "section", "page", "title", "period", "ratings", "mean", "wilson_lower",
    "wilson_upper", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5", "approved",
    "pending", "hidden", "rank", "query", "times", "last_searched", "author", "written_at",
    "state", "text",
)


def _moment(moment):
    return moment.replace(microsecond=0).isoformat() + "Z"


def figures(row):
    """The ratings and comments columns of a ``queries.Row``."""
    ratings = row.ratings
    counted = bool(ratings.count)
    return {
        "ratings": ratings.count,
        "mean": f"{ratings.mean:.2f}" if counted else "",
        "wilson_lower": f"{ratings.score:.4f}" if counted else "",
        "wilson_upper": f"{row.upper:.4f}" if counted else "",
        **{f"stars_{stars}": n for stars, n in ratings.histogram.items()},
        **row.comments,
    }


def period_rows(series, section, page):
    for day, (n, total) in sorted(series.ratings.items()):
        yield {"record": "ratings", "section": section, "page": page,
               "period": day.isoformat(), "ratings": n, "mean": f"{total / n:.2f}"}
    for day, counts in sorted(series.comments.items()):
        yield {"record": "comments", "section": section, "page": page,
               "period": day.isoformat(), **counts}


def rows_of(report, sections):
    """The CSV rows of ``report`` (a ``queries.report`` made ``by_page``) over
    ``sections`` (the sections it covers, in site order)."""
    if report.scope.key is None:
        yield {"record": "site", "title": "the whole site", **figures(report.total)}
        yield from period_rows(report.series, "", "")
    served = set()
    for section in sections:
        name = section.__name__
        row = report.total if report.scope.key else report.rows.get(name, queries.Row(name))
        yield {"record": "section", "section": name, "title": section.title, **figures(row)}
        series = report.series if report.scope.key else report.series_of(name)
        yield from period_rows(series, name, "")
        for node in section.walk():
            served.add(node.key)
            yield from page_rows(report, name, node.key, node.title)
    for key in sorted(set(report.pages) - served):
        yield from page_rows(report, key.split("/", 1)[0], key, "")
    for rank, (row, comments) in enumerate(report.lowest, start=1):
        yield {"record": "lowest", "section": row.key.split("/", 1)[0], "page": row.key,
               "rank": rank, **figures(row)}
        for comment in comments:
            yield {"record": "latest_comment", "section": row.key.split("/", 1)[0],
                   "page": row.key, "rank": rank, "author": comment.author_name or "",
                   "written_at": _moment(comment.created_at), "state": comment.state,
                   "text": comment.body_source}
    for name, misses in sorted(report.misses.items(), key=lambda item: item[0] or "\uffff"):
        for miss in misses:
            yield {"record": "missed_search", "section": name or "", "query": miss.query,
                   "times": miss.count, "last_searched": _moment(miss.last_seen)}


def page_rows(report, section, key, title):
    row = report.pages.get(key, queries.Row(key))
    yield {"record": "page", "section": section, "page": key, "title": title, **figures(row)}
    yield from period_rows(report.page_series.get(key, queries.Series()), section, key)


def write_csv(report, sections, out):
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows_of(report, sections))


def run(args):
    since = None
    if args.since:
        try:
            since = datetime.date.fromisoformat(args.since)
        except ValueError:
            print(f"portal: --since must be a date such as 2026-09-01, got {args.since!r}",
                  file=sys.stderr)
            return 2
    setup_logging(args.config)
    with bootstrap(args.config) as env:
        request = env["request"]
        root = request.site_root
        today = request.clock.utcnow().date()
        if since is not None and since > today:
            print(f"portal: --since {since} is after today ({today})", file=sys.stderr)
            return 2
        sections = list(root.sections.values())
        scope = queries.SITE
        if args.section:
            section = root.sections.get(args.section)
            if not isinstance(section, Section):
                known = ", ".join(root.sections) or "none"
                print(f"portal: there is no section {args.section!r}; sections: {known}",
                      file=sys.stderr)
                return 2
            scope, sections = queries.Scope(section.key), [section]
        with request.tm:
            report = queries.report(
                request.dbsession, scope, period=args.period, since=since, today=today,
                sections=list(root.sections.values()), by_page=True, misses=None)
            write_csv(report, sections, sys.stdout)
    return 0


def register(subparsers):
    command = subparsers.add_parser(
        "insights", help="ratings, comments and missed searches per section and page, as CSV",
        description="Print the figures of /-/insights/ as CSV: per section and page, ratings "
                    "and comments (in all and per period), the lowest-rated pages with their "
                    "latest comments, and the searches that found nothing, by section.")
    command.add_argument("config", help="the .ini file, e.g. development.ini")
    command.add_argument("--since", metavar="DATE",
                         help="count from this day (YYYY-MM-DD); all time without it")
    command.add_argument("--section", metavar="NAME", help="only this section and its pages")
    command.add_argument("--period", choices=queries.PERIODS, default="week",
                         help="the periods of the per-period rows (default: week)")
    command.set_defaults(func=run)
