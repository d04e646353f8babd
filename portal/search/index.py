"""Full-text search over every loaded section: an in-memory SQLite FTS5 index built at start-up.

Plugin content is static for the life of the process, so the index is built once, after the
plugins are loaded, from what ``portal.content`` already produced (``Document.chunks``: the
text under each heading). Four FTS5 tables hold it:

- ``pages``, a row per page (title, headings, body, context = section title, page title and
  tags), decides which pages match and ranks them;
- ``heads``, the same rows without the body, is small and quick to rank;
- ``chunks``, a row per heading-level chunk, tells where in a matching page the hit lands
  (the heading's anchor) and gives the snippet;
- ``words`` (unstemmed, no positions) is only a vocabulary, to expand ``prefix*`` terms.

Pages whose title, headings or context hold the query rank first (ranked on those columns),
then pages that hold it only in their text. Ranking is BM25 with the title weighted above
the headings and the headings above the body: one bm25() per column, weighted and summed,
because FTS5's own bm25(fts, w1, w2, ...) weighs term frequencies before saturating them,
which leaves a title hit barely above a body hit. Ranking the title/heading tier alone
first bounds the work for common words (figures in docs/search.md).

Readers' text is never passed to FTS5 as syntax: ``parse_query`` reads words, "phrases" and
prefix* terms out of any input, and ``SearchIndex.expression`` writes a MATCH expression
made only of double-quoted runs of letters and digits, joined by AND and OR.

Threads: waitress serves requests from several threads. The index is one private in-memory
database whose connection is used under a lock, one search at a time. Measured at 10,000
pages (docs/search.md), this served as many searches per second as a connection per thread
on a shared-cache database, which SQLite discourages, and a private copy per thread costs
the index's memory once per thread. A search holds the lock for a few milliseconds at
most; a repeated search is answered from the result cache in microseconds.
"""

import functools
import html
import logging
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field

from markupsafe import Markup

from .query import TOKEN_RE, Query, clean, title_key  # noqa: F401

log = logging.getLogger(__name__)

# Column weights: title, headings, body, context (section and page titles, tags).
WEIGHTS = {"title": 10.0, "headings": 5.0, "body": 1.0, "context": 2.0}
TOKENIZER = "porter unicode61 remove_diacritics 2"
# Sentinels around matched terms: control characters never indexed (``clean`` strips them),
# swapped for <mark> after the text is escaped.
MARK_START, MARK_END = "\x02", "\x03"
CHUNK_BITS = 12  # chunks.rowid = page number << CHUNK_BITS | chunk number
PREFIX_WORDS = 8  # a prefix* matches its 8 most common completions
HEADINGS_PER_HIT = 3
SNIPPET_TOKENS = 24

_SENTINELS_RE = re.compile(f"([{MARK_START}{MARK_END}])")


def highlighted(text):
    """Markup for text carrying MARK_START/MARK_END sentinels: the text escaped, each
    marked run in <mark>; a run cut off at either end is closed or dropped, so the tags
    always balance."""
    out, open_ = [], False
    for part in _SENTINELS_RE.split(text or ""):
        if part == MARK_START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif part == MARK_END:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(html.escape(part))
    if open_:
        out.append("</mark>")
    return Markup("".join(out))


def plain(text):
    """Text without the sentinels (for JSON)."""
    return (text or "").replace(MARK_START, "").replace(MARK_END, "")


def _marked(text):
    """The distinct words marked in highlighted text."""
    return {m.casefold() for m in re.findall(f"{MARK_START}([^{MARK_END}]*)", text)}


@dataclass
class PageEntry:
    """What the index knows about one page: the resource to link to, its section, its
    chunks' ``(anchor, heading)`` in page order (the first is the top of the page), and
    its opening words (the snippet when only the section title or a tag matched)."""

    node: object
    section: str
    chunks: list
    opening: str


@dataclass
class Hit:
    """A page that matched: where it lands (``anchor``, ``heading``), the snippet, and other
    matching headings of the same page (``more``: ``(anchor, heading markup)``)."""

    node: object
    section: str
    anchor: str
    heading: str
    heading_html: Markup
    snippet: Markup
    more: list = field(default_factory=list)


@dataclass
class Results:
    query: Query
    hits: tuple
    total: int  # matching pages
    page: int
    page_size: int
    section: str | None = None
    mode: str | None = None  # "all", "any" (no page had every term), None (nothing found)
    seconds: float = 0.0

    @property
    def pages(self):
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self):
        return (self.page - 1) * self.page_size + 1

    @property
    def last(self):
        return self.first + len(self.hits) - 1


def _score(table, columns):
    """A weighted sum of one bm25() per column (each call counts only its column's terms)."""
    terms = []
    for i, column in enumerate(columns):
        weights = ", ".join("1" if j == i else "0" for j in range(len(columns)))
        terms.append(f"{WEIGHTS[column]} * bm25({table}, {weights})")
    return " + ".join(terms)


RANGE = "AND rowid BETWEEN :lo AND :hi"
# Pages holding the query in title, headings or context, ranked on those.
TIER1_SQL = f"""SELECT rowid FROM heads WHERE heads MATCH :match {RANGE}
ORDER BY {_score("heads", ("title", "headings", "context"))}, rowid LIMIT :limit OFFSET :offset"""
TIER1_COUNT_SQL = f"SELECT count(*) FROM heads WHERE heads MATCH :match {RANGE}"
# Pages with any of the terms in title, headings or context, ranked on those; the second
# tier is those of them that hold every term but are not in the first (picked in Python:
# with an IN list, SQLite probes the FTS5 table once per row, a hundred times slower).
TIER2_SQL = f"""SELECT rowid FROM heads WHERE heads MATCH :match {RANGE}
ORDER BY {_score("heads", ("title", "headings", "context"))}, rowid"""
IDS_SQL = f"SELECT rowid FROM {{table}} WHERE {{table}} MATCH :match {RANGE}"
# Pages holding the terms only in their text, ranked on every column (the costly tier).
TIER3_SQL = f"""SELECT rowid FROM pages WHERE pages MATCH :all {RANGE}
AND +rowid NOT IN (SELECT rowid FROM heads WHERE heads MATCH :any {RANGE})
ORDER BY {_score("pages", ("title", "headings", "body", "context"))}, rowid
LIMIT :limit OFFSET :offset"""
TOTAL_SQL = f"SELECT count(*) FROM pages WHERE pages MATCH :match {RANGE}"
# Where a hit lands in its page is decided in Python from these (bm25() here would first
# count each term's rows over the whole table, for every page; snippet() is the costly
# part, so only the chosen chunk gets one).
CHUNK_HEADINGS_SQL = f"""SELECT rowid, highlight(chunks, 0, '{MARK_START}', '{MARK_END}'),
    highlight(chunks, 1, '{MARK_START}', '{MARK_END}')
FROM chunks WHERE chunks MATCH :match {RANGE}"""
CHUNK_IDS_SQL = f"SELECT rowid FROM chunks WHERE chunks MATCH :match {RANGE}"
SNIPPET_SQL = f"""SELECT snippet(chunks, 2, '{MARK_START}', '{MARK_END}', '…', {SNIPPET_TOKENS})
FROM chunks WHERE chunks MATCH :match AND rowid = :id"""
COMPLETIONS_SQL = """SELECT term FROM temp.vocabulary WHERE term >= :prefix AND term < :end
ORDER BY doc DESC, term LIMIT :limit"""


class SearchIndex:
    """The in-memory FTS5 index of every page of a ``Root``; ``search()`` is thread-safe."""

    def __init__(self, cache_size=1024):
        # One private in-memory database, used by one thread at a time (see the module's
        # docstring for why a lock and not a connection per thread).
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        # Only ``chunks`` keeps its text (highlight() and snippet() need it); the others are
        # contentless: an index, column sizes for bm25(), and a vocabulary.
        self._conn.executescript(
            f"""
            CREATE VIRTUAL TABLE pages USING fts5(title, headings, body, context, content = '',
                                                  tokenize = '{TOKENIZER}');
            CREATE VIRTUAL TABLE heads USING fts5(title, headings, context, content = '',
                                                  tokenize = '{TOKENIZER}');
            CREATE VIRTUAL TABLE chunks USING fts5(title, heading, body,
                                                   tokenize = '{TOKENIZER}');
            CREATE VIRTUAL TABLE words USING fts5(text, content = '', detail = none,
                                                  columnsize = 0,
                                                  tokenize = 'unicode61 remove_diacritics 2');
            CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, words, row);
            """
        )
        self.pages = []  # page number - 1 -> PageEntry
        self.sections = {}  # section name -> (first page number, last page number)
        self.titles = {}  # a title's words -> page numbers: typing a title finds that page first
        self.build_seconds = 0.0
        # The index never changes, so results never go stale: popular queries are answered
        # from memory (a common word costs milliseconds to rank at 10,000 pages).
        if cache_size:
            self._find = functools.lru_cache(maxsize=cache_size)(self._find)
        self.completions = functools.lru_cache(maxsize=4096)(self.completions)

    # Building

    def add_page(self, node, section, *, title, context, summary, chunks):
        """Index one page. ``chunks`` are ``(anchor, heading, text)`` in page order; a
        chunk whose heading is None is text before the first heading. Pages of one
        section must be added one after the other (a section is a range of page numbers)."""
        number = len(self.pages) + 1
        title, context = clean(title), clean(context)
        top = [clean(summary)]
        rows = []  # (anchor, heading, text) below the top of the page
        anchor = ""
        for chunk_anchor, heading, text in chunks:
            if heading is None:
                top.append(clean(text))
            elif len(rows) + 1 < 1 << CHUNK_BITS:
                # Headings below level 4 have no anchor: land on the nearest one above.
                anchor = chunk_anchor or anchor
                rows.append((anchor, clean(heading), clean(text)))
            else:  # thousands of headings on one page: the rest joins the last chunk
                rows[-1] = (rows[-1][0], rows[-1][1], f"{rows[-1][2]} {clean(heading)} {clean(text)}")
        opening = " ".join(t for t in top if t)
        headings = " ".join(heading for _, heading, _ in rows)
        body = " ".join([opening] + [text for _, _, text in rows])
        base = number << CHUNK_BITS
        self._conn.executemany(
            "INSERT INTO chunks (rowid, title, heading, body) VALUES (?, ?, ?, ?)",
            [(base, title, "", opening)]
            + [(base + i, "", heading, text) for i, (_, heading, text) in enumerate(rows, 1)],
        )
        self._conn.execute(
            "INSERT INTO pages (rowid, title, headings, body, context) VALUES (?, ?, ?, ?, ?)",
            (number, title, headings, body, context),
        )
        self._conn.execute(
            "INSERT INTO heads (rowid, title, headings, context) VALUES (?, ?, ?, ?)",
            (number, title, headings, context),
        )
        self._conn.execute("INSERT INTO words (rowid, text) VALUES (?, ?)",
                             (number, " ".join([title, headings, body])))
        self.pages.append(PageEntry(node, section, [("", "")] + [r[:2] for r in rows],
                                    " ".join(opening.split()[:SNIPPET_TOKENS])))
        self.titles.setdefault(title_key(title), []).append(number)
        first, _ = self.sections.get(section, (number, number))
        self.sections[section] = (first, number)

    def add_root(self, root):
        """Index every section and page of the traversal tree, in reading order."""
        for section in root:
            for node in section.walk():
                doc = node.doc
                chunks = [
                    (c.heading.id, c.heading.text, c.text) if c.heading else (None, None, c.text)
                    for c in doc.chunks
                ]
                context = " ".join([section.title, node.title, " ".join(doc.tags)])
                self.add_page(node, section.__name__, title=node.title, context=context,
                              summary=node.summary or "", chunks=chunks)

    def finish(self):
        """Merge each table's segments into one (faster queries) and commit."""
        for table in ("pages", "heads", "chunks", "words"):
            self._conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
        self._conn.commit()

    @classmethod
    def build(cls, root, cache_size=1024):
        start = time.perf_counter()
        index = cls(cache_size)
        index.add_root(root)
        index.finish()
        index.build_seconds = time.perf_counter() - start
        return index

    @property
    def page_count(self):
        return len(self.pages)

    # Searching

    def completions(self, prefix):
        """The most common indexed words starting with ``prefix`` (unstemmed)."""
        rows = self._conn.execute(COMPLETIONS_SQL, {
            "prefix": prefix, "end": prefix + "\U0010ffff", "limit": PREFIX_WORDS})
        return tuple(term for (term,) in rows if TOKEN_RE.fullmatch(term))

    def _term(self, term):
        # Tokens are letters and digits only, so nothing can escape the quotes.
        quoted = '"' + " ".join(term.tokens) + '"'
        if not term.prefix:
            return quoted
        # FTS5's own prefix query merges every completion's postings (slow for short
        # prefixes) and misses stemmed ones ("configura*" against "configur"): expand the
        # prefix to its commonest whole words instead, which the tokenizer then stems.
        head = " ".join(term.tokens[:-1])
        words = self.completions(term.tokens[-1])
        if not words:
            return quoted + " *"
        phrases = ['"' + (head + " " if head else "") + word + '"' for word in words]
        return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"

    def expression(self, query, mode="all"):
        """The FTS5 MATCH expression of ``query``: every term (``all``) or any (``any``)."""
        joiner = " AND " if mode == "all" else " OR "
        return joiner.join(self._term(term) for term in query.significant)

    def search(self, query, *, section=None, page=1, page_size=10, mode=None):
        """Pages matching ``query`` (a ``Query``), best first, ``page_size`` per page.

        ``mode`` "all" needs every term in a page, "any" one of them; None tries "all" and,
        when no page has every term of a query of several, falls back to "any"."""
        start = time.perf_counter()
        page = max(1, page)
        results = Results(query, (), 0, page, page_size, section=section)
        if not query or (section is not None and section not in self.sections):
            return results
        modes = (mode,) if mode else (("all", "any") if len(query.significant) > 1 else ("all",))
        with self._lock:
            results.mode, results.total, results.hits = self._find(
                tuple((each, self.expression(query, each)) for each in modes),
                tuple(self._term(term) for term in query.significant),
                title_key(" ".join(str(t) for t in query.terms)), section, page, page_size,
            )
        results.seconds = time.perf_counter() - start
        return results

    def _find(self, modes, terms, title, section, page, page_size):
        """(mode, total, hits) of the first of ``modes`` that matches; immutable, shared
        between threads, hence cacheable."""
        lo, hi = self.sections.get(section, (1, len(self.pages)))
        exact = [n for n in self.titles.get(title, ()) if lo <= n <= hi]
        conn = self._conn
        for mode, match in modes:
            numbers, total = self._ranked(conn, match, " OR ".join(terms), lo, hi,
                                          (page - 1) * page_size, page_size, exact)
            if total:
                return mode, total, tuple(self._hit(conn, terms, n) for n in numbers)
        return None, 0, ()

    def _ranked(self, conn, match, match_any, lo, hi, offset, limit, exact=()):
        """Page numbers at ``offset`` in the ranking, and how many pages match.

        Tiers, each ranked on its own: every term in the title, headings or context
        (``heads``, small and quick); then, for a query of several terms, pages with some
        of them there; then the rest. Each tier is counted first (cheap), so only the
        tiers the requested results fall in are ranked. Pages whose title is the query
        (``exact``, always in the first tier) come first."""
        args = {"lo": lo, "hi": hi}
        total = conn.execute(TOTAL_SQL, {**args, "match": match}).fetchone()[0]
        if not total or offset >= total:
            return [], total
        first = conn.execute(TIER1_COUNT_SQL, {**args, "match": match}).fetchone()[0]
        exact = list(exact) if first else []
        numbers = exact[offset:offset + limit]
        if offset + limit > len(exact) and offset < first:
            start = max(0, offset - len(exact))
            want = limit - len(numbers)
            if exact:  # the ranking without the exact pages: read from the top
                rows = conn.execute(TIER1_SQL, {**args, "match": match,
                                                "limit": start + want + len(exact), "offset": 0})
                numbers += [n for (n,) in rows if n not in exact][start:start + want]
            else:
                numbers += [n for (n,) in conn.execute(
                    TIER1_SQL, {**args, "match": match, "limit": want, "offset": start})]
        offset = max(0, offset - first)
        later = {"all": match, "any": match_any, "lo": lo, "hi": hi}
        second = 0
        if len(numbers) < limit and match_any != match:
            # Pages with every term and some of them in title, headings or context.
            every = {n for (n,) in conn.execute(IDS_SQL.format(table="pages"), {
                **args, "match": f"({match}) AND {{title headings context}} : ({match_any})"})}
            firsts = {n for (n,) in conn.execute(IDS_SQL.format(table="heads"), {**args, "match": match})}
            tier = [n for (n,) in conn.execute(TIER2_SQL, {**args, "match": match_any})
                    if n in every and n not in firsts]
            second = len(tier)
            numbers += tier[offset:offset + limit - len(numbers)]
            offset = max(0, offset - second)
        if len(numbers) < limit and total > first + second:
            numbers += [n for (n,) in conn.execute(TIER3_SQL, {
                **later, "limit": limit - len(numbers), "offset": offset})]
        return numbers, total

    def _hit(self, conn, terms, number):
        """The hit for page ``number`` (``terms``: each term's MATCH expression): the chunk
        holding the most terms, a term in the heading counting five times and in the page
        title ten; the earliest on a tie. The next best headings come with it."""
        entry = self.pages[number - 1]
        base = number << CHUNK_BITS
        args = {"match": " OR ".join(terms), "lo": base, "hi": base + (1 << CHUNK_BITS) - 1}
        marked = {rowid: (title, heading)
                  for rowid, title, heading in conn.execute(CHUNK_HEADINGS_SQL, args)}
        if not marked:  # only the section title or a tag matched
            return Hit(entry.node, entry.section, "", "", Markup(""), highlighted(entry.opening))
        found = dict.fromkeys(marked, 1)
        if len(terms) > 1:
            found = dict.fromkeys(marked, 0)
            for term in terms:
                for (rowid,) in conn.execute(CHUNK_IDS_SQL, {**args, "match": term}):
                    found[rowid] += 1

        def score(rowid):
            title, heading = marked[rowid]
            return -(10 * len(_marked(title)) + 5 * len(_marked(heading)) + found[rowid]), rowid

        ranked = sorted(marked, key=score)
        best = ranked[0]
        snippet = conn.execute(SNIPPET_SQL, {"match": args["match"], "id": best}).fetchone()
        anchor, text = entry.chunks[best - base]
        hit = Hit(entry.node, entry.section, anchor, text, highlighted(marked[best][1]),
                  highlighted(snippet[0] if snippet else entry.opening))
        for rowid in ranked[1:]:
            other = entry.chunks[rowid - base][0]
            if len(hit.more) == HEADINGS_PER_HIT - 1:
                break
            if other and other != anchor and other not in {a for a, _ in hit.more}:
                hit.more.append((other, highlighted(marked[rowid][1])))
        return hit

    def close(self):
        self._conn.close()
