"""Words as search compares them: stems, British and American spellings, synonyms and
abbreviations, and the closest known word for a typo.

Pages and queries go through the same ``Stems`` (one spelling, then the Snowball English
stem), so "serialiser", "serializers" and "serialization" are one term on both sides. The
synonym table ships with the core (``synonyms.txt``); plugins add to it, for the whole site or
for their own section (``add_portal_search_terms``), and pages add their own words
(front matter ``keywords:``, indexed with the page).
"""

import re
import threading
import unicodedata
from array import array
from bisect import bisect_left
from importlib import resources

import snowballstemmer
from pyramid.exceptions import ConfigurationError

from .query import TOKEN_RE

# British spellings read as American ones (the pages use both). Symmetric rules would be
# as good for matching; a table keeps "did you mean" honest about real words.
SPELLINGS = {
    "colour": "color", "behaviour": "behavior", "favour": "favor", "favourite": "favorite",
    "honour": "honor", "flavour": "flavor", "neighbour": "neighbor", "labour": "labor",
    "humour": "humor", "armour": "armor", "rumour": "rumor", "vapour": "vapor",
    "centre": "center", "metre": "meter", "litre": "liter", "fibre": "fiber",
    "catalogue": "catalog", "dialogue": "dialog", "analogue": "analog",
    "licence": "license", "defence": "defense", "offence": "offense", "grey": "gray",
    "programme": "program", "cheque": "check", "tonne": "ton", "aluminium": "aluminum",
    "modelling": "modeling", "modelled": "modeled", "labelled": "labeled", "labelling": "labeling",
    "cancelled": "canceled", "cancelling": "canceling", "travelled": "traveled",
    "signalled": "signaled", "signalling": "signaling", "fulfil": "fulfill", "enrol": "enroll",
    "judgement": "judgment", "acknowledgement": "acknowledgment",
}
# -ise/-yse and their forms (serialise, serialised, serialisation, analyse): -ize/-yze.
# Words that end so in both spellings stay (a page's "promise" is not "promize").
_ISE_RE = re.compile(r"^(\w{3,}?)(is|ys)(e|ed|es|er|ers|ing|ation|ations|able)$")
_ISE_KEEP = frozenset(
    "advise advised adviser advises advising apprise chastise circumcise comprise comprised "
    "comprises comprising compromise compromised compromises concise demise despise devise "
    "devised devises disguise enterprise enterprises excise exercise exercised exercises "
    "expertise franchise improvise incise merchandise noise otherwise precise premise "
    "premises promise promised promises raise raised raises revise revised revises revising "
    "supervise supervised supervises supervising surmise surprise surprised surprises "
    "televise treatise wise likewise clockwise paradise poise praise cruise bruise "
    "arise arises arising rise rises rising sunrise".split()
)

# Combining marks (accents once NFKD has split them from their letters).
_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_IZE_RE = re.compile(r"^(\w{3,}?)iz(e|ed|es|er|ers|ing|ation|ations|able)$")
_STEMMER_LANGUAGE = "english"


def american(word):
    """The American spelling of a (case-folded) word; any other word unchanged."""
    if word in SPELLINGS:
        return SPELLINGS[word]
    if word in _ISE_KEEP:
        return word
    m = _ISE_RE.match(word)
    if m:
        return m.group(1) + ("iz" if m.group(2) == "is" else "yz") + m.group(3)
    return word


def fold(text):
    """Case-folded, accents removed: how pages and queries are compared."""
    text = text.casefold()
    if text.isascii():
        return text
    return _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))


def words(text):
    """The words of ``text`` as compared: folded runs of letters and digits."""
    return TOKEN_RE.findall(fold(text))


class Stems(dict):
    """word -> term (spelling, then stem), computed once per distinct word. A dict so the
    index can map a page's tokens at C speed (``map(stems.__getitem__, tokens)``); filled at
    start-up, then also by queries (one key at a time, which CPython's dict keeps
    consistent between threads)."""

    def __init__(self):
        super().__init__()
        self._stemmer = snowballstemmer.stemmer(_STEMMER_LANGUAGE)
        # A stemmer object is not thread-safe (PyStemmer says so): waitress's threads stem
        # the words of queries the index does not know one at a time.
        self._lock = threading.Lock()
        self.frozen = False  # once the index is built, queries' words are not kept

    def __missing__(self, word):
        # Digits and very short words are kept as they are ("v2", "3", "id").
        if len(word) < 3 or not word.isalpha():
            term = word
        else:
            word_ = american(word)
            m = _IZE_RE.match(word_)
            # Snowball reads "authorization" as "author" and "organization" as "organ":
            # -ize words keep their -iz, so they meet each other and nothing else.
            if m:
                term = m.group(1) + "iz"
            else:
                with self._lock:
                    term = self._stemmer.stemWord(word_)
        if not self.frozen:
            self[word] = term
        return term

    def term(self, word):
        """The term of one word as a reader typed it."""
        return self[fold(word)]

    def of(self, text):
        """The terms of a phrase, in order."""
        return tuple(self[w] for w in words(text))


def read_table(text, source="synonyms.txt"):
    """Synonym lines read into ``(words, alternatives, one_way)`` (phrases as strings): a
    group line gives each member the others; ``a => b, c`` gives ``a`` only (one way)."""
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, right = line.split("=>", 1)
            keys = [k.strip() for k in left.split(",") if k.strip()]
            targets = [t.strip() for t in right.split(",") if t.strip()]
        else:
            keys = targets = [t.strip() for t in line.split(",") if t.strip()]
        if not keys or not targets or (keys is targets and len(keys) < 2):
            raise ValueError(f"{source}:{number}: expected 'a, b, c' or 'a => b, c', got {line!r}")
        for key in keys:
            pairs.append((key, [t for t in targets if t != key], keys is not targets))
    return pairs


def shipped_table():
    return read_table(resources.files(__package__).joinpath("synonyms.txt").read_text("utf-8"))


class Synonyms:
    """Term tuples -> alternatives: ``(terms, section, words, weight)`` where ``section`` is
    None for the whole site, or the one section whose pages the alternative is looked for
    in, ``words`` the alternative as written, and ``weight`` what a page holding it counts
    against one holding the reader's own words. Keys are bags of words: "request limit"
    and "limit requests" are one key."""

    GROUP_WEIGHT = 0.7  # a page with the reader's own word ranks above one with a synonym
    EXPANSION_WEIGHT = 1.0  # an abbreviation means exactly what it stands for

    MAX_WORDS = 4  # the longest key, in words
    MAX_ALTERNATIVES = 8

    def __init__(self, stems):
        self.stems = stems
        self.table = {}

    def add(self, key, alternatives, section=None, weight=GROUP_WEIGHT):
        key_terms = self.stems.of(key)
        if not key_terms or len(key_terms) > self.MAX_WORDS:
            return
        known = self.table.setdefault(tuple(sorted(key_terms)), [])
        for phrase in alternatives:
            terms = self.stems.of(phrase)
            if terms and terms != key_terms and all((terms, section) != k[:2] for k in known):
                if len(known) < self.MAX_ALTERNATIVES:
                    known.append((terms, section, tuple(words(phrase)), weight))

    def get(self, terms):
        return self.table.get(tuple(sorted(terms)), ())


class Typos:
    """The closest frequent word for one that is not in the index: at most one edit away
    for a word of up to five letters, two for longer ones (Damerau: a swap is one edit).

    Symmetric deletes (the SymSpell idea): every known word is stored under itself with
    one letter removed; a query word's variants with up to two letters removed are looked
    up there, then checked with the real distance.

    The variants are kept as two arrays, their hashes sorted and the index of the word each
    came from, not as a dict of strings: about 12 bytes a variant instead of about 120 (the
    index of 10,000 pages has some 100,000 variants). A hash that two variants share only
    adds a candidate, which the real distance then turns down."""

    MIN_LENGTH = 4
    MAX_LENGTH = 30  # longer is no typo of a word (and its variants would cost)

    def __init__(self, counts):
        """``counts``: known word -> how many pages hold it."""
        self.counts = counts
        self.words = [w for w in counts
                      if self.MIN_LENGTH <= len(w) <= self.MAX_LENGTH and w.isalpha()]
        pairs = sorted((hash(variant), i) for i, word in enumerate(self.words)
                       for variant in _deletes(word))
        self.hashes = array("q", (h for h, _ in pairs))
        self.owners = array("I", (i for _, i in pairs))

    @staticmethod
    def max_distance(word):
        return 1 if len(word) <= 5 else 2

    def _stored_under(self, variant):
        """The known words that have ``variant`` as one of their deletes (or a hash twin)."""
        h = hash(variant)
        i = bisect_left(self.hashes, h)
        while i < len(self.hashes) and self.hashes[i] == h:
            yield self.words[self.owners[i]]
            i += 1

    def correct(self, word):
        """The best known word for ``word``, or None."""
        if not self.MIN_LENGTH <= len(word) <= self.MAX_LENGTH or not word.isalpha():
            return None
        limit = self.max_distance(word)
        variants = {word} | _deletes(word)
        if limit > 1:
            variants |= {d for v in _deletes(word) for d in _deletes(v)}
        candidates = set()
        for variant in variants:
            if variant in self.counts:
                candidates.add(variant)
            candidates.update(self._stored_under(variant))
        best = None
        for candidate in candidates:
            if candidate == word:
                continue
            distance = _distance(word, candidate, limit)
            if distance <= limit:
                key = (distance, -self.counts[candidate], candidate)
                best = min(best, key) if best else key
        return best[2] if best else None


def _deletes(word):
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _distance(a, b, limit):
    """Damerau-Levenshtein (optimal string alignment) distance, or ``limit + 1`` early."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


# -- the directive ---------------------------------------------------------------------

SEARCH_TERMS = "portal search terms"


def add_portal_search_terms(config, section, terms):
    """Teach search a plugin's vocabulary: ``terms`` maps a word or phrase readers type to
    the words or phrases the pages use (``{"cron": ["beat schedule", "periodic task"]}``).
    With a ``section`` name, the alternatives are looked for in that section's pages only;
    with None, everywhere. Registered on the registry; the index reads it when it is built."""
    if section is not None and (not isinstance(section, str) or not section):
        raise ConfigurationError(f"search terms: section must be a section name or None, got {section!r}")
    if not isinstance(terms, dict) or not terms:
        raise ConfigurationError("search terms: expected a dict of a word to a list of words, "
                                 "such as {'cron': ['beat schedule']}")
    clean = {}
    for key, alternatives in terms.items():
        if isinstance(alternatives, str):
            alternatives = [alternatives]
        if (not isinstance(key, str) or not words(key) or not isinstance(alternatives, (list, tuple))
                or not all(isinstance(a, str) and words(a) for a in alternatives)):
            raise ConfigurationError(
                f"search terms: {key!r} must be a word or phrase mapped to a list of words "
                f"or phrases, got {alternatives!r}")
        if len(words(key)) > Synonyms.MAX_WORDS:
            raise ConfigurationError(f"search terms: {key!r} is longer than {Synonyms.MAX_WORDS} words")
        clean[key] = list(alternatives)
    registry = config.registry
    owner = _plugin_name(config)

    def register():
        registry.portal_search_terms.append((section, clean))

    # One registration per plugin, section and key set: the same plugin declaring the
    # same words twice is a conflict that names both lines.
    discriminator = (SEARCH_TERMS, owner, section, tuple(sorted(clean)))
    intr = config.introspectable(SEARCH_TERMS, discriminator, f"{section or 'all sections'}: "
                                 f"{', '.join(sorted(clean))}", SEARCH_TERMS)
    intr["plugin"] = owner
    intr["section"] = section
    intr["terms"] = clean
    config.action(discriminator, register, introspectables=(intr,))


def _plugin_name(config):
    plugins = getattr(config.registry, "portal_plugins", None)
    if plugins is None:
        return None
    from ..plugins.loader import plugin_of  # the plugin host's, when it is there

    rec = plugin_of(config)
    return rec.name if rec else None
