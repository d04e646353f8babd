"""HTTP caching: ETags and conditional GET for rendered pages, long-lived static files.

Rendered pages and JSON listings get an ETag computed from the body, and answer 304 Not
Modified to a request whose ``If-None-Match`` matches: a reader's browser (or a cache in
front) revalidates each time (``no-cache``) but downloads a page again only when it
changed. A response built for one reader (it sets a cookie, or the request carried
cookies) is marked
``private`` so no shared cache keeps it; the rest is ``public``. ``Vary: Cookie`` keeps a
cache from serving one reader's copy to another. A view that sets its own Cache-Control
or ETag keeps it.

Static files are served with a one-year lifetime and URLs that change when the file
does: ``request.static_url`` adds ``?v=<hash of the file>`` through a Pyramid cache buster
(``config.add_cache_buster``), for the core's files and for every plugin's
(``config.add_portal_static``).
"""

import hashlib
import os

from pyramid.events import NewResponse
from pyramid.path import AssetResolver
from pyramid.static import QueryStringCacheBuster

from ..resources import Page, Root, Section

PAGE_TYPES = (Root, Section, Page)
CACHEABLE_TYPES = ("text/html", "application/json", "application/atom+xml", "application/xml")


def body_etag(body):
    return hashlib.blake2b(body, digest_size=12).hexdigest()


# Cookies whose presence makes a page the reader's own: a moderator's session, the right to
# edit a comment (portal_edit_<id>), a comment waiting for a moderator. Any other cookie
# (the CSRF cookie of a form once used, the id of a reader who rated, another site's) leaves
# the page the one every reader gets.
READER_STATE = ("portal_session", "portal_edit_", "portal_pending")
THEME_COOKIE = "portal_theme"
THEMES = ("light", "dark")


def reader_state(cookie_header):
    """``(has_state, theme)`` from a ``Cookie`` header, reading names only (and the theme's
    value): fast, and never fooled by a cookie it does not know."""
    if not cookie_header:
        return False, None
    theme = None
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name.startswith(READER_STATE):
            return True, None
        if name == THEME_COOKIE:
            value = value.strip('"')
            theme = value if value in THEMES else None
    return False, theme


def is_per_reader(request, response):
    return reader_state(request.environ.get("HTTP_COOKIE"))[0] or "Set-Cookie" in response.headers


def cache_control(request, response):
    """Private for a reader's own page; public otherwise, reusable for
    ``portal.page_cache.max_age`` seconds when it is a page of the tree (a CDN or Varnish in
    front keeps it too), revalidated every time when that is 0."""
    if is_per_reader(request, response):
        return "private, no-cache"
    settings = request.registry.settings
    max_age = settings["portal.page_cache.max_age"]
    if max_age and response.content_type == "text/html" and isinstance(
            getattr(request, "context", None), PAGE_TYPES):
        stale = settings["portal.page_cache.stale_while_revalidate"]
        return f"public, max-age={max_age}" + (f", stale-while-revalidate={stale}" if stale else "")
    return "public, no-cache"


def conditional_get(event):
    """``NewResponse`` subscriber: it runs after the response callbacks (where the session
    sets its cookie), so it sees the response exactly as the reader will."""
    request, response = event.request, event.response
    if (
        request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or response.content_type not in CACHEABLE_TYPES
    ):
        return
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = cache_control(request, response)
        response.vary = tuple(response.vary or ()) + ("Cookie",)
    if response.etag is None and isinstance(response.app_iter, (list, tuple)):
        response.etag = body_etag(response.body)
    # WebOb answers 304 itself when If-None-Match matches the ETag.
    response.conditional_response = True


class FileHashCacheBuster(QueryStringCacheBuster):
    """``?v=<hash of the file's bytes>``: the URL changes exactly when the file does.

    Hashes are computed once per file; with ``reload`` (development) a changed
    modification time computes it again."""

    def __init__(self, reload=False, param="v"):
        super().__init__(param=param)
        self.reload = reload
        self.tokens = {}
        self.resolver = AssetResolver()

    def tokenize(self, request, subpath, kw):
        path = self.resolver.resolve(kw["rawspec"]).abspath()
        stamp = _mtime(path) if self.reload else None
        known = self.tokens.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        try:
            with open(path, "rb") as f:
                token = hashlib.blake2b(f.read(), digest_size=6).hexdigest()
        except OSError:
            token = "missing"
        self.tokens[path] = (stamp, token)
        return token


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def add_busted_static_view(config, name, spec):
    """A static view whose files live a year in caches, with cache-busting URLs."""
    settings = config.get_settings()
    config.add_static_view(name=name, path=spec, cache_max_age=settings["portal.static.max_age"])
    if not spec.endswith((":", "/")):
        spec += "/"
    config.add_cache_buster(spec, config.registry.portal_cache_buster)


def includeme(config):
    settings = config.get_settings()
    config.registry.portal_cache_buster = FileHashCacheBuster(
        reload=bool(settings.get("pyramid.reload_assets") or settings.get("pyramid.reload_templates"))
    )
    config.add_directive("add_busted_static_view", add_busted_static_view)
    config.add_subscriber(conditional_get, NewResponse)
