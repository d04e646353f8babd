"""The API's errors: every bad request gets a 4xx JSON body ``{"error", "status", "fields":
{name: problem}}`` naming each bad field, and stores nothing (errors are raised, so pyramid_tm
aborts). ``json_body`` reads a request's JSON object against a small schema."""

import functools
import json

from pyramid.csrf import check_csrf_origin, check_csrf_token
from pyramid.httpexceptions import HTTPClientError
from pyramid.view import exception_view_config, notfound_view_config

from ..discussion.comments import Rejected

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
    fields = {}
    if exc.code == 413:
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


def json_body(request, schema):
    """The request's JSON object, checked against ``schema`` (name -> (types, required)).
    Every problem is collected, then raised together."""
    limit = request.registry.settings["portal.max_body_bytes"]
    if request.content_length is not None and request.content_length > limit:
        raise APIError(413, "request body too large", {"body": f"larger than {limit} bytes"})
    if request.content_type != "application/json":
        raise APIError(415, "the body must be JSON",
                       {"Content-Type": "must be application/json"})
    raw = request.body_file.read(limit + 1)
    if len(raw) > limit:
        raise APIError(413, "request body too large", {"body": f"larger than {limit} bytes"})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise APIError(400, "the body is not valid UTF-8",
                       {"body": f"invalid UTF-8 at byte {exc.start}"}) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise APIError(400, "the body is not valid JSON", {"body": str(exc)}) from None
    if not isinstance(data, dict):
        raise APIError(400, "the body must be a JSON object", {"body": "must be an object"})
    errors = {}
    for name in data:
        if name not in schema:
            errors[name] = "unknown field"
    for name, (types, required) in schema.items():
        if name not in data:
            if required:
                errors[name] = "is required"
            continue
        value = data[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            errors[name] = f"must be {_type_names(types)}"
    if errors:
        raise APIError(400, "invalid input", errors)
    return data


def _type_names(types):
    names = {str: "a string", int: "an integer", type(None): "null", bool: "a boolean"}
    return " or ".join(names[t] for t in types)
