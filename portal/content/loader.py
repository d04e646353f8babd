"""A plugin's content folder, read once per process: ``load_folder`` turns it into a tree of
``Document`` objects (front matter read and checked, links rewritten and checked, headings
collected for the on-page contents and for search). The HTML of a page is rendered when the
page is first shown (``Document.html``)."""

import functools
from pathlib import Path

from .documents import SEGMENT_RE, Chunk, CodeBlock, ContentError, Document, Heading, Problem
from .extensions.code import fence_lang
from .frontmatter import read_front_matter, unknown_keys
from .links import STATIC_HINT, LinkRewriter
from .markdown import make_markdown


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
        links = LinkRewriter(self.section, self.parsed, self.lines)
        for rel, (doc, tokens, env) in self.parsed.items():
            links.rewrite(doc, rel, tokens)
            doc._render = functools.partial(self.md.renderer.render, tokens, self.md.options, env)
        return root

    def _read_tree(self, folder, path):
        index = self._read_page(folder / "index.md", path)
        served = {}  # URL segment -> the file served there
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".") or entry.name == "index.md":
                continue
            if entry.is_dir():
                if not (entry / "index.md").is_file():
                    index.warnings.extend(_unserved_folder(entry, self.folder))
                elif self._check_segment(entry.name, entry / "index.md") and \
                        self._unique(served, entry.name, entry / "index.md", path):
                    index.children.append(self._read_tree(entry, path + (entry.name,)))
            elif entry.suffix == ".md":
                if self._check_segment(entry.stem, entry) and self._unique(served, entry.stem, entry, path):
                    index.children.append(self._read_page(entry, path + (entry.stem,)))
            else:
                index.warnings.append(Problem(entry, 1, f"{entry.name} is not served: {STATIC_HINT}"))
        index.children.sort(key=lambda d: (d.order, d.title.lower(), d.path))
        return index

    def _unique(self, served, segment, file, path):
        """Two files served at one URL (``routing.md`` beside ``routing/index.md``): the
        plugin fails naming both, instead of one silently hiding the other."""
        other = served.setdefault(segment, file)
        if other == file:
            return True
        url = "/" + "/".join((self.section, *path, segment)) + "/"
        self.errors.append(Problem(file, 1, f"{file} and {other} are both the page {url}: "
                                            "rename or remove one"))
        return False

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
        # What the Markdown extensions need (snippets resolve inside the plugin's package)
        # and where their located problems go.
        env = {"source": file, "content": self.folder}
        tokens = self.md.parse(text, env)
        try:
            meta = read_front_matter(file, tokens)
        except ContentError as exc:
            self.errors.extend(exc.problems)
            meta = {}
        tokens_with_meta = tokens
        title, tokens = _title(meta, tokens)
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
            meta=meta,
        )
        doc.warnings.extend(env.pop("warnings", ()))
        if not title:
            doc.warnings.append(Problem(file, 1, "no title (front matter 'title' or a '#' heading)"))
        if meta and tokens_with_meta[0].type == "front_matter":
            doc.warnings.extend(unknown_keys(file, tokens_with_meta[0], meta))
        _collect(doc, tokens)
        rel = file.relative_to(self.folder).as_posix()
        self.parsed[rel] = (doc, tokens, env)
        self.lines[rel] = text.splitlines()
        return doc


def _unserved_folder(folder, root):
    """The warning for a folder without ``index.md``: nothing in it is served."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    pages = [p for p in files if p.suffix == ".md"]
    rel = folder.relative_to(root).as_posix()
    if pages:
        return [Problem(pages[0], 1, f"folder {rel}/ has {len(pages)} Markdown "
                                     f"page{'s' if len(pages) != 1 else ''} but no index.md, so none is "
                                     f"served: add {rel}/index.md")]
    if files:
        return [Problem(files[0], 1, f"folder {rel}/ is not served: {STATIC_HINT}")]
    return []


def _title(meta, tokens):
    """Title from front matter, else the first ``#`` heading; a leading ``#`` is dropped
    from the body because the layout prints the title."""
    body = [t for t in tokens if t.type != "front_matter"]
    h1 = None
    if len(body) >= 3 and body[0].type == "heading_open" and body[0].tag == "h1":
        h1 = body[1].content.strip()
        body = body[3:]
    return meta.get("title") or h1, body


def _collect(doc, tokens):
    """Headings for the contents, text chunks for search, code blocks, and the word count."""
    heading = None
    parts = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            if parts or heading:
                doc.chunks.append(Chunk(heading, " ".join(parts)))
            parts = []
            heading = _heading(tok, tokens[i + 1])
            if heading.id and heading.level in (2, 3):
                doc.toc.append(heading)
        elif tok.type == "inline":
            if i and tokens[i - 1].type == "heading_open":
                continue
            text = _inline_text(tok)
            parts.append(text)
            doc.words += len(text.split())
        elif tok.type in ("fence", "code_block"):
            parts.append(tok.content)
            if tok.type == "fence":
                doc.code.append(_code_block(tok))
    if parts or heading:
        doc.chunks.append(Chunk(heading, " ".join(parts)))


def _heading(tok, inline):
    """The heading a ``heading_open`` token opens; gives its permalink an accessible name."""
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
    return heading


def _inline_text(tok):
    """The words of an inline token; line breaks inside a paragraph separate words too."""
    return "".join(
        c.content if c.type in ("text", "code_inline") else " "
        for c in tok.children or () if c.type in ("text", "code_inline", "softbreak", "hardbreak")
    )


def _code_block(tok):
    info = tok.info.strip()
    line = tok.map[0] + 1 if tok.map else 1
    return CodeBlock(fence_lang(info), info, line, tok.content)


_RENDERED = {}


def load_folder(folder, section, cache=None):
    """Parse every page of a content folder; raises ``ContentError``.

    Plugin content is static for the life of a process, so a folder is read once: an
    application built again in the same process (tests, ``portal plugin check``) reuses it
    as long as no file in it changed. With ``cache`` (a ``portal.content.cache.ContentCache``)
    a folder parsed by an earlier start is loaded from disk instead."""
    folder = Path(folder)
    key = (str(folder), section, _signature(folder))
    if key not in _RENDERED:
        _RENDERED[key] = _load(folder, section, cache)
    return _RENDERED[key]


def _load(folder, section, cache):
    if cache is None:
        return FolderLoader(folder, section).load()
    from .cache import folder_key

    try:
        disk_key = folder_key(folder, section)
    except OSError:
        return FolderLoader(folder, section).load()  # the loader says what is wrong
    root = cache.load(disk_key)
    if root is None:
        root = FolderLoader(folder, section).load()
        cache.store(disk_key, root)
    return root


def _signature(folder):
    try:
        return tuple(
            (str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.rglob("*"))
        )
    except OSError:
        return None
