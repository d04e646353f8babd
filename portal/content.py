"""Markdown content: a plugin's folder of pages, parsed and rendered once per process.

``load_folder`` turns a content folder into a tree of ``Document`` objects: front matter
read and checked, Markdown rendered to HTML (markdown-it-py, Pygments for code), links
between pages rewritten to the URLs the pages are served at, headings collected for the
on-page contents and for search. Nothing here knows about requests or views: the output
is plain data the resources hold.
"""

import datetime
import functools
import html
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

# URL segments: lowercase letters, digits and inner hyphens.
SEGMENT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
FRONT_MATTER_KEYS = {"title": str, "summary": str, "order": int, "tags": list, "updated": object}
WORDS_PER_MINUTE = 220
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_FORMATTER = HtmlFormatter(nowrap=True)
# libyaml's safe loader when PyYAML was built with it: ten times faster at start-up.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _pure_yaml_error(text):
    """The pure-Python loader's error for ``text``: its messages and positions are the
    ones authors find clearest (libyaml's differ), and errors are rare enough to parse twice."""
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return exc
    return yaml.YAMLError("cannot be parsed")


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


def _error(file, line, message):
    return ContentError.of([Problem(file, line, message)])


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
    """One page, rendered: what a resource needs to show it and what search needs to index it."""

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
    warnings: list = field(default_factory=list)  # of Problem
    children: list = field(default_factory=list)
    code: list = field(default_factory=list)  # of CodeBlock
    site_links: list = field(default_factory=list)  # of SiteLink
    # Pygments is most of the cost of a page, so the HTML is made when the page is first
    # shown (then kept): start-up parses and checks every page but renders none.
    _render: object = field(default=None, repr=False, compare=False)
    _html: str | None = field(default=None, repr=False, compare=False)

    @property
    def html(self):
        render = self._render  # read once: another thread may be finishing the same page
        if self._html is None and render is not None:
            self._html = render()
            self._render = None  # the tokens are no longer needed
        return self._html or ""

    @property
    def reading_minutes(self):
        return max(1, round(self.words / WORDS_PER_MINUTE))


def highlight_code(code, lang, attrs):
    """markdown-it's highlight hook: Pygments spans inside ``<pre class="highlight">``."""
    if not lang:
        return ""
    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""  # markdown-it escapes the code itself
    return (
        f'<pre class="highlight" data-lang="{html.escape(lang)}"><code class="language-{html.escape(lang)}">'
        f"{highlight(code, lexer, _FORMATTER)}</code></pre>"
    )


def make_markdown():
    """The one Markdown dialect of plugin content: CommonMark plus tables, admonitions, anchors."""
    md = MarkdownIt("commonmark", {"highlight": highlight_code})
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    md.use(admon_plugin)
    md.use(anchors_plugin, min_level=2, max_level=4, permalink=True, permalinkSymbol="#")
    return md


class FolderLoader:
    """Reads one content folder; ``load()`` returns the root ``Document``."""

    def __init__(self, folder, section, md=None):
        self.folder = Path(folder)
        self.section = section
        self.md = md or make_markdown()
        self.parsed = {}  # relative source path (posix) -> (doc, tokens, env)
        self.lines = {}  # relative source path -> the file's lines (to locate links)
        self.errors = []  # Problems that make the folder unservable, all reported together

    def load(self):
        if not self.folder.is_dir():
            raise ContentError(f"content folder {self.folder} does not exist")
        if not (self.folder / "index.md").is_file():
            raise ContentError(f"content folder {self.folder} has no index.md")
        root = self._read_tree(self.folder, ())
        if self.errors:
            raise ContentError.of(self.errors)
        for rel, (doc, tokens, env) in self.parsed.items():
            self._rewrite_links(doc, rel, tokens)
            doc._render = functools.partial(self.md.renderer.render, tokens, self.md.options, env)
        return root

    def _read_tree(self, folder, path):
        index = self._read_page(folder / "index.md", path)
        for entry in sorted(folder.iterdir()):
            if entry.is_dir():
                if not (entry / "index.md").is_file():
                    continue  # a folder of assets, not pages
                if self._check_segment(entry.name, entry / "index.md"):
                    index.children.append(self._read_tree(entry, path + (entry.name,)))
            elif entry.suffix == ".md" and entry.name != "index.md":
                if self._check_segment(entry.stem, entry):
                    index.children.append(self._read_page(entry, path + (entry.stem,)))
        index.children.sort(key=lambda d: (d.order, d.title.lower(), d.path))
        return index

    def _check_segment(self, name, entry):
        if SEGMENT_RE.match(name):
            return True
        self.errors.append(Problem(
            entry, 1, f"{name!r} cannot be a URL segment: use lowercase letters, digits and hyphens"
        ))
        return False

    def _read_page(self, file, path):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            # Kept as an empty page so the rest of the folder is still checked.
            self.errors.append(Problem(file, 1, f"cannot be read: {exc}"))
            text = ""
        env = {}
        tokens = self.md.parse(text, env)
        try:
            meta = self._front_matter(file, tokens)
        except ContentError as exc:
            self.errors.extend(exc.problems)
            meta = {}
        title, tokens = self._title(meta, tokens)
        doc = Document(
            path=path,
            source=file,
            title=title or (path[-1].replace("-", " ").capitalize() if path else self.section),
            summary=meta.get("summary", "").strip(),
            order=meta.get("order", 0 if not path else 100),
            tags=tuple(meta.get("tags", ())),
            updated=meta.get("updated"),
            toc=[],
            chunks=[],
            words=0,
        )
        if not title:
            doc.warnings.append(Problem(file, 1, "no title (front matter 'title' or a '#' heading)"))
        self._collect(doc, tokens)
        rel = file.relative_to(self.folder).as_posix()
        self.parsed[rel] = (doc, tokens, env)
        self.lines[rel] = text.splitlines()
        return doc

    def _front_matter(self, file, tokens):
        if not tokens or tokens[0].type != "front_matter":
            return {}
        try:
            meta = yaml.load(tokens[0].content, Loader=_YAML_LOADER)
        except yaml.YAMLError:
            exc = _pure_yaml_error(tokens[0].content)
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark else 1  # +1 for the opening ---, +1 for 1-based
            problem = getattr(exc, "problem", None) or str(exc)
            raise _error(file, line, f"invalid front matter: {problem}") from None
        if meta is None:
            return {}
        if not isinstance(meta, dict):
            raise _error(file, 2, "invalid front matter: expected key: value pairs")
        for key, kind in FRONT_MATTER_KEYS.items():
            if key in meta and not isinstance(meta[key], kind):
                raise _error(
                    file, _key_line(tokens[0], key),
                    f"invalid front matter: {key!r} must be {kind.__name__}, "
                    f"got {type(meta[key]).__name__}",
                )
        if "updated" in meta:
            meta["updated"] = _as_date(file, _key_line(tokens[0], "updated"), meta["updated"])
        if "tags" in meta:
            meta["tags"] = [str(t) for t in meta["tags"]]
        return meta

    def _title(self, meta, tokens):
        """Title from front matter, else the first ``#`` heading; a leading ``#`` is dropped
        from the body because the layout prints the title."""
        body = [t for t in tokens if t.type != "front_matter"]
        h1 = None
        if len(body) >= 3 and body[0].type == "heading_open" and body[0].tag == "h1":
            h1 = body[1].content.strip()
            body = body[3:]
        return meta.get("title") or h1, body

    def _collect(self, doc, tokens):
        """Headings for the contents, text chunks for search, the word count, and
        accessible names for the permalink anchors."""
        heading = None
        parts = []
        words = 0
        for i, tok in enumerate(tokens):
            if tok.type == "heading_open":
                if parts or heading:
                    doc.chunks.append(Chunk(heading, " ".join(parts)))
                parts = []
                inline = tokens[i + 1]
                anchor, text = None, []
                for child in inline.children or ():
                    if child.type == "link_open" and "header-anchor" in (child.attrGet("class") or ""):
                        anchor = child
                    elif child.type == "link_close" and anchor is not None:
                        break
                    elif anchor is None and child.type in ("text", "code_inline"):
                        text.append(child.content)
                heading = Heading(int(tok.tag[1]), tok.attrGet("id") or "", "".join(text).strip())
                if anchor is not None:
                    anchor.attrSet("aria-label", f"Permalink to {heading.text}")
                if heading.id and heading.level in (2, 3):
                    doc.toc.append(heading)
            elif tok.type == "inline":
                if i and tokens[i - 1].type == "heading_open":
                    continue
                # Line breaks inside a paragraph separate words too (search, word count).
                text = "".join(
                    c.content if c.type in ("text", "code_inline") else " "
                    for c in tok.children or () if c.type in ("text", "code_inline", "softbreak", "hardbreak")
                )
                parts.append(text)
                words += len(text.split())
            elif tok.type in ("fence", "code_block"):
                parts.append(tok.content)
                if tok.type == "fence":
                    info = tok.info.strip()
                    line = tok.map[0] + 1 if tok.map else 1
                    doc.code.append(CodeBlock(info.split(" ")[0], info, line, tok.content))
        if parts or heading:
            doc.chunks.append(Chunk(heading, " ".join(parts)))
        doc.words = words

    def _rewrite_links(self, doc, rel, tokens):
        """Relative ``.md`` links become relative URLs of the target page; ``/section/...``
        links become relative to the site root, so the portal can be mounted anywhere."""
        here = (self.section,) + doc.path
        for tok, line in self._links(rel, tokens):
            if tok.type == "image":
                src = tok.attrGet("src") or ""
                if src.startswith("/-/"):  # the portal's own files: /-/static/<plugin>/...
                    tok.attrSet("src", _relative_url(here, _site_path(src), folder=False))
                continue
            href = tok.attrGet("href") or ""
            if not href or href.startswith("#") or href.startswith("//") or _SCHEME_RE.match(href):
                continue
            target, _, fragment = href.partition("#")
            if target.startswith("/-/"):
                new = _relative_url(here, _site_path(target), folder=False)
            elif target.startswith("/"):
                url = _site_path(target)
                doc.site_links.append(SiteLink(line, href, url))
                new = _relative_url(here, url)
            else:
                url = self._page_path(doc, rel, target, fragment, line)
                if url is None:
                    continue
                new = _relative_url(here, url)
            tok.attrSet("href", new + (f"#{fragment}" if fragment else ""))

    def _links(self, rel, tokens):
        """Each link and image token with the line of the file it is on: markdown-it maps
        only block tokens to lines, so the line is the first of the block that holds the
        link's target (the block's first line if the target is spelled differently)."""
        lines = self.lines.get(rel, [])
        for block in tokens:
            for tok in _walk(block.children or ()):
                if tok.type not in ("link_open", "image"):
                    continue
                start, end = block.map or (0, 1)
                target = tok.attrGet("href") or tok.attrGet("src") or ""
                line = next((i + 1 for i in range(start, min(end, len(lines)))
                             if target and target in lines[i]), start + 1)
                yield tok, line

    def _page_path(self, doc, rel, target, fragment, line=1):
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
        if resolved.startswith("..") or resolved.startswith("/"):
            doc.warnings.append(Problem(doc.source, line, f"link {target!r} leaves the content folder"))
            return None
        if target.endswith("/") or resolved in self._folders():
            resolved = posixpath.join(resolved, "index.md")
        found = self.parsed.get(resolved)
        if found is None:
            doc.warnings.append(Problem(doc.source, line, f"broken link {target!r}: no page {resolved}"))
            return None
        target_doc = found[0]
        if fragment and fragment not in {h.id for h in _all_headings(target_doc)}:
            doc.warnings.append(Problem(
                doc.source, line, f"broken link {target}#{fragment}: no heading with that id"
            ))
        return (self.section,) + target_doc.path

    def _folders(self):
        return {posixpath.dirname(rel) for rel in self.parsed if rel.endswith("/index.md")}


def _all_headings(doc):
    return [c.heading for c in doc.chunks if c.heading]


def _walk(tokens):
    for tok in tokens:
        yield tok
        if tok.children:
            yield from _walk(tok.children)


def _site_path(target):
    """``/flask/testing.md`` -> ``("flask", "testing")``; ``/flask/`` -> ``("flask",)``."""
    segments = [s for s in target.split("/") if s]
    if segments and segments[-1].endswith(".md"):
        segments[-1] = segments[-1][:-3]
    if segments and segments[-1] == "index":
        segments.pop()
    return tuple(segments)


def _relative_url(here, there, folder=True):
    """URL of ``there`` relative to ``here``, both paths of segments served with a trailing
    slash (``folder=False``: ``there`` is a file, such as a plugin's static asset)."""
    start = "/" + "/".join(here) + "/" if here else "/"
    dest = "/" + "/".join(there) + "/" if there else "/"
    rel = posixpath.relpath(dest, start)
    if not folder:
        return rel
    return "./" if rel == "." else rel + "/"


def _key_line(front_matter, key):
    """The line of ``key:`` in a front matter token (its first line if not found)."""
    first = front_matter.map[0] if front_matter.map else 0
    for i, text in enumerate(front_matter.content.splitlines()):
        if text.startswith(f"{key}:"):
            return first + i + 2  # +1 for the opening ---, +1 for 1-based
    return first + 2


def _as_date(file, line, value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise _error(
            file, line, f"invalid front matter: 'updated' must be a date (YYYY-MM-DD), got {value!r}"
        ) from None


_RENDERED = {}


def load_folder(folder, section):
    """Parse and render every page of a content folder; raises ``ContentError``.

    Plugin content is static for the life of a process, so a folder is rendered once: an
    application built again in the same process (tests, ``portal plugin check``) reuses it
    as long as no file in it changed."""
    folder = Path(folder)
    key = (str(folder), section, _signature(folder))
    if key not in _RENDERED:
        _RENDERED[key] = FolderLoader(folder, section).load()
    return _RENDERED[key]


def _signature(folder):
    try:
        return tuple(
            (str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.rglob("*.md"))
        )
    except OSError:
        return None


def iter_documents(doc):
    """The document and all below it, depth first, in reading order."""
    yield doc
    for child in doc.children:
        yield from iter_documents(child)


def pygments_css(light="default", dark="github-dark"):
    """The code-highlighting stylesheet shipped as ``static/css/pygments.css``: the light
    style by default, the dark one when the reader or their system chooses dark."""
    dark_explicit = HtmlFormatter(style=dark).get_style_defs('html[data-theme="dark"] .highlight')
    dark_system = HtmlFormatter(style=dark).get_style_defs('html:not([data-theme="light"]) .highlight')
    return "\n".join([
        f"/* Generated by portal.content.pygments_css() from Pygments styles {light!r} and {dark!r}. */",
        HtmlFormatter(style=light).get_style_defs(".highlight"),
        dark_explicit,
        "@media (prefers-color-scheme: dark) {",
        dark_system,
        "}",
        "",
    ])
