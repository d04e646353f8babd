"""Reading a reader's text as a search query: never syntax, always words.

``parse_query`` reads words, "phrases" and prefix* terms out of any input (operators, column
filters, brackets and control characters are just text); every way into search (the results
page, the live box, the API, the 404 page's suggestions) reads its text here and the index
reads the terms against its vocabulary in one place (``SearchIndex.plan``), so they never
disagree about what a query means.
"""

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
MIN_PREFIX = 3  # "a*" or "re*" would match most of the vocabulary

# Words too common to narrow a search: dropped from a query that has other words, so
# "how do I deploy with docker" looks for deploy and docker (a "quoted phrase" keeps them).
STOP_WORDS = frozenset(
    "a about am an and any are as at be been but by can could did do does for from get got "
    "has have how i if in into is it its me my no not of on or our should so than that the "
    "their them then there these this those to too us use using vs versus very was we were "
    "what when where which who why will with would you your".split()
)
# Runs of letters and digits: how pages and queries are split into words (underscore and
# every other punctuation separate them).
TOKEN_RE = re.compile(r"[^\W_]+")
# A "phrase" (the closing quote may be missing) or a bare word.
ITEM_RE = re.compile(r'"([^"]*)"?(\*?)|([^\s"]+)')
# Control characters (NUL included), invisible format characters and lone surrogates.
_CONTROL_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
    "\ufff9-\ufffb\ud800-\udfff]"
)


def clean(text):
    """``text`` with control, format and surrogate characters turned into spaces."""
    return _CONTROL_RE.sub(" ", text) if text else ""


def clean_lines(text):
    """``clean``, keeping line breaks (a code snippet is shown line by line)."""
    return "\n".join(clean(line) for line in text.split("\n")) if text else ""


@dataclass(frozen=True)
class Term:
    """One item of a query: a word, or a phrase of words; ``prefix`` matches words that
    start with the last one (``migr*``); ``partial`` marks the query's last bare word, which
    may be a word still being typed (the index decides: a word it does not know is read
    as a prefix, ``transac``)."""

    tokens: tuple
    prefix: bool = False
    partial: bool = False

    def __str__(self):
        text = " ".join(self.tokens)
        if len(self.tokens) > 1:
            text = f'"{text}"'
        return text + "*" if self.prefix else text


@dataclass(frozen=True)
class Query:
    """A reader's query, read safely: ``terms`` to match, ``text`` as the reader typed it
    (cleaned and shortened), ``truncated`` when it was longer than ``MAX_QUERY_CHARS``."""

    text: str
    terms: tuple
    truncated: bool = False

    def __bool__(self):
        return bool(self.terms)

    @property
    def significant(self):
        """The terms that narrow the search: stop words go unless nothing else is left."""
        kept = tuple(t for t in self.terms if t.prefix or len(t.tokens) > 1
                     or t.tokens[0] not in STOP_WORDS)
        return kept or self.terms

    def __str__(self):
        return " ".join(str(term) for term in self.terms)


def parse_query(text, *, live=False, max_chars=MAX_QUERY_CHARS, max_terms=MAX_TERMS):
    """Read a reader's text as a query: bare words, "quoted phrases" and ``word*`` prefixes.

    Anything else (search operators, column filters, brackets, unbalanced quotes, control
    characters) is just text whose letters and digits become words. A word joined by
    punctuation (``add_portal_section``, ``request.dbsession``) becomes a phrase, which is how
    the index reads it. The last bare word is ``partial`` whether or not the reader is still
    typing (``live``): the live box, the results page and the API must read ``transac`` alike.
    """
    text = clean(text or "")
    truncated = len(text) > max_chars
    text = text[:max_chars]
    text = " ".join(text.split())
    terms = []
    matches = list(ITEM_RE.finditer(text))
    for i, m in enumerate(matches):
        phrase, star, word = m.group(1), m.group(2), m.group(3)
        partial = False
        if word is not None:
            star = "*" if word.endswith("*") else ""
            source = word
            partial = not star and i == len(matches) - 1
        else:
            source = phrase
        tokens = tuple(t.casefold() for t in TOKEN_RE.findall(source))
        if not tokens:
            continue
        prefix = bool(star) and len(tokens[-1]) >= MIN_PREFIX
        term = Term(tokens, prefix, partial and len(tokens) == 1)
        if all((t.tokens, t.prefix) != (term.tokens, term.prefix) for t in terms):
            terms.append(term)
        if len(terms) == max_terms:
            break
    return Query(text=text, terms=tuple(terms), truncated=truncated)


def title_key(text):
    """A title or query reduced to its words, to compare one with the other."""
    return " ".join(TOKEN_RE.findall(clean(text).casefold()))


def words_of_path(path):
    """The words of a URL path, for the 404 page's suggestions: ``/flask/blue-prints.md``
    -> ``flask blue prints``."""
    words = []
    for token in TOKEN_RE.findall(clean(path).casefold()):
        if token not in ("md", "html", "htm", "index", "www") and token not in words:
            words.append(token)
    return " ".join(words[:MAX_TERMS])
