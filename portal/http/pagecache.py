"""Rendered pages for anonymous readers, kept a few seconds (``portal.page_cache.seconds``).

Measured first (bench/RESULTS.md): a page view spends its time rendering the templates
and reading the page's discussion from the database, although for every reader without
cookies the result is the same page but for two strings: the CSRF token of the comment
form (a new session each time) and the form's time stamp. So the first anonymous request
for a URL renders it as usual; the page is kept with those two strings cut out, and the
next anonymous requests for the URL, until it expires, get the kept page with a fresh
token (in a new session, as a rendered page would have) and a fresh stamp: no traversal,
no template, no query.

What it never keeps: a request with any cookie (a reader with a rating, pending comments
or a moderator login sees their own page), anything but a 200 HTML page of a section, a
page or the home page, a response that sets a cookie of its own or stored anything else
in the session. A comment or rating posted through this process empties the cache at
once; one posted through another process (or a moderation decision) shows to anonymous
readers within ``portal.page_cache.seconds`` (plus the time one request takes to render
the page again: meanwhile, the other readers get the expired copy). ``0`` turns the cache off (the default;
production.ini turns it on).
"""

import threading
import time
from collections import OrderedDict

from pyramid.csrf import get_csrf_token
from pyramid.response import Response

from ..discussion.readers import form_stamp
from ..events import CommentPosted, RatingChanged
from ..resources import Page, Root, Section
from .caching import VOLATILE_INPUT_RE

CSRF_SESSION_KEY = "_csrft_"  # pyramid.csrf.SessionCSRFStoragePolicy's default key
CACHED_TYPES = (Root, Section, Page)
KEPT_HEADERS = ("Content-Type", "Content-Language", "Link")
CSRF, STAMP = "csrf", "stamp"


class Entry:
    """A rendered page cut around its per-reader strings: ``parts`` joined by fresh values
    of ``holes`` (one fewer than the parts)."""

    def __init__(self, parts, holes, headers, expires):
        self.parts = parts
        self.holes = holes
        self.headers = headers
        self.expires = expires
        self.size = sum(map(len, parts))
        self.refreshing = False

    @classmethod
    def cut(cls, body, token, expires, headers):
        pieces = [(body, None)]
        if token:
            pieces = _split(pieces, token.encode(), CSRF)
        stamp = VOLATILE_INPUT_RE.search(body)
        if stamp:
            value = stamp.group(0)[len(stamp.group(1)):-1]
            if value:
                pieces = _split(pieces, value, STAMP)
        parts = [p for p, _ in pieces]
        holes = [h for _, h in pieces[:-1]]
        return cls(parts, holes, headers, expires)

    def respond(self, request):
        values = {}
        if CSRF in self.holes:
            values[CSRF] = get_csrf_token(request).encode()  # a new session, as rendering does
        if STAMP in self.holes:
            values[STAMP] = form_stamp(request).encode()
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=False):
            out += [values[hole], part]
        response = Response(body=b"".join(out), headerlist=list(self.headers))
        response.headers["X-Portal-Cache"] = "hit"
        return response


def _split(pieces, needle, hole):
    """Cut every piece at each ``needle``; the cut records ``hole`` after its left part."""
    out = []
    for text, after in pieces:
        chunks = text.split(needle)
        for chunk in chunks[:-1]:
            out.append((chunk, hole))
        out.append((chunks[-1], after))
    return out


class PageCache:
    """URL -> Entry, least recently used first out beyond ``max_bytes``."""

    def __init__(self, seconds, max_bytes):
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.entries = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key, now):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry.expires <= now:
                # One request renders the page again; until it is kept, the others get the
                # expired copy instead of all rendering it at once (a bounded staleness).
                if entry.refreshing and now - entry.expires < self.seconds:
                    return entry
                entry.refreshing = True
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key, entry):
        if entry.size > self.max_bytes:
            return
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = entry
            self.size += entry.size
            while self.size > self.max_bytes:
                self._drop(next(iter(self.entries)))

    def clear(self, event=None):
        with self.lock:
            self.entries.clear()
            self.size = 0

    def _drop(self, key):
        self.size -= self.entries.pop(key).size


def is_anonymous_read(request):
    return request.method == "GET" and "HTTP_COOKIE" not in request.environ


def keepable(request, response):
    if response.status_code != 200 or response.content_type != "text/html":
        return False
    if getattr(request, "exception", None) is not None:
        return False
    if not isinstance(getattr(request, "context", None), CACHED_TYPES):
        return False
    if "Set-Cookie" in response.headers or not isinstance(response.app_iter, (list, tuple)):
        return False
    if "session" in request.__dict__ and set(request.session) - {CSRF_SESSION_KEY}:
        return False
    return True


def page_cache_tween_factory(handler, registry):
    cache = registry.portal_page_cache
    if not cache.seconds:
        return handler

    def page_cache_tween(request):
        if not is_anonymous_read(request):
            return handler(request)
        key = request.url
        now = time.monotonic()
        entry = cache.get(key, now)
        if entry is not None:
            return entry.respond(request)
        response = handler(request)
        if keepable(request, response):
            token = request.session.get(CSRF_SESSION_KEY) if "session" in request.__dict__ else None
            headers = [(k, v) for k, v in response.headerlist if k in KEPT_HEADERS]
            cache.put(key, Entry.cut(response.body, token, now + cache.seconds, headers))
        return response

    return page_cache_tween


def includeme(config):
    settings = config.get_settings()
    cache = PageCache(settings["portal.page_cache.seconds"], settings["portal.page_cache.max_bytes"])
    config.registry.portal_page_cache = cache
    config.add_subscriber(cache.clear, CommentPosted)
    config.add_subscriber(cache.clear, RatingChanged)
    config.add_tween("portal.http.pagecache.page_cache_tween_factory",
                     over="pyramid_tm.tm_tween_factory")
