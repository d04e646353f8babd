"""The JSON API under ``/api/v1/``: a page's comments and ratings, for scripts and for
the page's own JavaScript. URL dispatch (beside traversal) with a route factory that
resolves the page key to the same traversal resource the HTML views use, so the page's
``__acl__`` applies here too. The OpenAPI document is ``/api/v1/openapi.json``
(portal.openapi) and a test keeps it and these routes in step.

CSRF: an unsafe request that carries any of the portal's cookies (it may be a browser
acting for a logged-in moderator or a known reader) must send the session's CSRF token in
the ``X-CSRF-Token`` header (``GET /api/v1/csrf`` gives it). A request without cookies
carries no ambient authority and needs none.

Every bad request gets a 4xx JSON body ``{"error", "status", "fields": {name: problem}}``
naming each bad field, and stores nothing (errors are raised, so pyramid_tm aborts).
"""

import functools
import json

from pyramid.csrf import check_csrf_origin, check_csrf_token, get_csrf_token
from pyramid.httpexceptions import HTTPClientError, HTTPMethodNotAllowed
from pyramid.view import exception_view_config, notfound_view_config, view_config

from .. import comments, openapi, ratings
from ..comments import Rejected
from ..models import comments as comment_store
from ..models import ratings as rating_store
from ..models.comments import BadCursor
from ..readers import form_stamp, reader_key
from ..resources import root_factory

PREFIX = "/api/v1"
API_PATHS = r"^/api/"
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


@exception_view_config(HTTPClientError, path_info=API_PATHS, renderer="json")
@notfound_view_config(path_info=API_PATHS, renderer="json")
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


def method_not_allowed(context, request):
    """Any other method on an API route: 405 naming the ones it has."""
    allowed = sorted(ROUTE_METHODS[request.matched_route.name])
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(allowed)},
                               detail=f"{request.method} is not allowed here; use "
                                      f"{' or '.join(allowed)}")


def page_factory(request):
    """The route's context: the section or page whose key the URL names."""
    key = request.matchdict["key"]
    node = root_factory(request).find(key)
    if node is None:
        raise APIError(404, f"there is no page {key!r}", {"key": "no such page"})
    return node


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


def _stamp(moment):
    return moment.replace(microsecond=0).isoformat() + "Z"


def entry_json(entry):
    c = entry.comment
    data = {
        "id": c.id,
        "parent": c.parent_id,
        "placeholder": not entry.visible,
        "author": c.author_name if entry.visible else None,
        "moderator": c.by_moderator if entry.visible else False,
        "html": c.body_html if entry.visible else None,
        "pending": entry.pending,
        "created": _stamp(c.created_at),
        "updated": _stamp(c.updated_at),
        "in_reply_to": entry.in_reply_to.id if entry.in_reply_to is not None else None,
        "replies": [entry_json(child) for child in entry.children],
    }
    if c.parent_id is None:
        data["more_replies"] = entry.more_replies
    return data


# -- comments ----------------------------------------------------------------------------

@view_config(route_name="api.comments", request_method="GET", renderer="json",
             permission="view", require_csrf=False, decorator=api_view)
def list_comments(context, request):
    errors = {}
    sort = request.GET.get("sort", "oldest")
    if sort not in ("oldest", "newest"):
        errors["sort"] = "must be oldest or newest"
    limit = request.registry.settings["portal.comments.page_size"]
    if "limit" in request.GET:
        try:
            limit = int(request.GET["limit"])
            if not 1 <= limit <= 100:
                raise ValueError
        except ValueError:
            errors["limit"] = "must be an integer from 1 to 100"
    after = request.GET.get("after") or None
    if after:
        try:
            comment_store.decode_cursor(after)
        except BadCursor:
            errors["after"] = "not a cursor given by this API"
    thread = request.GET.get("thread")
    if thread is not None:
        if not thread.isdigit():
            errors["thread"] = "must be the id of a top-level comment"
        elif "limit" not in request.GET:
            limit = request.registry.settings["portal.comments.thread_replies"]
    if errors:
        raise APIError(400, "invalid query", errors)
    if thread is not None:
        # One thread, its replies paginated (for threads longer than a listing shows).
        entry, cursor = comments.one_thread(request, context, int(thread), after=after,
                                            limit=limit)
        if entry is None:
            raise APIError(404, f"there is no thread {thread} on this page",
                           {"thread": "no such thread on this page"})
        entries = [entry]
    else:
        listing = comments.threads(request, context, sort=sort, after=after, limit=limit)
        entries, cursor = listing.entries, listing.next_cursor
    return {
        "page": context.key,
        "sort": sort,
        "count": comment_store.approved_count(request.dbsession, context.key),
        "threads": [entry_json(e) for e in entries],
        "next": cursor,
        "stamp": form_stamp(request),
    }


COMMENT_FIELDS = {
    "body": ((str,), True),
    "stamp": ((str,), True),
    "name": ((str, type(None)), False),
    "parent": ((int, type(None)), False),
    "website": ((str, type(None)), False),
}


@view_config(route_name="api.comments", request_method="POST", renderer="json",
             permission="view", require_csrf=False, decorator=api_view)
def post_comment(context, request):
    data = json_body(request, COMMENT_FIELDS)
    comment = comments.post(
        request, context, body=data["body"], name=data.get("name"),
        parent=data.get("parent"), stamp=data["stamp"], honeypot=data.get("website"),
    )
    entry = comments.Entry(comment=comment, visible=True, pending=comment.state == "pending",
                           can_edit=True)
    request.response.status = 201
    request.response.location = request.resource_url(context, anchor=f"comment-{comment.id}")
    return entry_json(entry)


# -- ratings -----------------------------------------------------------------------------

@view_config(route_name="api.rating", request_method="GET", renderer="json",
             permission="view", require_csrf=False, decorator=api_view)
def rating_summary(context, request):
    return ratings.summary(request, context)


@view_config(route_name="api.rating.mine", request_method="GET", renderer="json",
             permission="view", require_csrf=False, decorator=api_view)
def my_rating(context, request):
    stars = rating_store.own_rating(request.dbsession, context.key, reader_key(request))
    return {"page": context.key, "stars": stars}


@view_config(route_name="api.rating.mine", request_method="PUT", renderer="json",
             permission="view", require_csrf=False, decorator=api_view)
def put_my_rating(context, request):
    data = json_body(request, {"stars": ((int,), True)})
    stars = ratings.parse_stars(data["stars"], strict=True)
    ratings.rate(request, context, stars)
    return ratings.summary(request, context)


# -- the API itself ----------------------------------------------------------------------

@view_config(route_name="api.csrf", request_method="GET", renderer="json", permission="view",
             require_csrf=False)
def csrf_token(request):
    return {"csrf_token": get_csrf_token(request), "header": "X-CSRF-Token"}


@view_config(route_name="api.openapi", request_method="GET", renderer="json",
             permission="view", require_csrf=False)
def openapi_document(request):
    return openapi.document(request)


ROUTES = {
    # name: pattern (under PREFIX)
    "api.openapi": "/openapi.json",
    "api.csrf": "/csrf",
    "api.comments": "/pages/{key:.+}/comments",
    "api.rating.mine": "/pages/{key:.+}/rating/mine",
    "api.rating": "/pages/{key:.+}/rating",
    "api.search": "/search",  # the view is in portal.views.search
}
PAGE_ROUTES = {"api.comments", "api.rating.mine", "api.rating"}


# The methods of each route, for the 405 answers (tests/test_api.py checks them against
# the views and the OpenAPI document).
ROUTE_METHODS = {
    "api.openapi": {"GET", "HEAD"},
    "api.csrf": {"GET", "HEAD"},
    "api.comments": {"GET", "HEAD", "POST"},
    "api.rating.mine": {"GET", "HEAD", "PUT"},
    "api.rating": {"GET", "HEAD"},
}


def includeme(config):
    config.include("portal.openapi")
    for name, pattern in ROUTES.items():
        factory = page_factory if name in PAGE_ROUTES else None
        config.add_route(name, PREFIX + pattern, factory=factory)
        if name in ROUTE_METHODS:
            # Tried after the views with a request_method (fewer predicates).
            config.add_view(method_not_allowed, route_name=name, permission="view",
                            require_csrf=False)
