"""Compression of pages, JSON, feeds and static files (``portal.compression``): Brotli (the
``brotli`` package, Google's own binding) when the client accepts it, else gzip.

A page is 25-150 KB of HTML that compresses to a fifth of that. Answers kept by the page
cache are compressed once per encoding and served compressed after; static files (whose URLs
change with their content) are compressed once and kept in a small table; everything else
that is worth it (text types, 1 KB or more) is compressed on the way out at a level that
costs little CPU. ``Vary: Accept-Encoding`` tells shared caches. A proxy in front that
compresses itself can take this over: set ``portal.compression = false``
(docs/operators.md).
"""

import gzip
import threading
from collections import OrderedDict

try:
    import brotli
except ImportError:  # optional: gzip alone without it
    brotli = None

MIN_BYTES = 1024
STATIC_PREFIX = "/-/static/"
STATIC_KEPT = 128  # compressed static files kept
COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml",
                "application/atom+xml", "image/svg+xml", "application/manifest+json")


def compressible(content_type):
    return bool(content_type) and content_type.split(";")[0].strip().lower().startswith(COMPRESSIBLE)


def preferred_encoding(accept):
    """``br`` or ``gzip`` if the client accepts it (a q-value of 0 refuses), else None."""
    if not accept:
        return None
    accepted = {}
    for item in accept.lower().split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        accepted[name.strip()] = q
    if brotli is not None and accepted.get("br", 0) > 0:
        return "br"
    if accepted.get("gzip", accepted.get("*", 0)) > 0:
        return "gzip"
    return None


def compressed(body, encoding, fast=False):
    if encoding == "br":
        # A window just larger than the body compresses it as well as brotli's default 4 MB
        # window does, and the encoder's buffers (allocated per call, per thread) stay small:
        # with the default, eight threads compressing pages kept ~50 MB more resident.
        window = min(max(len(body).bit_length() + 1, 16), 22)
        return brotli.compress(body, quality=4 if fast else 7, lgwin=window)
    return gzip.compress(body, compresslevel=5 if fast else 6, mtime=0)


# Set by an application below that answered already encoded for this client (the page
# cache, from its kept variants), with Vary and Content-Length right: passed on as it is.
ENCODED = "portal.compression.encoded"


class CompressionMiddleware:
    """Compresses what the application answers, when the client accepts it."""

    def __init__(self, app):
        self.app = app
        self.registry = getattr(app, "registry", None)
        self.static = OrderedDict()  # (path, query, etag, encoding) -> body
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        encoding = preferred_encoding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        captured = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: captured.setdefault("written", []).append(data)

        body = self.app(environ, capture)
        if environ.get(ENCODED):  # the page cache answered with the client's encoding
            return self._pass(start_response, captured["status"], captured["headers"], body, captured)
        status, headers = captured["status"], list(captured["headers"])
        names = {k.lower(): v for k, v in headers}
        if (not compressible(names.get("content-type")) or "content-encoding" in names
                or status.startswith(("1", "204", "304")) or environ["REQUEST_METHOD"] == "HEAD"
                or "written" in captured):
            return self._pass(start_response, status, headers, body, captured)
        headers = vary_on_encoding(headers)
        if encoding is None:
            start_response(status, headers, captured.get("exc_info"))
            return body
        is_static = environ.get("PATH_INFO", "").startswith(STATIC_PREFIX) and status.startswith("200")
        key = (environ.get("PATH_INFO"), environ.get("QUERY_STRING"), names.get("etag"), encoding)
        data = self._kept(key) if is_static else None
        if data is None:
            raw = _read(body)
            if len(raw) < MIN_BYTES:
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                headers.append(("Content-Length", str(len(raw))))
                start_response(status, headers, captured.get("exc_info"))
                return [raw]
            data = compressed(raw, encoding, fast=not is_static)
            if is_static:
                self._keep(key, data)
        else:
            _close(body)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers += [("Content-Encoding", encoding), ("Content-Length", str(len(data)))]
        start_response(status, headers, captured.get("exc_info"))
        return [data]

    def _pass(self, start_response, status, headers, body, captured):
        write = start_response(status, headers, captured.get("exc_info"))
        for data in captured.get("written", ()):
            write(data)
        return body

    def _kept(self, key):
        with self.lock:
            data = self.static.get(key)
            if data is not None:
                self.static.move_to_end(key)
            return data

    def _keep(self, key, data):
        with self.lock:
            self.static[key] = data
            while len(self.static) > STATIC_KEPT:
                self.static.popitem(last=False)


def vary_on_encoding(headers):
    """``headers`` with ``Vary`` naming ``Accept-Encoding`` (added or extended)."""
    for i, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            if "accept-encoding" not in value.lower():
                headers[i] = (name, f"{value}, Accept-Encoding")
            return headers
    return headers + [("Vary", "Accept-Encoding")]


def _read(body):
    try:
        return b"".join(body)
    finally:
        _close(body)


def _close(body):
    close = getattr(body, "close", None)
    if close is not None:
        close()


def wrap(app, settings):
    return CompressionMiddleware(app) if settings.get("portal.compression", True) else app
