"""The insights queries: ratings, comments and missed searches of the whole site, a section or
a page, aggregated by the database.

Every query groups in SQL and returns at most one row per page (and stars or state) or per
period, never one per rating or comment, so the work left to Python is bounded by the
number of pages and periods, not by the size of the discussion. Section and site figures
are sums of page figures.

Periods are told apart without a date function: a ``CASE`` compares each moment with the
periods' first moments (``period_index``), which on SQLite costs a fraction of ``date()``
on every row. The indexes of migration ``insights`` let each query read only its rows from
an index: by page key for a section or page, by moment for the whole site. Moments are
naive UTC, as the columns store them; a week starts on Monday.
"""

import datetime
import re
from dataclasses import dataclass, field

from sqlalchemy import Boolean, and_, case, func, literal_column, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..discussion.models import STARS, STATES, Comment, Rating
from ..discussion.rating_queries import Summary, wilson_lower_bound
from ..search.models import SearchMiss
from ..search.query import STOP_WORDS

PERIODS = ("week", "month")
# Every state but deleted (a deleted comment keeps no text). The queries count every state
# and drop deleted in Python: any condition on the state draws SQLite's planner to
# ``ix_comments_state_created`` and a lookup of each row's page.
COUNTED_STATES = tuple(state for state in STATES if state != "deleted")
LATEST_STATES = ("approved", "pending")  # hidden ones were put away by a moderator
LOWEST_LIMIT = 10
LATEST_COMMENTS = 3
MISSES_LIMIT = 500


# -- periods -------------------------------------------------------------------------------

def period_of(day, period):
    """The first day of the ``period`` (``week`` from Monday, ``month``) holding ``day``."""
    if period == "week":
        return day - datetime.timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(day, period):
    """The first day of the period after the one starting on ``day``."""
    if period == "week":
        return day + datetime.timedelta(days=7)
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def periods_between(first, last, period):
    """Every period start from the one holding ``first`` to the one holding ``last``."""
    day, end = period_of(first, period), period_of(last, period)
    starts = []
    while day <= end:
        starts.append(day)
        day = next_period(day, period)
    return starts


def default_since(today, period, count=12):
    """The start of the ``count``-th period back, the current one included."""
    day = period_of(today, period)
    for _ in range(count - 1):
        day = period_of(day - datetime.timedelta(days=1), period)
    return day


def midnight(day):
    return datetime.datetime.combine(day, datetime.time())


@dataclass(frozen=True)
class Window:
    """The periods figures are counted in: ``starts`` (dates, oldest first) of ``period``.
    The first one begins at ``since`` (None: at the beginning of time) and the last one
    never ends, so the periods add up to the totals counted since ``since``."""

    period: str
    since: datetime.date | None
    starts: tuple

    @classmethod
    def of(cls, period, since, today, first=None):
        """From ``since`` (or the ``first`` day with figures, when ``since`` is None) to
        ``today``."""
        start = since or first or today
        return cls(period, since, tuple(periods_between(min(start, today), today, period)))


def period_index(moment, window):
    """The index in ``window.starts`` of the period holding ``moment``, as a SQL ``CASE``:
    a binary tree of comparisons with the periods' first moments, so a row costs
    log2(periods) comparisons and no date function."""
    firsts = [midnight(day) for day in window.starts]

    def tree(low, high):  # the periods low..high, inclusive
        if low == high:
            return literal_column(str(low))
        middle = (low + high + 1) // 2
        return case((moment < firsts[middle], tree(low, middle - 1)), else_=tree(middle, high))

    return tree(0, len(firsts) - 1)


# -- scopes --------------------------------------------------------------------------------

class below(ColumnElement):
    """``column`` names a page below ``key`` (``key/...``).

    SQLite compares text bytewise, so there it is a range (``key/`` <= column < ``key0``,
    '0' following '/'), which an index starting with the page key answers; PostgreSQL's
    collation may order punctuation otherwise, so there it is ``LIKE 'key/%'``, answered
    by the indexes starting with a moment instead."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition already: no "= 1" on SQLite
    # Part of the statement cache key: compiling a dozen periods costs more than running them.
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("key", InternalTraversal.dp_string)]

    def __init__(self, column, key):
        self.column = column
        self.key = key


@compiles(below)
def _below_like(element, compiler, **kw):
    return compiler.process(element.column.startswith(element.key + "/", autoescape=True), **kw)


@compiles(below, "sqlite")
def _below_range(element, compiler, **kw):
    column = element.column
    return compiler.process(
        and_(column >= element.key + "/", column < element.key + "0").self_group(), **kw)


@dataclass(frozen=True)
class Scope:
    """What the figures cover: the whole site (``key`` None), a section (``whole``: its
    landing page and every page below it) or one page (its key alone)."""

    key: str | None = None
    whole: bool = True

    def where(self, column):
        """The condition on a page key column, as a tuple of clauses (none for the site)."""
        if self.key is None:
            return ()
        if not self.whole:
            return (column == self.key,)
        return (or_(column == self.key, below(column, self.key)),)

    def child_of(self, page_key):
        """The row of this scope's breakdown a page key falls in: its section for the
        site, the page itself below that."""
        return page_key.split("/", 1)[0] if self.key is None else page_key


SITE = Scope()


def _since(moment, since):
    return () if since is None else (moment >= midnight(since),)


def first_day(dbsession, scope=SITE):
    """The day of the oldest rating or comment in ``scope`` (None: there is none)."""
    moments = [
        dbsession.scalar(select(func.min(Rating.updated_at)).where(*scope.where(Rating.page_key))),
        dbsession.scalar(select(func.min(Comment.created_at)).where(
            *scope.where(Comment.page_key))),
    ]
    moments = [m for m in moments if m is not None]
    return min(moments).date() if moments else None


# -- ratings -------------------------------------------------------------------------------

def upper_bound(summary):
    """The upper bound of the Wilson interval: the lower bound of the stars turned over
    (1 <-> 5). Low only when many readers agree that a page is poor, so a page rated 1 by
    one reader is less surely bad than one rated 1.5 by thirty."""
    if not summary.count:
        return 1.0
    return 1.0 - wilson_lower_bound(6 * summary.count - summary.total, summary.count)


def rating_histograms(dbsession, scope=SITE, since=None):
    """``{page_key: Summary}`` of the ratings given or last changed since ``since``: one
    row per page and number of stars, read from ``ix_ratings_page_stars_updated`` in
    group order on SQLite (which has no hash aggregate), a range of
    ``ix_ratings_updated_page_stars`` on PostgreSQL."""
    query = (
        select(Rating.page_key, Rating.stars, func.count())
        .where(*scope.where(Rating.page_key), *_since(Rating.updated_at, since))
        .group_by(Rating.page_key, Rating.stars)
    )
    pages = {}
    for key, stars, n in dbsession.execute(query):
        summary = pages.setdefault(key, Summary())
        summary.histogram[stars] += n
        summary.count += n
    return pages


def rating_trend(dbsession, scope, window, by_page=False):
    """``{(page_key or None, period start): (count, total stars)}`` by the time each
    rating was last set: a reader who changes their rating moves it, with its new stars,
    to the period of the change (the old value is not kept). Per page with ``by_page``,
    else for the whole scope (key None)."""
    rows = (
        select(period_index(Rating.updated_at, window).label("period"), Rating.page_key,
               Rating.stars)
        .where(*scope.where(Rating.page_key), *_since(Rating.updated_at, window.since))
        .subquery()
    )
    keys = (rows.c.period, rows.c.page_key) if by_page else (rows.c.period,)
    statement = select(*keys, func.count(), func.sum(rows.c.stars)).group_by(*keys)
    return {(key[0] if key else None, window.starts[i]): (n, int(total))
            for i, *key, n, total in dbsession.execute(statement)}


# -- comments ------------------------------------------------------------------------------

def comment_totals(dbsession, scope=SITE, since=None):
    """``{page_key: {state: n}}`` of the comments written since ``since``, by the state
    they are in now."""
    query = (
        select(Comment.page_key, Comment.state, func.count())
        .where(*scope.where(Comment.page_key), *_since(Comment.created_at, since))
        .group_by(Comment.page_key, Comment.state)
    )
    pages = {}
    for key, state, n in dbsession.execute(query):
        if state in COUNTED_STATES:
            pages.setdefault(key, dict.fromkeys(COUNTED_STATES, 0))[state] = n
    return pages


def comment_trend(dbsession, scope, window, by_page=False):
    """``{(page_key or None, period start): {state: n}}`` of the comments written in each
    period, in the state they are in now; per page with ``by_page``, else for the whole
    scope (key None)."""
    rows = (
        select(period_index(Comment.created_at, window).label("period"), Comment.page_key,
               Comment.state)
        .where(*scope.where(Comment.page_key), *_since(Comment.created_at, window.since))
        .subquery()
    )
    keys = (rows.c.period, rows.c.page_key) if by_page else (rows.c.period,)
    statement = select(*keys, rows.c.state, func.count()).group_by(*keys, rows.c.state)
    series = {}
    for i, *key, state, n in dbsession.execute(statement):
        if state in COUNTED_STATES:
            counts = series.setdefault((key[0] if key else None, window.starts[i]),
                                       dict.fromkeys(COUNTED_STATES, 0))
            counts[state] = n
    return series


def latest_comments(dbsession, page_keys, per_page=LATEST_COMMENTS):
    """``{page_key: [Comment]}``: the newest ``per_page`` comments of each page that readers
    see or may soon see (approved or pending), newest first.

    One statement: per page and state, a backward range scan of
    ``ix_comments_page_state_created`` stopped after ``per_page`` rows, however long the
    page's discussion (a window function over the pages would read every comment)."""
    if not page_keys:
        return {}
    newest = [
        select(Comment.id).where(Comment.page_key == key, Comment.state == state)
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(per_page).subquery()
        for key in page_keys for state in LATEST_STATES
    ]
    ids = union_all(*(select(sub.c.id) for sub in newest))
    rows = dbsession.scalars(select(Comment).where(Comment.id.in_(ids)).order_by(
        Comment.page_key, Comment.created_at.desc(), Comment.id.desc()))
    latest = {}
    for comment in rows:
        shown = latest.setdefault(comment.page_key, [])
        if len(shown) < per_page:
            shown.append(comment)
    return latest


# -- missed searches -----------------------------------------------------------------------

WORD_RE = re.compile(r"[^\W_]+")
NAME_WEIGHT, TITLE_WEIGHT, TAG_WEIGHT = 3, 2, 1
GENERAL_TAG_SECTIONS = 3  # a tag on the pages of more sections than this names none of them


def words(text):
    return {w for w in WORD_RE.findall(text.casefold()) if w not in STOP_WORDS}


@dataclass
class Vocabulary:
    """The words that name each section: its URL name, its title, its pages' tags."""

    names: dict = field(default_factory=dict)  # word -> {section}
    titles: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)

    @classmethod
    def of(cls, sections):
        vocabulary = cls()
        for section in sections:
            name = section.__name__
            for word in words(name.replace("-", " ")):
                vocabulary.names.setdefault(word, set()).add(name)
            for word in words(section.title):
                vocabulary.titles.setdefault(word, set()).add(name)
            for doc in section.documents:
                for tag in doc.tags:
                    for word in words(str(tag)):
                        vocabulary.tags.setdefault(word, set()).add(name)
        vocabulary.tags = {w: s for w, s in vocabulary.tags.items()
                           if len(s) <= GENERAL_TAG_SECTIONS}
        return vocabulary

    def sections_named(self, query):
        """The sections a missed query names: the highest score of name (3), title word
        (2) and tag (1) matches, every section tied at it; empty when no word matches."""
        scores = {}
        for word in words(query):
            for table, weight in ((self.names, NAME_WEIGHT), (self.titles, TITLE_WEIGHT),
                                  (self.tags, TAG_WEIGHT)):
                for section in table.get(word, ()):
                    scores[section] = scores.get(section, 0) + weight
        if not scores:
            return []
        best = max(scores.values())
        return sorted(s for s, score in scores.items() if score == best)


def missed_searches(dbsession, since=None, limit=MISSES_LIMIT):
    """The most frequent searches that found nothing (``limit`` None: all), searched at
    least once since ``since`` (the table keeps a total and the last time, not each
    search)."""
    query = (
        select(SearchMiss).where(*_since(SearchMiss.last_seen, since))
        .order_by(SearchMiss.count.desc(), SearchMiss.last_seen.desc(), SearchMiss.query)
    )
    return list(dbsession.scalars(query if limit is None else query.limit(limit)))


def misses_by_section(misses, vocabulary):
    """``{section name or None: [SearchMiss]}``, most frequent first in each; a miss naming
    several sections equally is listed under each, one naming none under None."""
    grouped = {}
    for miss in misses:
        for name in vocabulary.sections_named(miss.query) or [None]:
            grouped.setdefault(name, []).append(miss)
    return grouped


# -- the report ----------------------------------------------------------------------------

@dataclass
class Row:
    """The figures of one page or section, or of the whole scope."""

    key: str
    ratings: Summary = field(default_factory=Summary)
    comments: dict = field(default_factory=lambda: dict.fromkeys(COUNTED_STATES, 0))

    @property
    def upper(self):
        return upper_bound(self.ratings)

    def add(self, other):
        for stars in STARS:
            self.ratings.histogram[stars] += other.ratings.histogram[stars]
        self.ratings.count += other.ratings.count
        for state in COUNTED_STATES:
            self.comments[state] += other.comments[state]


@dataclass
class Series:
    """Per period start: ratings ``(count, total stars)`` and comments ``{state: n}``."""

    ratings: dict = field(default_factory=dict)
    comments: dict = field(default_factory=dict)

    def add(self, other):
        for day, (n, total) in other.ratings.items():
            count, stars = self.ratings.get(day, (0, 0))
            self.ratings[day] = (count + n, stars + total)
        for day, counts in other.comments.items():
            into = self.comments.setdefault(day, dict.fromkeys(COUNTED_STATES, 0))
            for state, n in counts.items():
                into[state] += n


@dataclass
class Report:
    scope: Scope
    window: Window
    total: Row  # the whole scope
    rows: dict  # the breakdown: section name (site) or page key (section) -> Row
    pages: dict  # page key -> Row, every page with figures
    series: Series  # the whole scope, per period
    page_series: dict  # with ``by_page``: page key -> Series
    lowest: list  # [(Row, [Comment])], lowest upper bound first
    misses: dict  # section name or None -> [SearchMiss]

    def series_of(self, key):
        """The per-period figures of a breakdown row (``by_page`` reports only)."""
        rolled = Series()
        for page_key, series in self.page_series.items():
            if self.scope.child_of(page_key) == key:
                rolled.add(series)
        return rolled


def _series(ratings, comments):
    """``{key: Series}`` from the two trend queries' results."""
    series = {}
    for (key, day), figures in ratings.items():
        series.setdefault(key, Series()).ratings[day] = figures
    for (key, day), counts in comments.items():
        series.setdefault(key, Series()).comments[day] = counts
    return series


def report(dbsession, scope=SITE, *, period="week", since=None, today, sections=(),
           lowest=LOWEST_LIMIT, by_page=False, misses=MISSES_LIMIT):
    """Everything the insights page and ``portal insights`` show for ``scope``, counted
    since ``since`` (None: all time).

    ``sections`` are the site's sections, whose names, titles and tags attribute the
    missed searches (the ``misses`` most frequent; None: all). ``by_page`` adds each
    page's own periods (the command line's); the page shows the scope's alone."""
    pages = {}
    for key, summary in rating_histograms(dbsession, scope, since).items():
        pages[key] = Row(key, ratings=summary)
    for key, counts in comment_totals(dbsession, scope, since).items():
        pages.setdefault(key, Row(key)).comments = counts
    total, rows = Row(scope.key or ""), {}
    for key, row in pages.items():
        child = scope.child_of(key)
        rows.setdefault(child, Row(child)).add(row)
        total.add(row)

    window = Window.of(period, since, today,
                       first=None if since or not pages else first_day(dbsession, scope))
    series = _series(rating_trend(dbsession, scope, window),
                     comment_trend(dbsession, scope, window)).get(None, Series())
    page_series = {}
    if by_page:
        page_series = _series(rating_trend(dbsession, scope, window, by_page=True),
                              comment_trend(dbsession, scope, window, by_page=True))

    rated = sorted((row for row in pages.values() if row.ratings.count),
                   key=lambda row: (row.upper, -row.ratings.count, row.key))[:lowest]
    latest = latest_comments(dbsession, [row.key for row in rated])

    grouped = {}
    if scope.whole:
        grouped = misses_by_section(missed_searches(dbsession, since, misses),
                                    Vocabulary.of(sections))
        if scope.key is not None:
            grouped = {scope.key: grouped.get(scope.key, [])}
    return Report(scope=scope, window=window, total=total, rows=rows, pages=pages,
                  series=series, page_series=page_series,
                  lowest=[(row, latest.get(row.key, [])) for row in rated], misses=grouped)
