"""What a content folder becomes: ``Document`` trees, and the located problems found on the way.

Nothing here knows about requests or views: the output is plain data the resources hold and
search indexes.
"""

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

# URL segments: lowercase letters, digits and inner hyphens.
SEGMENT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
WORDS_PER_MINUTE = 220


class Problem(str):
    """A located problem in a content folder: as a string ``file:line: message`` (the form
    editors and CI logs link to); ``file``, ``line`` and ``message`` for tools such as
    ``portal plugin check``."""

    def __new__(cls, file, line, message):
        self = super().__new__(cls, f"{file}:{line}: {message}")
        self.file = str(file)
        self.line = line
        self.message = message
        return self

    def __reduce__(self):  # kept in the content cache
        return (Problem, (self.file, self.line, self.message))


class ContentError(Exception):
    """A content folder or page that cannot be served; the message names the file.

    ``problems`` holds every located problem found in the folder (one ``Problem`` each),
    so an author sees all of them at once, not one per attempt."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def of(cls, problems):
        return cls("\n".join(problems), problems)

    @classmethod
    def at(cls, file, line, message):
        return cls.of([Problem(file, line, message)])


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Chunk:
    """A run of a page's text under one heading (``heading`` is None before the first)."""

    heading: Heading | None
    text: str


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block: ``info`` is the fence's info string (``python runnable``),
    ``line`` the line of the opening fence in the page's file."""

    lang: str
    info: str
    line: int
    source: str


@dataclass(frozen=True)
class SiteLink:
    """A link to another section (``/flask/testing.md``), kept so tools can check it
    against the sections installed: ``path`` is the target's segments."""

    line: int
    href: str
    path: tuple


@dataclass
class Document:
    """One page, parsed: what a resource needs to show it and what search needs to index it."""

    path: tuple  # segments inside the section; () for the section's own index.md
    source: Path
    title: str
    summary: str
    order: int
    tags: tuple
    updated: datetime.date | None
    toc: list
    chunks: list
    words: int
    meta: dict = field(default_factory=dict)  # the whole front matter, as read
    warnings: list = field(default_factory=list)  # of Problem
    children: list = field(default_factory=list)
    code: list = field(default_factory=list)  # of CodeBlock
    site_links: list = field(default_factory=list)  # of SiteLink
    static_links: list = field(default_factory=list)  # of links.StaticLink (the plugin host busts them)
    # Pygments is most of the cost of a page, so the HTML is made when the page is first
    # shown (then kept): start-up parses and checks every page but renders none.
    _render: object = field(default=None, repr=False, compare=False)
    _html: str | None = field(default=None, repr=False, compare=False)
    # Applied once to the HTML when it is made: the plugin host gives static links their
    # cache-busting URLs this way (portal.plugins.validation), whatever made the HTML.
    _finish: object = field(default=None, repr=False, compare=False)

    @property
    def html(self):
        render = self._render  # read once: another thread may be finishing the same page
        if self._html is None and render is not None:
            html, finish = render(), self._finish
            self._html = finish(html) if finish is not None else html
            self._render = None  # the tokens are no longer needed
        return self._html or ""

    @property
    def reading_minutes(self):
        """Prose at 220 words a minute, code at half that: code is read, not skimmed."""
        code_words = sum(len(block.source.split()) for block in self.code)
        return max(1, round((self.words + 2 * code_words) / WORDS_PER_MINUTE))


def iter_documents(doc):
    """The document and all below it, depth first, in reading order."""
    yield doc
    for child in doc.children:
        yield from iter_documents(child)
