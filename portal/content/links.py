"""Links in plugin Markdown, rewritten to the URLs pages are served at and checked.

Relative ``.md`` links become relative URLs of the target page; ``/section/...`` links become
relative to the site root (so the portal can be mounted anywhere) and are kept so tools can
check them against the sections installed; ``/-/...`` links (the portal's own files) are made
relative too. Broken links and anchors become located warnings.

Links and images to static files (``/-/static/<name>/...``) are kept as ``StaticLink``s:
which folder serves ``<name>`` is known only once every plugin is loaded, so the plugin
host checks that the file exists (a missing one is a located warning) and gives the link
its cache-busting URL (``?v=<hash of the file>``) in the page's HTML when it is made. Content
folders hold Markdown only: an image or file next to the pages is not served, and a link
to one says where static files go.
"""

import posixpath
import re
from dataclasses import dataclass

from .documents import Problem, SiteLink


@dataclass(frozen=True)
class StaticLink:
    """A link or image to ``/-/static/...`` in a page: ``path`` its segments, ``url`` the
    relative URL it is rendered with (in the ``attr`` attribute: ``src`` or ``href``),
    ``fragment`` what followed ``#``. Plain data: the plugin host adds the file's version
    to the rendered HTML, whether that HTML was just rendered or read back."""

    line: int
    href: str
    path: tuple
    url: str
    attr: str
    fragment: str = ""


class StaticProblem(Problem):
    """A located problem found when the plugin host resolves static links (made again
    each time a portal is built from the same, cached, content)."""


STATIC_HINT = ("content folders hold Markdown pages only; put static files in the plugin's "
               "static folder (config.add_portal_static) and link them as /-/static/<name>/...")

_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class LinkRewriter:
    """Rewrites the links of the pages of one content folder (``parsed``: relative source
    path -> ``(doc, tokens, env)``; ``lines``: relative source path -> the file's lines)."""

    def __init__(self, section, parsed, lines):
        self.section = section
        self.parsed = parsed
        self.lines = lines
        self.folders = {posixpath.dirname(rel) for rel in parsed if rel.endswith("/index.md")}

    def rewrite(self, doc, rel, tokens):
        here = (self.section,) + doc.path
        for tok, line in self._links(rel, tokens):
            attr = "src" if tok.type == "image" else "href"
            href = tok.attrGet(attr) or ""
            if not href or href.startswith("#") or href.startswith("//") or _SCHEME_RE.match(href):
                continue
            target, _, fragment = href.partition("#")
            if target.startswith("/-/"):  # the portal's own files: /-/static/<plugin>/...
                new = relative_url(here, site_path(target, pages=False), folder=False)
                if target.startswith("/-/static/"):
                    doc.static_links.append(StaticLink(line, href, site_path(target, pages=False),
                                                       new, attr, fragment))
            elif tok.type == "image":
                doc.warnings.append(Problem(doc.source, line, f"image {href!r} is not served: {STATIC_HINT}"))
                continue
            elif target.startswith("/"):
                url = site_path(target)
                doc.site_links.append(SiteLink(line, href, url))
                new = relative_url(here, url)
            else:
                url = self._page_path(doc, rel, target, fragment, line)
                if url is None:
                    continue
                new = relative_url(here, url)
            tok.attrSet(attr, new + (f"#{fragment}" if fragment else ""))

    def _links(self, rel, tokens):
        """Each link and image token with the line of the file it is on: markdown-it maps
        only block tokens to lines, so the line is the first of the block that holds the
        link's target (the block's first line if the target is spelled differently)."""
        lines = self.lines.get(rel, [])
        for block in tokens:
            for tok in walk(block.children or ()):
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
        if target.endswith("/") or resolved in self.folders:
            resolved = posixpath.join(resolved, "index.md")
        found = self.parsed.get(resolved)
        if found is None and not resolved.endswith(".md"):
            doc.warnings.append(Problem(doc.source, line, f"link {target!r} is not to a page: {STATIC_HINT}"))
            return None
        if found is None:
            doc.warnings.append(Problem(doc.source, line, f"broken link {target!r}: no page {resolved}"))
            return None
        target_doc = found[0]
        if fragment and fragment not in {c.heading.id for c in target_doc.chunks if c.heading}:
            doc.warnings.append(Problem(
                doc.source, line, f"broken link {target}#{fragment}: no heading with that id"
            ))
        return (self.section,) + target_doc.path


def walk(tokens):
    for tok in tokens:
        yield tok
        if tok.children:
            yield from walk(tok.children)


def site_path(target, pages=True):
    """``/flask/testing.md`` -> ``("flask", "testing")``; ``/flask/`` -> ``("flask",)``
    (``pages=False``: a file's path, kept as written)."""
    segments = [s for s in target.split("/") if s]
    if not pages:
        return tuple(segments)
    if segments and segments[-1].endswith(".md"):
        segments[-1] = segments[-1][:-3]
    if segments and segments[-1] == "index":
        segments.pop()
    return tuple(segments)


def relative_url(here, there, folder=True):
    """URL of ``there`` relative to ``here``, both paths of segments served with a trailing
    slash (``folder=False``: ``there`` is a file, such as a plugin's static asset)."""
    start = "/" + "/".join(here) + "/" if here else "/"
    dest = "/" + "/".join(there) + "/" if there else "/"
    rel = posixpath.relpath(dest, start)
    if not folder:
        return rel
    return "./" if rel == "." else rel + "/"
