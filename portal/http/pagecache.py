"""The page cache: rendered pages kept a few seconds (``portal.page_cache.seconds``) and served
in front of Pyramid, to every reader without reader state.

Measured first (bench/RESULTS.md): a page view spends its time routing, rendering the
templates and reading the page's discussion from the database, yet every reader without
state gets the same bytes (pages carry no per-reader string: forms fetch their token when
first used). So the first such request for a URL is answered by the application as usual
and the answer is kept whole (status, headers with the security headers, body, and its
ETag computed once); the next ones, until it expires, are answered here, in the WSGI layer
in front of the router: no routing, no traversal, no template, no query. A matching
``If-None-Match`` gets a 304; a client that accepts gzip or Brotli gets the kept answer
compressed once (``portal.http.compression``).

**Cookies decide by content, not presence.** Only cookies that carry reader state make a
reader's page their own (``READER_STATE``): a moderator's session, an open edit window, a
pending comment. A reader whose cookies carry none of those (the CSRF cookie of a form once
used, the reader id of someone who rated, an emptied session, another site's analytics
cookie) is served from the cache. The colour theme cookie picks one of three kept copies.

What is kept: a 200 HTML answer to GET for the home page, a section or a page (the views
mark it: ``environ["portal.keepable"]``), that sets no cookie, unless it marks a search's
words (``?h=``: one URL per search, so they are not kept). A comment, rating or
moderation decision taken through this process empties the cache at once; one taken through
another process shows within ``portal.page_cache.seconds`` (plus the time one request takes
to render the page again: meanwhile the others get the expired copy). ``0`` turns it off
(the default; production.ini turns it on).
"""

import re
import threading
from collections import OrderedDict

from pyramid.events import NewResponse

from ..events import CommentEvent, RatingChanged
from ..resources import Page, Root, Section
from .caching import body_etag, reader_state
from .compression import ENCODED, compressed, preferred_encoding, vary_on_encoding
from .proxies import apply_forwarded

KEEPABLE = "portal.keepable"
_HIGHLIGHT_RE = re.compile(r"(^|&)h=")
CACHED_TYPES = (Root, Section, Page)
class Entry:
    """A kept answer: status line, headers (without length and encoding), body, ETag."""

    __slots__ = ("status", "headers", "body", "etag", "expires", "size", "refreshing", "variants")

    def __init__(self, status, headers, body, expires):
        self.status = status
        self.body = body
        self.etag = '"' + body_etag(body) + '"'
        self.headers = vary_on_encoding([(k, v) for k, v in headers if k.lower() not in (
            "content-length", "etag", "content-encoding")])
        self.headers.append(("ETag", self.etag))
        self.expires = expires
        self.size = len(body)
        self.refreshing = False
        self.variants = {}  # encoding -> compressed body, made once

    def answer(self, environ, start_response, compressing):
        headers = list(self.headers)
        headers.append(("X-Portal-Cache", "hit"))
        if self.etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            # A 304 has no body, so it describes none (RFC 9110 15.4.5).
            start_response("304 Not Modified",
                           [(k, v) for k, v in headers if k.lower() != "content-type"])
            return []
        body = self.body
        encoding = preferred_encoding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        if encoding is not None:
            variant = self.variants.get(encoding)
            if variant is None:
                # One kept page compressed at a time: a Brotli encoder at this quality holds
                # about 4 MB of tables, and eight threads compressing the pages that expired
                # together kept about 8 MB more resident (measured in process).
                with compressing:
                    variant = self.variants.get(encoding)
                    if variant is None:
                        variant = self.variants[encoding] = compressed(body, encoding)
            body = variant
            headers.append(("Content-Encoding", encoding))
        headers.append(("Content-Length", str(len(body))))
        environ[ENCODED] = True
        start_response(self.status, headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


class PageCache:
    """URL (and theme) -> Entry, least recently used first out beyond ``max_bytes``."""

    def __init__(self, seconds, max_bytes):
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.entries = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        self.compressing = threading.Lock()  # see Entry.answer

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


class PageCacheMiddleware:
    """The WSGI application in front of Pyramid's router (``make_app`` wraps it)."""

    def __init__(self, app, cache, clock):
        self.app = app
        self.registry = app.registry  # what Pyramid's tools expect of a WSGI app
        self.cache = cache
        self.clock = clock
        self.proxies = app.registry.settings["portal.trusted_proxies"]

    def __call__(self, environ, start_response):
        # The client, scheme and host behind trusted proxies, before anything is decided
        # (the router's tween does the same when no page cache stands in front).
        apply_forwarded(environ, self.proxies)
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        has_state, theme = reader_state(environ.get("HTTP_COOKIE"))
        if has_state:
            return self.app(environ, start_response)
        # The key holds everything the answer's URLs are built from, after a trusted proxy's
        # forwarded headers are applied (and a stranger's dropped): no request can have a
        # page kept that others would then be given.
        key = (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST") or environ.get("SERVER_NAME"),
               environ.get("SERVER_PORT"), environ.get("SCRIPT_NAME", ""),
               environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), theme)
        now = self.clock.monotonic()
        entry = self.cache.get(key, now)
        if entry is not None:
            return entry.answer(environ, start_response, self.cache.compressing)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        if (environ.get(KEEPABLE) and environ["REQUEST_METHOD"] == "GET"
                and captured.get("status", "").startswith("200")
                and isinstance(body, (list, tuple))
                and not any(k.lower() in ("set-cookie", "content-encoding") for k, _ in captured["headers"])):
            self.cache.put(key, Entry(captured["status"], captured["headers"], b"".join(body),
                                      now + self.cache.seconds))
        return body


def mark_keepable(event):
    """``NewResponse``: a reader-state-free 200 HTML page of the tree may be kept."""
    request, response = event.request, event.response
    if (request.method == "GET" and response.status_code == 200
            and response.content_type == "text/html"
            and getattr(request, "exception", None) is None
            and isinstance(getattr(request, "context", None), CACHED_TYPES)
            # A page opened from search results (?h=, its words marked) is one of as many
            # as readers can type: kept, they would push the pages everyone reads out.
            and not _HIGHLIGHT_RE.search(request.query_string)
            and "Set-Cookie" not in response.headers
            and not reader_state(request.environ.get("HTTP_COOKIE"))[0]):
        request.environ[KEEPABLE] = True


def wrap(app, registry):
    """The page cache in front of ``app``, when it is on."""
    cache = registry.portal_page_cache
    if not cache.seconds:
        return app
    return PageCacheMiddleware(app, cache, registry.portal_clock)


def includeme(config):
    settings = config.get_settings()
    cache = PageCache(settings["portal.page_cache.seconds"], settings["portal.page_cache.max_bytes"])
    config.registry.portal_page_cache = cache
    # Any change to what pages show: a comment posted, approved, hidden or deleted (by its
    # author or a moderator), a rating.
    config.add_subscriber(cache.clear, CommentEvent)
    config.add_subscriber(cache.clear, RatingChanged)
    if cache.seconds:
        config.add_subscriber(mark_keepable, NewResponse)
