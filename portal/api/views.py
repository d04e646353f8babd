"""The API's views of a page's comments and ratings, and the API's own documents (the
CSRF token, the OpenAPI document)."""

from pyramid.csrf import get_csrf_token
from pyramid.view import view_config

from ..discussion import comment_queries as comment_store
from ..discussion import comments, ratings
from ..discussion import rating_queries as rating_store
from ..discussion.comment_queries import BadCursor
from ..discussion.readers import form_stamp, reader_key
from ..http.params import query_params
from ..ops.clock import rfc3339
from . import openapi
from .errors import APIError, api_view, json_body

SORTS = ("oldest", "newest")
MAX_LIMIT = 100


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
        "created": rfc3339(c.created_at),
        "updated": rfc3339(c.updated_at),
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
    settings = request.registry.settings
    query = query_params(request)
    sort = query.choice("sort", SORTS, default="oldest")
    thread = query.integer("thread", message="must be the id of a top-level comment")
    default_limit = settings["portal.comments.thread_replies" if thread else
                             "portal.comments.page_size"]
    limit = query.integer("limit", default=default_limit, minimum=1, maximum=MAX_LIMIT)
    after = query.text("after", max_length=200, strip=True, empty_is_missing=True)
    if after is not None:
        try:
            comment_store.decode_cursor(after)
        except BadCursor:
            query.fail("after", "not a cursor given by this API")
    query.check()
    if thread is not None:
        # One thread, its replies paginated (for threads longer than a listing shows).
        entry, cursor = comments.one_thread(request, context, thread, after=after, limit=limit)
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
    "body": lambda p, n: p.text(n, required=True),
    "stamp": lambda p, n: p.text(n, required=True),
    "name": lambda p, n: p.text(n, nullable=True),
    "parent": lambda p, n: p.integer(n, nullable=True,
                                     message="must be a comment id (an integer)"),
    "website": lambda p, n: p.text(n, nullable=True),
}


@view_config(route_name="api.comments", request_method="POST", renderer="json",
             permission="view", require_csrf=False, decorator=api_view)
def post_comment(context, request):
    data = json_body(request, COMMENT_FIELDS)
    comment = comments.post(
        request, context, body=data["body"], name=data["name"],
        parent=data["parent"], stamp=data["stamp"], honeypot=data["website"],
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
    data = json_body(request, {"stars": lambda p, n: p.integer(
        n, required=True, minimum=1, maximum=5, message="must be an integer from 1 to 5")})
    stars = ratings.parse_stars(data["stars"], strict=True)
    ratings.rate(request, context, stars)
    return ratings.summary(request, context)


# -- the API itself ----------------------------------------------------------------------

@view_config(route_name="api.csrf", request_method="GET", renderer="json", permission="view",
             require_csrf=False)
def csrf_token(request):
    """What a form needs when it is first used: the CSRF token (also set as the
    ``portal_csrf`` cookie) and a fresh form stamp. Pages carry neither, so every reader
    gets the same page."""
    request.response.headers["Cache-Control"] = "no-store"
    return {"csrf_token": get_csrf_token(request), "header": "X-CSRF-Token",
            "stamp": form_stamp(request)}


@view_config(route_name="api.openapi", request_method="GET", renderer="json",
             permission="view", require_csrf=False)
def openapi_document(request):
    return openapi.document(request)


