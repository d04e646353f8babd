"""Full-text search over every loaded section: a pure-Python in-memory index built at start-up.

Plugin content is static for the life of the process, so the index is built once, after the
plugins are loaded, from what ``portal.content`` already produced (``Document.chunks``: the
text under each heading), and never changes after: it is shared by waitress's threads
without a lock.

Each page's words go into five fields: title, headings, keywords (front matter
``keywords:``), body, and context (section name and title, tags). A term (a word's stem,
``vocabulary.Stems``) keeps:

- ``bits``: the pages holding it, a Python int used as a bitmap (bit n = page n), so
  "pages with every word" is a few ANDs and the count a ``bit_count()``;
- ``impact``: its score on each page, computed once: BM25F (field frequencies weighted,
  a title hit eight times a body hit, then saturated once), plus a bonus when the page
  holds it in a strong field (title, headings, keywords, context);
- ``order``: its pages, best first.

A page matches when it holds every query word (a question of three words or more may lack
one, or two from five). Ranking puts pages whose title is the query first, then the rest
by their summed impacts (a page holding more of the words sums more; a synonym counts less
than the word typed; a word naming a section ranks that section's pages alike, above any
elsewhere). A set of pages small enough is scored whole; a large one (a common word at
10,000 pages) only over the best pages of each term's ``order``, so the work is bounded by
the page of results asked for, not by the pages matching. Where a hit lands (its heading)
and its snippet are found for the returned page of results only.
"""

import functools
import heapq
import html
import logging
import math
import re
import time
from array import array
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field, replace

from markupsafe import Markup

from .query import TOKEN_RE, Query, clean, clean_lines
from .vocabulary import Stems, Synonyms, Typos, fold, shipped_table, words

log = logging.getLogger(__name__)

TITLE, HEADINGS, KEYWORDS, BODY, CONTEXT = range(5)
FIELDS = ("title", "headings", "keywords", "body", "context")
WEIGHTS = (8.0, 4.0, 4.0, 1.0, 2.0)  # keywords weigh like headings
LENGTH_NORM = (0.5, 0.5, 0.3, 0.75, 0.3)  # BM25's b per field
K1 = 1.2
# Times the term's idf, for a page holding it in a field a reader looks at first.
BONUS = (1.0, 0.5, 0.5, 0.0, 0.5)
COMPLETION_WEIGHT = 0.5  # a completion of a prefix other than its commonest
# A section-naming word's score on its section's pages, times its idf: above the best
# a page elsewhere can have (a title hit: 1 + BONUS[TITLE]).
SECTION_SCORE = 2.5
SCORE_ALL = 1500  # a group of pages this small is scored whole
MARGIN = 30  # extra pages taken from each term's best when a group is too large to score
PHRASE_CHECK = 3000  # phrases are checked word by word on up to this many pages
PREFIX_WORDS = 8  # a prefix matches its 8 most common completions
DENSE = 8  # a term on more than 1/8 of the pages keeps its scores in an array
HEADINGS_PER_HIT = 3
SNIPPET_WORDS = 24
MAX_HIGHLIGHT_WORDS = 8
# Sentinels around matched words: control characters never indexed (``clean`` strips them),
# swapped for <mark> after the text is escaped.
MARK_START, MARK_END = "\x02", "\x03"

_SENTINELS_RE = re.compile(f"([{MARK_START}{MARK_END}])")
_BIT_POSITIONS = tuple(tuple(i for i in range(8) if b >> i & 1) for b in range(256))


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
    """Text without the sentinels or markup (for JSON)."""
    text = re.sub(r"</?(mark|code)[^>]*>", "", text or "")
    return html.unescape(text.replace(MARK_START, "").replace(MARK_END, ""))


def members(bits):
    """The page numbers set in a bitmap, ascending."""
    out = []
    for i, byte in enumerate(bits.to_bytes((bits.bit_length() + 7) // 8, "little")):
        if byte:
            base = i * 8
            out.extend(base + j for j in _BIT_POSITIONS[byte])
    return out


def bitmap(numbers):
    numbers = list(numbers)
    if len(numbers) < 64:
        return sum(1 << n for n in set(numbers))
    buf = bytearray(max(numbers) // 8 + 1)
    for n in numbers:
        buf[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(buf, "little")


class Term:
    """One term's postings (see the module's docstring)."""

    __slots__ = ("bits", "order", "impact", "df", "idf")

    def score(self, page):
        impact = self.impact
        if isinstance(impact, dict):
            return impact.get(page, 0.0)
        return impact[page]


@dataclass
class PageEntry:
    """What the index knows about one page: the resource to link to, its section, its
    chunks ``(anchor, heading, text)`` in page order (the first is the top of the page),
    and the code blocks' text (a snippet inside one is shown as code)."""

    node: object
    section: str
    title: str
    chunks: list
    code: tuple = ()
    keywords: str = ""


@dataclass(frozen=True)
class Alternative:
    """One way a page can satisfy a query word: all of ``terms`` (side by side when
    ``phrase``), in ``section``'s pages only when set, counting ``weight``."""

    terms: tuple
    weight: float = 1.0
    section: str | None = None
    phrase: tuple = ()  # the words, when they must be side by side
    peer: bool = True  # the reader's word, a completion or an expansion; False: a synonym


@dataclass(frozen=True)
class Concept:
    """A query word (or phrase, or synonym key of several words) as matched: any of its
    ``alternatives``; ``sections`` it names (their pages get a bonus)."""

    text: str
    alternatives: tuple
    sections: tuple = ()
    words: tuple = ()  # as written, to highlight where a result links to
    section_score: float = 0.0


@dataclass(frozen=True)
class Plan:
    """A query as the index reads it: one reader for the page, the API, the live box and
    the 404 page, so they never disagree."""

    concepts: tuple
    titles: tuple  # the query's terms joined: a page with this title comes first
    did_you_mean: str | None = None
    words: tuple = ()  # the words to highlight on the page a result links to (?h=)


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
    code: bool = False  # the snippet is code


@dataclass
class Results:
    query: Query
    hits: tuple
    total: int  # matching pages
    page: int
    page_size: int
    section: str | None = None
    # "all"; "most" (a question of three words or more: some pages lack a word or two);
    # "any" (no page had every word); None (nothing found)
    mode: str | None = None
    seconds: float = 0.0
    did_you_mean: str | None = None
    words: tuple = ()  # what a result's link highlights (?h=)

    @property
    def pages(self):
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self):
        return (self.page - 1) * self.page_size + 1

    @property
    def last(self):
        return self.first + len(self.hits) - 1


class SearchIndex:
    """The in-memory index of every page of a ``Root``; immutable once built, so
    ``search()`` needs no lock."""

    def __init__(self, cache_size=1024, terms=()):
        self.stems = Stems()
        self.synonyms = Synonyms(self.stems)
        for key, alternatives, one_way in shipped_table():
            self.synonyms.add(key, alternatives, weight=Synonyms.EXPANSION_WEIGHT if one_way
                              else Synonyms.GROUP_WEIGHT)
        for section, table in terms:  # plugins' (add_portal_search_terms)
            for key, alternatives in table.items():
                self.synonyms.add(key, alternatives, section)
                if section is None:  # a site-wide pair reads both ways, like a group
                    for alternative in alternatives:
                        self.synonyms.add(alternative, [key])
        self.pages = []  # page number -> PageEntry
        self.sections = {}  # section name -> (first page number, last page number)
        self.section_words = {}  # term -> section names it names
        self.titles = {}  # a title's terms -> page numbers
        self.terms = {}  # term -> Term
        self.surface = Counter()  # word as written (folded) -> pages holding it
        self.completion_list = []  # sorted surface words, for prefixes
        self.typos = None
        self.build_seconds = 0.0
        self._fields = [[] for _ in FIELDS]  # per field, each page's length in words
        self._raw = {}  # while building: term -> [(page, field, count)]
        # The index never changes, so results never go stale: popular queries are answered
        # from memory.
        if cache_size:
            self._find = functools.lru_cache(maxsize=cache_size)(self._find)

    # Building

    def add_page(self, node, section, *, title, context, summary, chunks, keywords=(), code=()):
        """Index one page. ``chunks`` are ``(anchor, heading, text)`` in page order; a
        chunk whose heading is None is text before the first heading. Pages of one
        section must be added one after the other (a section is a range of page numbers)."""
        number = len(self.pages)
        title, context = clean(title), clean(context)
        top = [clean(summary)]
        rows = []
        anchor = ""
        for chunk_anchor, heading, text in chunks:
            if heading is None:
                top.append(clean_lines(text))
            else:
                # Headings below level 4 have no anchor: land on the nearest one above.
                anchor = chunk_anchor or anchor
                rows.append((anchor, clean(heading), clean_lines(text)))
        opening = " ".join(t for t in top if t)
        texts = (title, " ".join(h for _, h, _ in rows), " ".join(clean(k) for k in keywords),
                 " ".join([opening] + [t for _, _, t in rows]), context)
        stems, raw, seen = self.stems, self._raw, set()
        for f, text in enumerate(texts):
            tokens = words(text)
            self._fields[f].append(len(tokens))
            seen.update(tokens)
            for term, count in Counter(map(stems.__getitem__, tokens)).items():
                postings = raw.get(term)
                if postings is None:
                    postings = raw[term] = []
                postings.append((number, f, count))
        self.surface.update(seen)
        self.pages.append(PageEntry(node, section, title, [("", "", opening)] + rows,
                                    tuple(clean_lines(c) for c in code), texts[KEYWORDS]))
        self.titles.setdefault(" ".join(stems.of(title)), []).append(number)
        first, _ = self.sections.get(section, (number, number))
        self.sections[section] = (first, number)

    def add_root(self, root):
        """Index every section and page of the traversal tree, in reading order."""
        for section in root:
            # The words of its URL name: "celery", "docker", "kubernetes", "plugin"... (its
            # title may hold everyday words: "framework").
            for word in set(words(section.__name__.replace("-", " "))):
                if len(word) > 2:
                    self.section_words.setdefault(self.stems[word], set()).add(section.__name__)
            for node in section.walk():
                doc = node.doc
                chunks = [
                    (c.heading.id, c.heading.text, c.text) if c.heading else (None, None, c.text)
                    for c in doc.chunks
                ]
                keywords = (doc.meta or {}).get("keywords") or ()  # a list (content.frontmatter)
                context = " ".join([section.__name__.replace("-", " "), section.title,
                                    " ".join(doc.tags)])
                self.add_page(node, section.__name__, title=node.title, context=context,
                              summary=node.summary or "", chunks=chunks, keywords=keywords,
                              code=[block.source for block in doc.code])

    def finish(self):
        """Score every posting once (BM25F) and drop what only building needed."""
        n = len(self.pages)
        averages = [max(1.0, sum(lengths) / max(1, len(lengths))) for lengths in self._fields]
        lengths = self._fields
        for term, postings in self._raw.items():
            tf = {}
            strong = {}
            for page, f, count in postings:
                b = LENGTH_NORM[f]
                weighted = WEIGHTS[f] * count / (1 - b + b * lengths[f][page] / averages[f])
                tf[page] = tf.get(page, 0.0) + weighted
                if BONUS[f] > strong.get(page, 0.0):
                    strong[page] = BONUS[f]
            df = len(tf)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            # Saturated BM25F, plus a bonus when the page names the term where a reader
            # looks first (title, a heading, its keywords, its section): such a page
            # outranks one that only repeats the word in its text.
            impact = {page: idf * (x / (K1 + x) + strong.get(page, 0.0)) for page, x in tf.items()}
            entry = Term()
            entry.df = df
            entry.idf = idf
            entry.bits = bitmap(tf)
            entry.order = array("I", sorted(impact, key=impact.__getitem__, reverse=True))
            if df * DENSE > n:
                dense = array("f", bytes(4 * n))
                for page, score in impact.items():
                    dense[page] = score
                impact = dense
            entry.impact = impact
            self.terms[term] = entry
        self._raw = None
        self._fields = None
        self.completion_list = sorted(self.surface)
        self.typos = Typos(self.surface)
        self.stems.frozen = True  # queries' words are stemmed, never kept (memory)

    @classmethod
    def build(cls, root, cache_size=1024, terms=()):
        start = time.perf_counter()
        index = cls(cache_size, terms)
        index.add_root(root)
        index.finish()
        index.build_seconds = time.perf_counter() - start
        return index

    @property
    def page_count(self):
        return len(self.pages)

    # Reading a query

    def completions(self, prefix):
        """The most common indexed words starting with ``prefix`` (as written)."""
        words_ = self.completion_list
        found = []
        for i in range(bisect_left(words_, prefix), min(len(words_), bisect_left(words_, prefix) + 2000)):
            if not words_[i].startswith(prefix):
                break
            found.append(words_[i])
        found.sort(key=lambda w: (-self.surface[w], w))
        return tuple(found[:PREFIX_WORDS])

    def term(self, word):
        return self.stems.term(word)

    def plan(self, query):
        """The concepts of ``query``: each word or phrase read against the index's own
        vocabulary, the same way for every caller. A word the index knows is itself; the
        last word typed, if the index does not know it, is the start of a word (``transac``);
        another unknown word is a typo of the closest frequent word; words (and runs of up
        to three) with synonyms also find those."""
        terms, significant = query.terms, set(query.significant)
        concepts, corrected, highlight = [], {}, []
        i = 0
        while i < len(terms):
            term = terms[i]
            # The longest run of plain words that is a synonym key (stop words included:
            # "sign in").
            for size in range(min(Synonyms.MAX_WORDS, len(terms) - i), 0, -1):
                run = terms[i:i + size]
                if any(t.prefix or len(t.tokens) != 1 for t in run):
                    continue
                key = tuple(self.term(t.tokens[0]) for t in run)
                synonyms = self.synonyms.get(key)
                if synonyms:
                    typed = tuple(t.tokens[0] for t in run)
                    alternatives = [Alternative(key)]
                    alternatives += [Alternative(alt, weight, section,
                                                 peer=weight == Synonyms.EXPANSION_WEIGHT)
                                     for alt, section, _, weight in synonyms]
                    shown = typed + tuple(w for _, _, phrase, _ in synonyms for w in phrase)
                    concepts.append(self._concept(" ".join(typed), alternatives, shown))
                    i += size
                    break
            else:
                if term not in significant:
                    i += 1
                    continue
                concept, correction = self._read_term(term, last=i == len(terms) - 1)
                if correction:
                    corrected[term.tokens[0]] = correction
                concepts.append(concept)
                i += 1
        for concept in concepts:
            if concept.alternatives:
                highlight.extend(concept.words)
        did_you_mean = None
        if corrected:
            did_you_mean = " ".join(
                corrected.get(t.tokens[0], str(t)) if len(t.tokens) == 1 and not t.prefix else str(t)
                for t in query.terms)
        titles = [" ".join(self.term(w) for t in query.terms for w in t.tokens)]
        last = concepts[-1] if concepts else None
        if last is not None and query.terms[-1].partial and last.alternatives and \
                last.alternatives[0].terms != (self.term(query.terms[-1].tokens[0]),):
            # "transac": the page titled "Transactions" is the one being typed.
            head = titles[0].rsplit(" ", 1)[0] + " " if len(query.terms) > 1 else ""
            titles.append(head + last.alternatives[0].terms[0])
        return Plan(tuple(concepts), tuple(titles), did_you_mean,
                    tuple(dict.fromkeys(highlight))[:MAX_HIGHLIGHT_WORDS])

    def _read_term(self, term, last):
        """(Concept or None, the word a typo was read as)."""
        if len(term.tokens) > 1:  # a phrase: its words side by side
            terms = tuple(self.term(w) for w in term.tokens)
            alternatives = [Alternative(terms, phrase=term.tokens)]
            if term.prefix:
                head = terms[:-1]
                alternatives = [Alternative(head + (self.term(w),), COMPLETION_WEIGHT,
                                            phrase=term.tokens[:-1] + (w,))
                                for w in self.completions(term.tokens[-1])]
            shown = term.tokens
            if term.prefix:
                shown = term.tokens[:-1] + self.completions(term.tokens[-1])
            return self._concept(str(term), alternatives, shown), None
        word = term.tokens[0]
        stem = self.term(word)
        if not term.prefix and stem in self.terms:
            return self._concept(word, [Alternative((stem,))], (word,)), None
        if term.prefix or (last and term.partial):
            completions = self.completions(word) if len(word) >= 3 else ()
            stems = tuple(dict.fromkeys(self.term(w) for w in completions))
            if stems:
                # The commonest completion is what the reader is most likely typing; a
                # rarer one (a long identifier) counts half, and no rarer (``_concept``).
                return self._concept(word, [Alternative((s,), 1.0 if i == 0 else COMPLETION_WEIGHT)
                                            for i, s in enumerate(stems)], completions), None
            if term.prefix:
                return self._concept(word, []), None
        correction = self.typos.correct(word)
        if correction is None:
            return self._concept(word, []), None
        return self._concept(word, [Alternative((self.term(correction),))], (correction,)), correction

    def _concept(self, text, alternatives, shown=()):
        # Rarity must not decide between ways of saying one thing. The reader's word, its
        # completions and an abbreviation's expansions are as common as the commonest of
        # them (a literal "db" in code must not outrank "database"); a synonym counts no
        # more than the reader's word would (nor "alembic" outrank "migrations").
        idfs = [max(self.terms[t].idf for t in a.terms) if all(t in self.terms for t in a.terms)
                else None for a in alternatives]
        peers = [x for a, x in zip(alternatives, idfs, strict=True) if x and a.peer]
        if peers and len(alternatives) > 1:
            common = min(peers)
            alternatives = [replace(a, weight=a.weight * min(1.0, common / x)) if x else a
                            for a, x in zip(alternatives, idfs, strict=True)]
        sections = set()
        for alternative in alternatives:
            if len(alternative.terms) == 1 and alternative.section is None:
                sections |= self.section_words.get(alternative.terms[0], set())
        section_score = SECTION_SCORE * max(peers, default=1.0)
        return Concept(text, tuple(alternatives), tuple(sorted(sections)), tuple(shown), section_score)

    # Searching

    def search(self, query, *, section=None, page=1, page_size=10, mode=None):
        """Pages matching ``query`` (a ``Query``), best first, ``page_size`` per page.

        ``mode`` "all" needs every word in a page, "any" one of them; None tries "all" and,
        when no page has every word of a query of several, falls back to "any"."""
        start = time.perf_counter()
        page = max(1, page)
        results = Results(query, (), 0, page, page_size, section=section)
        if not query or (section is not None and section not in self.sections):
            return results
        plan = self.plan(query)
        results.did_you_mean, results.words = plan.did_you_mean, plan.words
        results.mode, results.total, results.hits = self._find(plan, section, page, page_size, mode)
        results.seconds = time.perf_counter() - start
        return results

    def _scope(self, section):
        if section is None:
            return (1 << len(self.pages)) - 1
        lo, hi = self.sections[section]
        return ((1 << (hi + 1)) - 1) ^ ((1 << lo) - 1)

    def _find(self, plan, section, page, page_size, mode):
        """(mode, total, hits); ``plan`` is immutable, so this is cacheable."""
        scope = self._scope(section)
        concepts = plan.concepts
        matched = [self._concept_bits(c, scope) for c in concepts]
        n = len(concepts)
        # at_least[k]: the pages holding k of the query's words (or more).
        at_least = [scope] + [0] * n
        for bits in matched:
            for k in range(n, 0, -1):
                at_least[k] |= at_least[k - 1] & bits
        modes = (mode,) if mode else (("all", "any") if n > 1 else ("all",))
        for each in modes:
            if not n:
                break
            if each == "all":
                # A question of three words or more: a page may lack one of them (two,
                # from five), as answers rarely repeat every word of a question.
                need = n - (0 if n < 3 else 1 if n < 5 else 2)
                if at_least[need] != at_least[n]:
                    each = "most"
            else:
                need = 1
            total = at_least[need].bit_count()
            if total:
                groups = [at_least[need]]
                numbers = self._ranked(plan, concepts, at_least[need], groups,
                                       (page - 1) * page_size, page_size)
                return each, total, tuple(self._hit(plan, concepts, n) for n in numbers)
        return None, 0, ()

    def _alternative_bits(self, alternative, scope):
        bits = scope
        for term in alternative.terms:
            entry = self.terms.get(term)
            if entry is None:
                return 0
            bits &= entry.bits
        if alternative.section is not None:
            if alternative.section not in self.sections:
                return 0
            bits &= self._scope(alternative.section)
        if alternative.phrase and len(alternative.phrase) > 1 and bits.bit_count() <= PHRASE_CHECK:
            pattern = _phrase_re(alternative.phrase)
            bits = bitmap(n for n in members(bits) if self._has_phrase(n, pattern))
        return bits

    def _concept_bits(self, concept, scope):
        """The pages matching the concept (any of its alternatives)."""
        bits = 0
        for alternative in concept.alternatives:
            bits |= self._alternative_bits(alternative, scope)
        return bits

    def _has_phrase(self, number, pattern):
        entry = self.pages[number]
        if pattern.search(fold(entry.title)) or pattern.search(fold(entry.keywords)):
            return True
        return any(pattern.search(fold(heading)) or pattern.search(fold(text))
                   for _, heading, text in entry.chunks)

    def _score(self, concepts, number):
        total = 0.0
        section = self.pages[number].section
        for concept in concepts:
            if concept.sections and section in concept.sections:
                # A word naming the page's section: every page there has it alike
                # ("celery retry" ranks Celery's pages by "retry"), above any elsewhere.
                total += concept.section_score
                continue
            best = 0.0
            for alternative in concept.alternatives:
                score = 0.0
                for term in alternative.terms:
                    entry = self.terms.get(term)
                    s = entry.score(number) if entry is not None else 0.0
                    if not s:
                        score = 0.0
                        break
                    score += s
                # Several words for one meaning ("django rest framework") count as one.
                score /= len(alternative.terms)
                if score and alternative.section is not None and \
                        self.pages[number].section != alternative.section:
                    score = 0.0
                best = max(best, score * alternative.weight)
            total += best
        return total

    def _ranked(self, plan, concepts, candidates, groups, offset, limit):
        """Page numbers at ``offset`` in the ranking: the pages titled as the query, then
        ``groups`` (bitmaps) one after the other, each ranked by score."""
        exact = [n for title in plan.titles for n in self.titles.get(title, ())
                 if candidates >> n & 1]
        exact_bits = bitmap(exact)
        out = exact[offset:offset + limit]
        position = len(exact)
        end = offset + limit
        for group in groups:
            group &= ~exact_bits
            if len(out) >= limit or position >= end:
                break
            size = group.bit_count()
            if position + size <= offset:
                position += size
                continue
            need = end - position
            ranked = self._top(concepts, group, size, need)
            out.extend(ranked[max(0, offset - position):need])
            position += size
        return out[:limit]

    def _top(self, concepts, tier, size, need):
        """The best ``need`` pages of a group (``tier``), best first."""
        if size <= SCORE_ALL:
            pool = members(tier)
        else:
            # Too many to score: the best of each term's own ranking, and the named
            # sections' pages, are the only pages that can reach the top.
            inside = tier.to_bytes((tier.bit_length() + 7) // 8, "little")
            pool = set()
            for concept in concepts:
                for alternative in concept.alternatives:
                    for term in alternative.terms:
                        entry = self.terms.get(term)
                        if entry is None:
                            continue
                        taken = 0
                        for n in entry.order:
                            if inside[n >> 3] >> (n & 7) & 1:
                                pool.add(n)
                                taken += 1
                                if taken >= need + MARGIN:
                                    break
                for name in concept.sections:
                    named = tier & self._scope(name)
                    if named and named.bit_count() <= SCORE_ALL:
                        pool.update(members(named))
        return heapq.nlargest(need, pool, key=lambda n: (self._score(concepts, n), -n))

    # Hits

    def _hit(self, plan, concepts, number):
        """The hit for page ``number``: the chunk holding the most query words, a word in
        the heading counting five times and in the page title ten; the earliest on a tie.
        The next best headings come with it."""
        entry = self.pages[number]
        wanted = {t for c in concepts for a in c.alternatives for t in a.terms}
        phrases = [_phrase_re(a.phrase) for c in concepts for a in c.alternatives
                   if len(a.phrase) > 1]
        term = self.stems.term
        title_terms = {term(w) for w in words(entry.title)}
        scored = []
        for i, (_, heading, text) in enumerate(entry.chunks):
            in_heading = wanted.intersection(map(term, words(heading)))
            in_text = wanted.intersection(map(term, words(text)))
            if i == 0:
                in_heading = wanted & title_terms
            score = 10 * len(in_heading) if i == 0 else 5 * len(in_heading)
            score += len(in_heading | in_text)
            if score:
                scored.append((-score, i))
        scored.sort()
        if not scored:  # only the section's name or a tag matched
            return Hit(entry.node, entry.section, "", "", Markup(""),
                       self._snippet(entry, entry.chunks[0][2], wanted, phrases)[0])
        best = scored[0][1]
        anchor, heading, text = entry.chunks[best]
        if not text.strip():  # a title or heading alone: the text that follows it
            text = next((t for _, _, t in entry.chunks[best:] if t.strip()), "")
        snippet, code = self._snippet(entry, text, wanted, phrases)
        hit = Hit(entry.node, entry.section, anchor, heading,
                  highlighted(_marked(heading, wanted, term)), snippet, code=code)
        for _, i in scored[1:]:
            other, other_heading, _ = entry.chunks[i]
            if len(hit.more) == HEADINGS_PER_HIT - 1:
                break
            if other and other != anchor and other not in {a for a, _ in hit.more}:
                hit.more.append((other, highlighted(_marked(other_heading, wanted, term))))
        return hit

    def _snippet(self, entry, text, wanted, phrases=()):
        """(Markup, is code): about SNIPPET_WORDS words around the most query words (a
        phrase's words side by side first); a window inside a code block is shown as that
        block's lines, in <code>."""
        term = self.stems.term
        spans = [(m.start(), m.end(), term(fold(m.group()))) for m in TOKEN_RE.finditer(text or "")]
        if not spans:
            return Markup(""), False
        hits = [i for i, (_, _, t) in enumerate(spans) if t in wanted]
        at_phrase = next((m.start() for p in phrases for m in [p.search(text)] if m), None)
        if at_phrase is not None:
            best = next(i for i, span in enumerate(spans) if span[1] > at_phrase)
        elif hits:
            best, best_count = hits[0], 0
            for i in hits:  # the window starting at a hit with the most distinct terms
                window = {spans[j][2] for j in hits if i <= j < i + SNIPPET_WORDS}
                if len(window) > best_count:
                    best, best_count = i, len(window)
        start = max(0, best - 4) if hits else 0
        stop = min(len(spans), start + SNIPPET_WORDS)
        if hits:
            where = spans[best][0]
            for source in entry.code:
                at = text.find(source)
                if at != -1 and at <= where < at + len(source):
                    return self._code_snippet(text, at, source, where, wanted), True
        lo, hi = spans[start][0], spans[stop - 1][1]
        marked = _marked(text[lo:hi], wanted, term)
        prefix = "… " if lo else ""
        suffix = " …" if hi < len(text) else ""
        return Markup(html.escape(prefix)) + highlighted(" ".join(marked.split())) + \
            Markup(html.escape(suffix)), False

    def _code_snippet(self, text, at, source, where, wanted):
        lines = source.splitlines()
        offset = where - at
        line = source.count("\n", 0, offset)
        shown = "\n".join(lines[max(0, line - 1):line + 2]).strip("\n")
        return Markup('<code class="search-snippet-code">') + \
            highlighted(_marked(shown, wanted, self.stems.term)) + Markup("</code>")


def _marked(text, wanted, term):
    """``text`` with its words whose term is ``wanted`` between the sentinels."""
    if not text:
        return ""
    return TOKEN_RE.sub(
        lambda m: f"{MARK_START}{m.group()}{MARK_END}" if term(fold(m.group())) in wanted else m.group(),
        text)


def _phrase_re(tokens):
    """Words side by side, each possibly longer (a stem's other forms), any punctuation
    between (``add_portal_section`` is the phrase ``add portal section``)."""
    return re.compile(r"(?<![^\W_])" + r"[\W_]+".join(re.escape(t) + r"\w*" for t in tokens), re.I)

