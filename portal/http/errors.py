"""Site-styled error pages: 404 for unknown names, the HTTP errors views raise, and a 500
page that logs the failure. ``wants_json`` is the one place that decides whether a request
gets JSON (under ``/api/`` and for ``*.json``) or a page; ``wants_json=True`` is the same
decision as a view predicate."""

import logging

from pyramid.httpexceptions import HTTPClientError, HTTPNotFound
from pyramid.view import exception_view_config, notfound_view_config

log = logging.getLogger(__name__)


def wants_json(request):
    """Whether errors (and anything else that could be either) are answered as JSON."""
    path = request.path_info
    return path.startswith("/api/") or path.endswith(".json")


def _json_error(request, status, message, fields=None):
    request.response.status = status
    request.override_renderer = "json"
    return {"error": message, "status": status, "fields": fields or {}}


@notfound_view_config(renderer="404.jinja2")
def not_found(exc, request):
    if wants_json(request):
        return _json_error(request, 404, "not found")
    request.response.status = 404
    # Search adds pages found from the words of the missing URL (portal.search.views).
    return {"missing": request.path_info}


@exception_view_config(HTTPClientError, renderer="error.jinja2")
def client_error(exc, request):
    if isinstance(exc, HTTPNotFound):
        return not_found(exc, request)
    if wants_json(request):
        return _json_error(request, exc.code, exc.detail or exc.explanation or exc.title,
                           getattr(exc, "fields", None))
    request.response.status = exc.status
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        if name in exc.headers:
            request.response.headers[name] = exc.headers[name]
    return {"status": exc.code, "title": exc.title, "detail": exc.detail or exc.explanation}


@exception_view_config(Exception, renderer="500.jinja2")
def server_error(exc, request):
    log.error("%s %s failed", request.method, request.path_qs, exc_info=exc)
    if wants_json(request):
        return _json_error(request, 500, "internal error")
    request.response.status = 500
    return {}
