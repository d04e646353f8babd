"""Atom feeds (RFC 4287) of approved comments, built with ElementTree so every name and
comment is escaped as XML; a comment's body is its sanitized HTML, sent as escaped text
(``type="html"``), never as markup inside the feed.

Every text goes through ``xml_text`` first: a character XML 1.0 forbids (a control
character in a name or a comment stored before the typed parameters dropped them) would
make the whole feed unreadable to every feed reader, so it is left out."""

import xml.etree.ElementTree as ET

from pyramid.response import Response

from ..http.params import xml_text
from ..ops.clock import rfc3339

ATOM = "http://www.w3.org/2005/Atom"


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def atom_feed(request, comments, *, title, feed_url, home_url, feed_id):
    """A ``Response`` holding an Atom feed of ``comments`` (newest first)."""
    root = request.site_root
    host = request.host.split(":")[0] or "localhost"
    feed = ET.Element("feed", {"xmlns": ATOM})
    _sub(feed, "title", title)
    _sub(feed, "id", f"tag:{host},2026:{feed_id}")
    _sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=home_url)
    updated = max((c.updated_at for c in comments), default=None)
    _sub(feed, "updated", rfc3339(updated) if updated else "1970-01-01T00:00:00Z")
    _sub(_sub(feed, "author"), "name", request.registry.settings["portal.site_name"])
    for comment in comments:
        page = root.find(comment.page_key)
        page_title = page.title if page is not None else comment.page_key
        page_url = request.resource_url(page) if page is not None else home_url
        author = comment.author_name or "Anonymous reader"
        entry = _sub(feed, "entry")
        _sub(entry, "title", f"{author} on {page_title}")
        _sub(entry, "id", f"tag:{host},2026:comment:{comment.id}")
        _sub(entry, "link", rel="alternate", type="text/html",
             href=f"{page_url}#comment-{comment.id}")
        _sub(entry, "published", rfc3339(comment.created_at))
        _sub(entry, "updated", rfc3339(comment.updated_at))
        _sub(_sub(entry, "author"), "name", author)
        _sub(entry, "content", comment.body_html, type="html")
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body=body, content_type="application/atom+xml", charset="utf-8")
