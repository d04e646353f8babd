"""The API's errors: every bad request gets a 4xx JSON body ``{"error", "status", "fields":
{name: problem}}`` naming each bad field, and stores nothing (errors are raised, so pyramid_tm
aborts). ``json_body`` reads a request's JSON object through the typed parameters of
``portal.http.params`` (``BadParameter`` and its kin carry ``fields``, answered here)."""

import functools

from pyramid.csrf import check_csrf_origin, check_csrf_token
from pyramid.httpexceptions import HTTPClientError
from pyramid.view import exception_view_config, notfound_view_config

from ..discussion.comments import Rejected
from ..http.params import json_params

COOKIE_PREFIX = "portal_"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class APIError(Exception):
    def __init__(self, status, error, fields=None, headers=None):
        super().__init__(error)
        self.status = status
        self.error = error
        self.fields = fields or {}
        self.headers = headers or {}


@exception_view_config(APIError, renderer="json")
def api_error(exc, request):
    request.response.status = exc.status
    request.response.headers.update(exc.headers)
    return {"error": exc.error, "status": exc.status, "fields": exc.fields}


@exception_view_config(HTTPClientError, wants_json=True, renderer="json")
@notfound_view_config(wants_json=True, renderer="json")
def api_http_error(exc, request):
    """Errors raised before or around the API views (no such route, a body over the
    site's limit, ...) in the API's own shape."""
    request.response.status = exc.status
    for name in ("Allow", "Retry-After"):
        if name in exc.headers:
            request.response.headers[name] = exc.headers[name]
    fields = dict(getattr(exc, "fields", None) or {})
    if exc.code == 413 and not fields:
        fields["body"] = f"larger than {request.registry.settings['portal.max_body_bytes']} bytes"
    message = "not found" if exc.code == 404 else (exc.detail or exc.title)
    return {"error": message, "status": exc.code, "fields": fields}


def api_view(view):
    """CSRF for cookie-carrying unsafe requests, and ``Rejected`` as a JSON 4xx."""

    @functools.wraps(view)
    def wrapper(context, request):
        if request.method in UNSAFE and any(n.startswith(COOKIE_PREFIX) for n in request.cookies):
            if not check_csrf_origin(request, raises=False):
                raise APIError(403, "the Origin or Referer is not this site",
                               {"Origin": "must be this site"})
            if not check_csrf_token(request, header="X-CSRF-Token", raises=False):
                raise APIError(403, "missing or wrong CSRF token", {
                    "X-CSRF-Token": "send the token from GET /api/v1/csrf in this header"})
        try:
            return view(context, request)
        except Rejected as exc:
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
            raise APIError(exc.status, exc.message, exc.fields, headers) from None

    return wrapper


def json_body(request, fields):
    """The request's JSON object read through ``portal.http.params``: ``fields`` maps each
    allowed name to a function ``(params, name) -> value`` (a typed read); unknown names and
    every bad field are named together in one 400."""
    params = json_params(request)
    params.unknown(fields)
    data = {name: read(params, name) for name, read in fields.items()}
    params.check()
    return data
