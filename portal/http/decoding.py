"""The request-decoding tween: whatever bytes a client sends, the rest of the portal sees
a request whose path, query string and form body decode as UTF-8, or the client gets a 400
(415 for a form in another charset) saying what is wrong, as the site's error page (JSON
under ``/api/``) with every security header.

It sits above the page cache (which keys on ``request.url``) and everything below, so no
view, tween or template meets an undecodable request. What each view then reads goes
through ``portal.http.params`` (types and bounds); this layer only makes sure there is text
to read. JSON bodies are read by ``params.json_params`` (depth, UTF-8, surrogates).

A refused request is rendered after its undecodable parts are neutralised (the path's bad
bytes replaced, the query string and body dropped), so the error page itself can be built.
"""

import logging
import sys
from urllib.parse import unquote_to_bytes

from pyramid.httpexceptions import HTTPBadRequest, HTTPUnsupportedMediaType

log = logging.getLogger(__name__)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_QUERY_PARAMETERS = 100


class BadEncoding(HTTPBadRequest):
    def __init__(self, field, detail):
        self.fields = {field: detail}
        super().__init__(detail=detail)


class BadCharset(HTTPUnsupportedMediaType):
    def __init__(self, detail):
        self.fields = {"Content-Type": detail}
        super().__init__(detail=detail)


def _utf8(raw):
    raw.decode("utf-8")  # UnicodeDecodeError for anything else


def path_problem(environ):
    try:
        # PEP 3333: PATH_INFO holds the raw bytes as latin-1 characters.
        _utf8(environ.get("PATH_INFO", "").encode("latin-1"))
    except (UnicodeEncodeError, UnicodeDecodeError):
        return BadEncoding("path", "the address is not valid UTF-8 once %-decoded")
    return None


def query_problem(request):
    try:
        params = request.GET
    except UnicodeDecodeError:
        return BadEncoding("query", "the query string is not valid UTF-8 once %-decoded")
    if len(params) > MAX_QUERY_PARAMETERS:
        return BadEncoding("query", f"more than {MAX_QUERY_PARAMETERS} parameters")
    return None


def form_problem(request):
    """A form body that does not decode as UTF-8 text, or None (also None for bodies over
    the size limit: ``portal.http.headers.limit_body`` answers those with a 413)."""
    if request.method in ("GET", "HEAD") or request.content_type not in FORM_TYPES:
        return None
    limit = request.registry.settings["portal.max_body_bytes"]
    if request.content_length is not None and request.content_length > limit:
        return None
    params = request.headers.get("Content-Type", "").split(";")[1:]
    options = {}
    for param in params:
        key, _, value = param.partition("=")
        options[key.strip().lower()] = value.strip().strip('"')
    charset = options.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return BadCharset(f"forms are accepted in UTF-8 only, not {charset[:40]!r}")
    if request.content_type == "multipart/form-data" and not options.get("boundary"):
        return BadEncoding("body", "a multipart form needs a boundary in its Content-Type")
    body = request.body
    try:
        if request.content_type == "multipart/form-data":
            _utf8(body)  # text fields only: the portal accepts no files
        else:
            for pair in body.split(b"&"):
                for piece in pair.split(b"=", 1):
                    _utf8(unquote_to_bytes(piece.replace(b"+", b" ")))
    except UnicodeDecodeError:
        return BadEncoding("body", "the form is not UTF-8 text (the portal accepts no files)")
    try:
        request.POST  # noqa: B018  (parse it once now: every later reader gets the result)
    except (ValueError, LookupError, UnicodeDecodeError, DeprecationWarning) as exc:
        return BadEncoding("body", f"the form cannot be read: {str(exc)[:120]}")
    return None


def neutralise(request):
    """Make the refused request safe to render an error page for."""
    environ = request.environ
    raw = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    environ["PATH_INFO"] = raw.decode("utf-8", "replace").encode("utf-8").decode("latin-1")
    environ["QUERY_STRING"] = ""
    for cached in ("webob._parsed_query_vars", "webob._parsed_post_vars"):
        environ.pop(cached, None)
    request.body = b""
    environ.pop("CONTENT_TYPE", None)


def request_decoding_tween_factory(handler, registry):
    def request_decoding_tween(request):
        problem = (path_problem(request.environ) or query_problem(request)
                   or form_problem(request))
        if problem is None:
            return handler(request)
        log.info("refused an undecodable request: %s", problem.detail)
        neutralise(request)
        try:
            raise problem
        except type(problem):
            return request.invoke_exception_view(sys.exc_info())

    return request_decoding_tween


def includeme(config):
    config.add_tween("portal.http.decoding.request_decoding_tween_factory",
                     under="portal.http.proxies.forwarded_tween_factory",
                     over="pyramid_tm.tm_tween_factory")
