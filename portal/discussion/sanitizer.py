"""Reader-written Markdown (comments) to HTML that is safe to show to other readers.

Reader input is never trusted, so it goes through two independent gates:

1. markdown-it-py in CommonMark mode with raw HTML off: ``<script>`` in a comment is
   text, never a tag; images are off (a comment cannot make a reader's browser fetch
   another host); a link is a link only if its URL is http(s) or mailto.
2. nh3 (ammonia) on the rendered HTML, with an allow-list of tags and attributes, the
   same three URL schemes, and ``rel="nofollow ugc noopener"`` on every link. Whatever a
   future markdown-it change or plugin lets through, this stops.
"""

import re

import nh3
from markdown_it import MarkdownIt

from ..http.params import xml_text

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "strong", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"
_ALLOWED_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_LINK_RE = re.compile(r"<a\s", re.IGNORECASE)


def allowed_url(url):
    """Only absolute http(s) and mailto URLs: no javascript:, data:, relative or
    protocol-relative ones (``//evil.example``)."""
    return bool(_ALLOWED_URL.match(url.strip()))


def _make_parser():
    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")
    # A link with any other URL is left as the text the reader typed.
    md.validateLink = allowed_url
    return md


_MD = _make_parser()


def _keep_attribute(element, attribute, value):
    if element == "a" and attribute == "href" and not allowed_url(value):
        return None
    if element == "ol" and attribute == "start" and not value.isdigit():
        return None
    return value


def sanitize(html):
    """nh3's allow-list over any HTML."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        attribute_filter=_keep_attribute,
        strip_comments=True,
    )


def render_comment(source):
    """A comment's Markdown as sanitized HTML, without the characters XML forbids (the
    HTML goes into Atom feeds as it is stored)."""
    return xml_text(sanitize(_MD.render(xml_text(source)))).strip()


def count_links(html):
    """Links in rendered HTML (the spam cap counts these)."""
    return len(_LINK_RE.findall(html))
