"""The OpenAPI 3.1 document of ``/api/v1/`` (served at ``/api/v1/openapi.json``).

Written by hand beside the views (portal.views.api); other modules describe their own
``/api/v1/`` routes with ``config.add_openapi_path``. tests/test_api.py checks that every
path and method here is a route and view of the application and the other way round, and
that real responses validate against the schemas below."""

from ..discussion.comment_queries import CURSOR_PATTERN
from ..http.params import MAX_ID

ERROR = {"$ref": "#/components/schemas/Error"}
# Text the portal accepts: anything but NUL (refused: it is never typed).
TEXT = r"^[^\u0000]*$"
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "description": "The page key: the page's path without slashes at the ends, e.g. "
                   "`pyramid/security` (a section's own page is just `pyramid`).",
    "schema": {"type": "string", "pattern": "^[a-z0-9-]+(/[a-z0-9-]+)*$"},
}
CSRF_HEADER = {
    "name": "X-CSRF-Token",
    "in": "header",
    "required": False,
    "description": "Required when the request carries any `portal_*` cookie (a browser "
                   "session): the token from `GET /api/v1/csrf`. Requests without cookies "
                   "need none.",
    "schema": {"type": "string"},
}


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BAD_BODY = {
    "400": _error("Invalid input: `fields` names every bad field (missing, wrong type, "
                  "unknown, out of range, invalid JSON or UTF-8 under `body`)."),
    "403": _error("Cookies were sent without the right `X-CSRF-Token` header."),
    "404": _error("No page has this key."),
    "413": _error("The body is larger than the site's limit (64 KiB by default)."),
    "415": _error("The body is not `application/json` (in UTF-8)."),
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "status", "fields"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, for people."},
            "status": {"type": "integer"},
            "fields": {
                "type": "object",
                "description": "Each bad field (or header, or `body`) and its problem.",
                "additionalProperties": {"type": "string"},
            },
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "parent", "placeholder", "author", "moderator", "html", "pending",
                     "created", "updated", "in_reply_to", "replies"],
        "properties": {
            "id": {"type": "integer"},
            "parent": {"type": ["integer", "null"], "description": "The comment answered."},
            "placeholder": {
                "type": "boolean",
                "description": "A deleted or hidden comment kept because replies below it "
                               "are visible; `author` and `html` are null.",
            },
            "author": {"type": ["string", "null"]},
            "moderator": {"type": "boolean", "description": "Posted by a moderator."},
            "html": {"type": ["string", "null"],
                     "description": "The comment's Markdown rendered and sanitized."},
            "pending": {
                "type": "boolean",
                "description": "Waiting for a moderator: only its author sees it.",
            },
            "created": {"type": "string", "format": "date-time"},
            "updated": {"type": "string", "format": "date-time"},
            "in_reply_to": {
                "type": ["integer", "null"],
                "description": "Set when the comment is shown away from its parent (the "
                               "thread's deepest level, or the parent is not in this list).",
            },
            "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
            "more_replies": {
                "type": "integer",
                "description": "Top-level comments only: visible replies not included.",
            },
        },
    },
    "CommentList": {
        "type": "object",
        "required": ["page", "sort", "count", "threads", "next", "stamp"],
        "properties": {
            "page": {"type": "string"},
            "sort": {"enum": ["oldest", "newest"]},
            "count": {"type": "integer", "description": "Approved comments on the page."},
            "threads": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
            "next": {"type": ["string", "null"],
                     "description": "Pass as `after` for the next page; null at the end."},
            "stamp": {"type": "string",
                      "description": "Send back as `stamp` when posting a comment."},
        },
    },
    "NewComment": {
        "type": "object",
        "required": ["body", "stamp"],
        "additionalProperties": False,
        "properties": {
            "body": {"type": "string", "minLength": 1, "maxLength": 5000,
                     "pattern": r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
                     "description": "Markdown (CommonMark, no HTML, http(s) and mailto "
                                    "links only, at most 3 links by default), not only "
                                    "spaces. Control characters XML forbids are dropped."},
            "stamp": {"type": "string", "minLength": 1,
                      "description": "A `stamp` of GET /api/v1/csrf (or of GET "
                                     ".../comments), good for one comment: a post that comes "
                                     "sooner than the site's minimum (3 s) after it, an "
                                     "hour later, with a stamp already used, or with one "
                                     "this site did not make is refused (400, under "
                                     "`stamp`)."},
            "name": {"type": ["string", "null"], "maxLength": 80, "pattern": TEXT},
            "parent": {**ID, "type": ["integer", "null"],
                       "description": "The id of an approved comment on the same page."},
            "website": {"type": ["string", "null"], "maxLength": 0,
                        "description": "Must be empty or absent (a spam trap)."},
        },
    },
    "RatingSummary": {
        "type": "object",
        "required": ["page", "count", "mean", "histogram", "mine"],
        "properties": {
            "page": {"type": "string"},
            "count": {"type": "integer"},
            "mean": {"type": ["number", "null"]},
            "histogram": {
                "type": "object",
                "required": ["1", "2", "3", "4", "5"],
                "additionalProperties": {"type": "integer"},
                "description": "Ratings per number of stars.",
            },
            "mine": {"type": ["integer", "null"], "minimum": 1, "maximum": 5,
                     "description": "This reader's own rating."},
        },
    },
    "MyRating": {
        "type": "object",
        "required": ["page", "stars"],
        "properties": {
            "page": {"type": "string"},
            "stars": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        },
    },
    "NewRating": {
        "type": "object",
        "required": ["stars"],
        "additionalProperties": False,
        "properties": {"stars": {"type": "integer", "minimum": 1, "maximum": 5,
                                 "description": "JSON Schema's integer: `2.0` is 2."}},
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "q", "truncated", "section", "page", "per_page", "total", "pages",
                     "match", "did_you_mean", "html_url", "next", "previous", "results"],
        "properties": {
            "query": {"type": "string", "description": "The query as it was read: words, "
                      "\"phrases\" and prefix* terms; everything else in `q` is ignored."},
            "q": {"type": "string", "description": "The text searched (cleaned, at most 200 "
                  "characters)."},
            "truncated": {"type": "boolean", "description": "`q` was longer than 200 characters."},
            "section": {"type": ["string", "null"]},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer", "description": "How many pages match."},
            "pages": {"type": "integer"},
            "match": {"enum": ["all", "most", "any", None], "description": "`all`: pages have "
                      "every term; `most`: a query of three words or more, pages may lack one "
                      "(two from five words); `any`: no page had them all, so these have some; "
                      "null: nothing."},
            "did_you_mean": {"type": ["string", "null"], "description": "The query with its "
                             "unknown words read as the closest words the pages use (the "
                             "results already include them); null when every word is known."},
            "html_url": {"type": ["string", "null"], "description": "The same search as a page."},
            "next": {"type": ["string", "null"]},
            "previous": {"type": ["string", "null"]},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
        },
    },
    "SearchHit": {
        "type": "object",
        "required": ["title", "path", "section", "section_title", "heading", "url", "snippet",
                     "snippet_html", "snippet_is_code", "headings"],
        "properties": {
            "title": {"type": "string", "description": "The page's title."},
            "path": {"type": "string", "description": "The page key, e.g. `pyramid/security`."},
            "section": {"type": "string"},
            "section_title": {"type": "string"},
            "heading": {"type": ["string", "null"],
                        "description": "The heading the hit lands on (null: the top of the page)."},
            "url": {"type": "string", "description": "The page, with the heading's #anchor and "
                    "`?h=` the words to mark on it."},
            "snippet": {"type": "string", "description": "The snippet as plain text."},
            "snippet_html": {"type": "string", "description": "The snippet, HTML-escaped, with "
                             "the matched terms in `<mark>`; a snippet from a code block is "
                             "in `<code>`."},
            "snippet_is_code": {"type": "boolean", "description": "The snippet is code."},
            "headings": {
                "type": "array",
                "description": "Other headings of the page that match.",
                "items": {"type": "object", "required": ["heading", "url"],
                          "properties": {"heading": {"type": "string"},
                                         "url": {"type": "string"}}},
            },
        },
    },
    "CSRFToken": {
        "type": "object",
        "required": ["csrf_token", "header", "stamp"],
        "properties": {"csrf_token": {"type": "string"}, "header": {"const": "X-CSRF-Token"},
                       "stamp": {"type": "string", "description": "a form stamp for a comment post"}},
    },
}


def paths():
    return {
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": {"application/json": {}}}},
            },
        },
        "/api/v1/search": {
            "get": {
                "operationId": "search",
                "summary": "Full-text search over every section, best first, one hit per page.",
                "description": "Pages whose title or headings hold the terms rank first. "
                               "Each hit lands on the heading where the terms are.",
                "parameters": [
                    {"name": "q", "in": "query", "required": True,
                     "schema": {"type": "string"},
                     "description": "Words (all must match; if no page has them all, pages "
                                    "with some of them), \"quoted phrases\" and prefix* terms. "
                                    "Any other character is ignored."},
                    {"name": "section", "in": "query", "schema": {"type": "string"},
                     "description": "Only this section (one of the site's sections: the "
                                    "document served lists them)."},
                    {"name": "page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1}},
                    {"name": "per_page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}},
                    {"name": "live", "in": "query", "schema": {"enum": ["1", "true", "0", "false"]},
                     "description": "The reader is still typing: the last word is a prefix, and "
                                    "a search that finds nothing is not counted."},
                ],
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/SearchResults"}, "The results."),
                    "400": _error("A bad `page` or `per_page`, an unknown `section`, or a "
                                  "query string that is not UTF-8. Parameters not listed "
                                  "here are ignored."),
                },
            },
        },
        "/api/v1/csrf": {
            "get": {
                "operationId": "csrfToken",
                "summary": "The CSRF token of this browser (sets the portal_csrf cookie) and a "
                           "fresh form stamp: what a form needs when it is first used.",
                "responses": {"200": _json({"$ref": "#/components/schemas/CSRFToken"},
                                           "The token to send as `X-CSRF-Token`.")},
            },
        },
        "/api/v1/pages/{key}/comments": {
            "parameters": [KEY],
            "get": {
                "operationId": "listComments",
                "summary": "A page's comment threads, keyset-paginated.",
                "parameters": [
                    {"name": "sort", "in": "query", "schema": {"enum": ["oldest", "newest"],
                                                               "default": "oldest"}},
                    {"name": "after", "in": "query",
                     # Empty is the first page, as if absent (the form of a page sends it so).
                     "schema": {"type": "string", "pattern": "^$|" + CURSOR_PATTERN},
                     "description": "The `next` of the previous page (empty: the first page)."},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                "default": 20},
                     "description": "Threads per page; with `thread`, replies per page "
                                    "(default 20, `portal.comments.thread_replies`)."},
                    {"name": "thread", "in": "query", "schema": ID,
                     "description": "Only this top-level comment, with a page of its "
                                    "replies (oldest first; `next` continues them): for "
                                    "threads with `more_replies`."},
                ],
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/CommentList"},
                                 "Threads, replies nested up to three levels below."),
                    "400": _error("A bad `sort`, `limit`, `after` or `thread`."),
                    "404": _error("No page has this key, or no such `thread` on it."),
                },
            },
            "post": {
                "operationId": "postComment",
                "summary": "Post a comment or a reply.",
                "parameters": [CSRF_HEADER],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewComment"}}}},
                "responses": {
                    "201": _json({"$ref": "#/components/schemas/Comment"},
                                 "Stored; `pending` when it waits for a moderator."),
                    **BAD_BODY,
                    "429": _error("Too many comments from this address; see Retry-After."),
                },
            },
        },
        "/api/v1/pages/{key}/rating": {
            "parameters": [KEY],
            "get": {
                "operationId": "ratingSummary",
                "summary": "Mean, count and histogram of a page's ratings, and yours.",
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/RatingSummary"}, "The summary."),
                    "404": _error("No page has this key."),
                },
            },
        },
        "/api/v1/pages/{key}/rating/mine": {
            "parameters": [KEY],
            "get": {
                "operationId": "myRating",
                "summary": "Your own rating of a page (null if none).",
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/MyRating"}, "Your rating."),
                    "404": _error("No page has this key."),
                },
            },
            "put": {
                "operationId": "putMyRating",
                "summary": "Rate a page 1 to 5, or change your rating (one per reader).",
                "parameters": [CSRF_HEADER],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewRating"}}}},
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/RatingSummary"},
                                 "The page's new summary."),
                    **BAD_BODY,
                },
            },
        },
    }


def add_openapi_path(config, path, item, schemas=None):
    """Describe another ``/api/v1/`` route in the document (``item``: an OpenAPI path
    item, ``schemas``: components it refers to). For the portal's other API concerns
    (search...) so one document covers the whole API and the test that compares it with
    the routes keeps holding."""
    extra = config.registry.setdefault("portal.openapi", {"paths": {}, "schemas": {}})

    def register():
        extra["paths"][path] = item
        extra["schemas"].update(schemas or {})

    config.action(("portal openapi path", path), register)


def document(request):
    extra = request.registry.get("portal.openapi", {"paths": {}, "schemas": {}})
    described = paths()
    # The site's sections are known only here: an unknown one is a 400, so say which exist.
    for parameter in described["/api/v1/search"]["get"]["parameters"]:
        if parameter["name"] == "section":
            parameter["schema"] = {"enum": list(request.site_root.sections) or [""]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{request.registry.settings['portal.site_name']} API",
            "version": "1",
            "description": (
                "Search, comments and ratings of the portal's pages. Readers are anonymous: the "
                "`portal_reader` cookie (set on the first post or rating) identifies them; "
                "a moderator logged in at /-/moderation/@@login rates as themselves. "
                "Unsafe requests that carry cookies must send `X-CSRF-Token`."
            ),
        },
        "servers": [{"url": request.application_url}],
        "paths": {**described, **extra["paths"]},
        "components": {
            "schemas": {**SCHEMAS, **extra["schemas"]},
            "securitySchemes": {
                "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                              "description": "Needed with cookies on POST and PUT."},
                "readerCookie": {"type": "apiKey", "in": "cookie", "name": "portal_reader"},
                "session": {"type": "apiKey", "in": "cookie", "name": "portal_session"},
            },
        },
    }


def includeme(config):
    config.add_directive("add_openapi_path", add_openapi_path)
