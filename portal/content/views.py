"""The home page, section landings and pages: the reading views of the traversal tree."""

from pyramid.httpexceptions import HTTPMovedPermanently
from pyramid.view import view_config

from ..events import PageRendered
from ..resources import Page, Root, Section

READ = ("GET", "HEAD")


def canonical_redirect(context, request):
    """Every resource has one URL (``request.resource_url``); other spellings of it
    (no trailing slash, ``.md``, ``/index``) answer 301 to it, keeping the query."""
    canonical = request.resource_url(context)
    if request.path_url == canonical:
        return None
    if request.query_string:
        canonical = f"{canonical}?{request.query_string}"
    return HTTPMovedPermanently(location=canonical)


@view_config(context=Root, renderer="home.jinja2", request_method=READ, permission="view")
def home(context, request):
    redirect = canonical_redirect(context, request)
    if redirect is not None:
        return redirect
    return {"sections": list(context)}


@view_config(context=Section, renderer="section.jinja2", request_method=READ, permission="view")
@view_config(context=Page, renderer="page.jinja2", request_method=READ, permission="view")
def page(context, request):
    redirect = canonical_redirect(context, request)
    if redirect is not None:
        return redirect
    return page_value(context, request)


def reading_value(context):
    """What page.jinja2 needs to show ``context`` from the content alone."""
    section = context.section
    previous, following = section.neighbours(context)
    return {
        "page": context,
        "section": section,
        "doc": context.doc,
        "breadcrumbs": context.lineage_nodes(),
        "previous": previous,
        "next": following,
        "children": list(context.children.values()),
    }


def page_value(context, request):
    """The page with what subscribers add (comments, rating); also used by views that
    answer a form post on a page by showing the page again (with the form's errors)."""
    value = reading_value(context)
    request.registry.notify(PageRendered(request, context, value))
    return value
