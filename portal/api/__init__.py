"""The JSON API under ``/api/v1/``: a page's comments and ratings and the search, for
scripts and for the pages' own JavaScript. URL dispatch (beside traversal) with a route
factory that resolves the page key to the same traversal resource the HTML views use, so the
page's ``__acl__`` applies here too. The OpenAPI document is ``/api/v1/openapi.json``
(``portal.api.openapi``) and a test keeps it and these routes in step.

CSRF: an unsafe request that carries any of the portal's cookies (it may be a browser
acting for a logged-in moderator or a known reader) must send the CSRF token in the
``X-CSRF-Token`` header (``GET /api/v1/csrf`` gives it). A request without cookies carries no
ambient authority and needs none.
"""

from pyramid.httpexceptions import HTTPMethodNotAllowed

from .errors import APIError

PREFIX = "/api/v1"

def page_factory(request):
    """The route's context: the section or page whose key the URL names."""
    key = request.matchdict["key"]
    node = request.site_root.find(key)
    if node is None:
        raise APIError(404, f"there is no page {key!r}", {"key": "no such page"})
    return node


def method_not_allowed(context, request):
    """Any other method on an API route: 405 naming the ones it has."""
    allowed = sorted(ROUTE_METHODS[request.matched_route.name])
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(allowed)},
                               detail=f"{request.method} is not allowed here; use "
                                      f"{' or '.join(allowed)}")


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
    "api.search": {"GET", "HEAD"},
}


def includeme(config):
    config.include(".openapi")
    config.scan(".errors")
    config.scan(".views")
    for name, pattern in ROUTES.items():
        factory = page_factory if name in PAGE_ROUTES else None
        config.add_route(name, PREFIX + pattern, factory=factory)
        if name in ROUTE_METHODS:
            # Tried after the views with a request_method (fewer predicates).
            config.add_view(method_not_allowed, route_name=name, permission="view",
                            require_csrf=False)
