"""A search result's words, marked on the page it links to: ``/flask/testing/?h=fixture+client``.

Done on the server, so it works without JavaScript: the page's HTML (made by
``portal.content``, trusted) is split into tags and text, and only whole words in text
nodes get a ``<mark>``, never a tag, an attribute, an entity, or the inside of a code
block (``<pre>``: Pygments' markup stays as it was). The words come from the reader's URL:
they are only compared with the page's words (by term, as search compares them), never
written into the page, and bounded (``MAX_CHARS``, ``MAX_WORDS``).
"""

import re

from pyramid.events import subscriber

from ..events import PageRendered
from .query import TOKEN_RE
from .vocabulary import words

MAX_CHARS = 200
MAX_WORDS = 8
# Tags (and comments) or entities: never inside one.
_SPLIT_RE = re.compile(r"(<!--.*?-->|<[^>]*>|&[#\w]+;)", re.S)
_SKIP = {"pre", "script", "style", "textarea", "svg", "button"}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][\w-]*)")


def words_to_mark(text, term):
    """The terms of ``h``: at most MAX_WORDS words of at least two letters."""
    found = []
    for word in words((text or "")[:MAX_CHARS]):
        t = term(word)
        if len(word) > 1 and t not in found:
            found.append(t)
        if len(found) == MAX_WORDS:
            break
    return frozenset(found)


def mark(html, wanted, term):
    """``html`` with each word whose term is in ``wanted`` in ``<mark class="search-mark">``."""
    if not wanted:
        return html
    out, skipping = [], []

    def replace(m):
        word = m.group()
        return f'<mark class="search-mark">{word}</mark>' if term(word) in wanted else word

    for part in _SPLIT_RE.split(html):
        if not part:
            continue
        if part[0] == "<":
            tag = _TAG_RE.match(part)
            if tag and tag.group(2).lower() in _SKIP and not part.endswith("/>"):
                if tag.group(1):
                    if skipping and skipping[-1] == tag.group(2).lower():
                        skipping.pop()
                else:
                    skipping.append(tag.group(2).lower())
            out.append(part)
        elif skipping or (part[0] == "&" and part.endswith(";")):  # code, or an entity
            out.append(part)
        else:
            out.append(TOKEN_RE.sub(replace, part))
    return "".join(out)


@subscriber(PageRendered)
def highlight_search_words(event):
    """A page opened from search results: its words marked in the body."""
    request = event.request
    try:
        raw = request.GET.get("h")
    except UnicodeDecodeError:  # not UTF-8: nothing to mark
        return
    index = getattr(request.registry, "portal_search", None)
    doc = event.value.get("doc")
    if not raw or index is None or doc is None:
        return
    term = index.stems.term
    wanted = words_to_mark(raw, term)
    if wanted:
        event.value["body_html"] = mark(doc.html, wanted, term)
