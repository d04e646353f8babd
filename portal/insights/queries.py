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

from sqlalchemy import and_, case, func, literal_column, or_, select, union_all

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


def period_ranges(moment, window):
    """Per period of ``window``, the conditions that keep the moments in it: from its first
    moment (or ``since``) to the next period's (the last one is open)."""
    firsts = [midnight(day) for day in window.starts]
    lows = [midnight(window.since) if window.since else None, *firsts[1:]]
    highs = [*firsts[1:], None]
    return [tuple(c for c in (low is not None and moment >= low,
                              high is not None and moment < high) if c is not False)
            for low, high in zip(lows, highs, strict=True)]


TERMS_PER_STATEMENT = 100  # SQLite takes at most 500 terms in a compound SELECT


def counted_terms(dbsession, terms):
    """``[row]`` of ``terms`` (selects of aggregates without GROUP BY, one row each), run as
    ``UNION ALL`` statements: each term is labelled by its position, as ``UNION ALL``
    does not promise an order."""
    rows = [None] * len(terms)
    for first in range(0, len(terms), TERMS_PER_STATEMENT):
        chunk = [term.add_columns(literal_column(str(k)).label("term"))
                 for k, term in enumerate(terms[first:first + TERMS_PER_STATEMENT], first)]
        for *row, k in dbsession.execute(union_all(*chunk) if len(chunk) > 1 else chunk[0]):
            rows[k] = row
    return rows


# -- scopes --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """What the figures cover: the whole site (``key`` None), a section (``whole``: its
    landing page and every page below it) or one page (its key alone)."""

    key: str | None = None
    whole: bool = True

    def where(self, column, dbsession):
        """The condition on a page key column, as a tuple of clauses (none for the site).

        Below a section's key is a range on SQLite, which compares text bytewise
        (``key/`` <= column < ``key0``, '0' following '/'), so the indexes that start with
        the page key answer it; PostgreSQL's collation may order punctuation otherwise,
        so there it is ``LIKE 'key/%'``, and the indexes that start with a moment answer."""
        if self.key is None:
            return ()
        if not self.whole:
            return (column == self.key,)
        if dbsession.get_bind().dialect.name == "sqlite":
            below = and_(column >= self.key + "/", column < self.key + "0")
        else:
            below = column.startswith(self.key + "/", autoescape=True)
        return (or_(column == self.key, below),)

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
        dbsession.scalar(select(func.min(moment)).where(*scope.where(page_key, dbsession)))
        for moment, page_key in ((Rating.updated_at, Rating.page_key),
                                 (Comment.created_at, Comment.page_key))
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
        .where(*scope.where(Rating.page_key, dbsession), *_since(Rating.updated_at, since))
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
    else for the whole scope (key None).

    The whole site's are counted period by period, each a range of
    ``ix_ratings_updated_page_stars`` (no sort: SQLite sorts to group); a section's or a
    page's rows are read once by their page key and told apart by ``period_index``."""
    if scope.key is None and not by_page:
        terms = [select(func.count(), func.sum(Rating.stars)).where(*where)
                 for where in period_ranges(Rating.updated_at, window)]
        return {(None, day): (n, int(total))
                for day, (n, total) in zip(window.starts, counted_terms(dbsession, terms),
                                           strict=True) if n}
    rows = (
        select(period_index(Rating.updated_at, window).label("period"), Rating.page_key,
               Rating.stars)
        .where(*scope.where(Rating.page_key, dbsession),
               *_since(Rating.updated_at, window.since))
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
        .where(*scope.where(Comment.page_key, dbsession), *_since(Comment.created_at, since))
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
    scope (key None). As ``rating_trend``: the whole site's period by period and state by
    state, each a range of ``ix_comments_state_created``; a section's or page's in one
    pass."""
    series = {}

    def count(key, day, state, n):
        if n and state in COUNTED_STATES:
            counts = series.setdefault((key, day), dict.fromkeys(COUNTED_STATES, 0))
            counts[state] = n

    if scope.key is None and not by_page:
        cells = [(day, state) for day, where in zip(
                     window.starts, period_ranges(Comment.created_at, window), strict=True)
                 for state in COUNTED_STATES]
        terms = [select(func.count()).where(Comment.state == state, *where)
                 for where in period_ranges(Comment.created_at, window)
                 for state in COUNTED_STATES]
        for (day, state), (n,) in zip(cells, counted_terms(dbsession, terms), strict=True):
            count(None, day, state, n)
        return series
    rows = (
        select(period_index(Comment.created_at, window).label("period"), Comment.page_key,
               Comment.state)
        .where(*scope.where(Comment.page_key, dbsession),
               *_since(Comment.created_at, window.since))
        .subquery()
    )
    keys = (rows.c.period, rows.c.page_key) if by_page else (rows.c.period,)
    statement = select(*keys, rows.c.state, func.count()).group_by(*keys, rows.c.state)
    for i, *key, state, n in dbsession.execute(statement):
        count(key[0] if key else None, window.starts[i], state, n)
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
