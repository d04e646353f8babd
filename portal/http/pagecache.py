"""Rendered pages for anonymous readers, kept a few seconds (``portal.page_cache.seconds``).

Measured first (bench/RESULTS.md): a page view spends its time rendering the templates and
reading the page's discussion from the database, yet every anonymous reader gets the same
bytes (pages carry no per-reader string: forms fetch their token when first used). So the
first anonymous request for a URL renders it as usual and the answer is kept, with its ETag
computed once; the next anonymous requests for the URL, until it expires, get the kept
answer: no traversal, no template, no query.

What it never keeps: a request with any cookie (a reader with pending comments or a
moderator login sees their own page), anything but a 200 HTML page of a section, a page or
the home page, a response that sets a cookie. A comment or rating posted through this
process (or a moderation decision taken there) empties the cache at once; one posted
through another process shows to anonymous readers within ``portal.page_cache.seconds`` (plus the time one
request takes to render the page again: meanwhile, the other readers get the expired copy).
``0`` turns the cache off (the default; production.ini turns it on).
"""

import threading
from collections import OrderedDict

from pyramid.response import Response

from ..events import CommentPosted, CommentsModerated, RatingChanged
from ..resources import Page, Root, Section
from .caching import body_etag

CACHED_TYPES = (Root, Section, Page)
KEPT_HEADERS = ("Content-Type", "Content-Language", "Link", "Cache-Control", "Vary")


class Entry:
    """A rendered page as it was answered: body, the headers worth keeping, its ETag."""

    def __init__(self, body, headers, expires):
        self.body = body
        self.headers = headers
        self.etag = body_etag(body)
        self.expires = expires
        self.size = len(body)
        self.refreshing = False

    def respond(self, request):
        response = Response(body=self.body, headerlist=list(self.headers))
        response.etag = self.etag
        response.headers["X-Portal-Cache"] = "hit"
        return response


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
    return "Set-Cookie" not in response.headers and isinstance(response.app_iter, (list, tuple))


def page_cache_tween_factory(handler, registry):
    cache = registry.portal_page_cache
    if not cache.seconds:
        return handler

    def page_cache_tween(request):
        if not is_anonymous_read(request):
            return handler(request)
        key = request.url
        now = request.clock.monotonic()
        entry = cache.get(key, now)
        if entry is not None:
            return entry.respond(request)
        response = handler(request)
        if keepable(request, response):
            headers = [(k, v) for k, v in response.headerlist if k in KEPT_HEADERS]
            cache.put(key, Entry(response.body, headers, now + cache.seconds))
        return response

    return page_cache_tween


def includeme(config):
    settings = config.get_settings()
    cache = PageCache(settings["portal.page_cache.seconds"], settings["portal.page_cache.max_bytes"])
    config.registry.portal_page_cache = cache
    config.add_subscriber(cache.clear, CommentPosted)
    config.add_subscriber(cache.clear, RatingChanged)
    config.add_subscriber(cache.clear, CommentsModerated)
    config.add_tween("portal.http.pagecache.page_cache_tween_factory",
                     over="pyramid_tm.tm_tween_factory")
