"""Search for readers: ``/@@search?q=`` (a page in the layout that works without
JavaScript), ``/api/v1/search?q=`` (JSON: the search box's results as you type, and
scripts), and for moderators ``/-/moderation/@@searches``, the searches that found nothing.

Both read the same parameters: ``q`` (any text: it is read by ``portal.search.parse_query``
and the index's ``plan``, the same for every caller), ``section`` (a section name), ``page``
(from 1) and, for the API, ``per_page`` and ``live`` (the reader is still typing: a search
that finds nothing is not counted as a miss; the query means the same either way).

A result's link carries the words that found it (``?h=word+word``): the page shows them
marked (``portal.search.highlight``).
"""

import logging

from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, subscriber
from pyramid.httpexceptions import HTTPBadRequest
from pyramid.view import view_config
from sqlalchemy.exc import SQLAlchemyError

from ..abuse.limits import over_limit
from ..api.errors import APIError
from ..http.params import parse_integer, query_params
from ..resources import Moderation, Root
from .index import plain
from .models import record_miss, top_misses
from .query import parse_query, words_of_path

log = logging.getLogger(__name__)

READ = ("GET", "HEAD")
MAX_PAGE = 1000
MAX_PER_PAGE = 50


class BadSearch(ValueError):
    """A parameter that cannot be searched with: ``field`` and what is wrong with it."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def _int(params, name, default, high, strict=False):
    raw = params.text(name, default=None, strip=True)
    if params.errors or raw is None or (not raw and not strict):
        return default
    try:
        return parse_integer(raw, 1, high)
    except ValueError:
        raise BadSearch(name, f"{name} must be a whole number from 1 to {high}, got {raw[:20]!r}")


def read_search(request, *, strict):
    """The search a request asks for: ``(query, section, page, per_page, live)``; raises
    ``BadSearch``. The API is ``strict``: it needs ``q``, and an unknown ``section`` or an
    empty parameter is an error; the page shows its empty form without ``q`` and ignores an
    unknown section (searching everywhere)."""
    params = query_params(request)  # decoded, no NUL or surrogates (portal.http.params)
    text = params.text("q", default=None, drop_nul=True)
    if text is None:
        if strict and not params.errors:  # as the API's document says (portal.api.openapi)
            raise BadSearch("q", "q is required: the words to search for")
        text = ""
    # The page's form sends empty fields; the API says what it accepts (portal.api.openapi).
    section = params.text("section", default=None, strip=True)
    section = section if section or (strict and section is not None) else None
    page = _int(params, "page", 1, MAX_PAGE, strict)
    per_page = _int(params, "per_page", request.registry.settings["portal.search.page_size"],
                    MAX_PER_PAGE, strict)
    live = params.choice("live", ("1", "true", "0", "false"), default="0") in ("1", "true")
    if params.errors:
        name, problem = next(iter(params.errors.items()))
        raise BadSearch(name, f"{name} {problem}")
    if section is not None and section not in request.site_root.sections:
        if strict:
            known = ", ".join(request.site_root.sections) or "none"
            raise BadSearch("section", f"there is no section {section[:40]!r}; sections: {known}")
        section = None
    return parse_query(text, live=live), section, page, per_page, live


def run_search(request, query, section, page, per_page, live=False):
    """Search, and count a search that found nothing (not while typing, not in one
    section, not for HEAD) so moderators see what readers miss."""
    results = request.registry.portal_search.search(
        query, section=section, page=page, page_size=per_page)
    if query and not results.total and not live and section is None and request.method == "GET":
        count_miss(request, query)
    return results


def count_miss(request, query):
    """Best effort, in a short transaction of its own: a database outage costs the count,
    never the search (content, and so search, does not live in the database). Bounded:
    ``portal.search.miss_limit`` misses per client per window are counted, and the table
    takes no new query past ``portal.search.misses_max`` rows."""
    settings = request.registry.settings
    try:
        with request.registry["dbsession_factory"]() as dbsession:
            if over_limit(request, "search-miss", settings["portal.search.miss_limit"],
                          settings["portal.search.miss_window"], dbsession=dbsession):
                dbsession.rollback()
                return
            record_miss(dbsession, query, now=request.clock.utcnow(),
                        max_rows=settings["portal.search.misses_max"])
            dbsession.commit()
    except SQLAlchemyError as exc:
        log.warning("search miss %r not counted: %s", query.text[:80], type(exc).__name__)


def hit_url(request, node, anchor, words=()):
    """A result's link: the page (at the heading) with the words to mark on it."""
    query = {"h": " ".join(words)} if words else None
    if anchor:
        return request.resource_url(node, query=query, anchor=anchor)
    return request.resource_url(node, query=query)


def did_you_mean_url(request, results):
    query = {"q": results.did_you_mean}
    if results.section:
        query["section"] = results.section
    return request.resource_url(request.site_root, "@@search", query=query)


def search_url(request, results, page):
    query = {"q": results.query.text, "page": page}
    if results.section:
        query["section"] = results.section
    return request.resource_url(request.site_root, "@@search", query=query)


@view_config(context=Root, name="search", renderer="search.jinja2", request_method=READ,
             permission="view")
def search_page(context, request):
    try:
        query, section, page, per_page, _ = read_search(request, strict=False)
    except BadSearch as exc:
        raise HTTPBadRequest(str(exc)) from None
    results = run_search(request, query, section, page, per_page)
    return {
        "results": results,
        "sections": list(context),
        "hit_url": lambda node, anchor: hit_url(request, node, anchor, results.words),
        "page_url": lambda n: search_url(request, results, n),
        "did_you_mean_url": did_you_mean_url(request, results) if results.did_you_mean else None,
    }


@view_config(route_name="api.search", renderer="json", request_method="GET", permission="view")
def search_api(request):
    try:
        query, section, page, per_page, live = read_search(request, strict=True)
    except BadSearch as exc:
        raise APIError(400, str(exc), {exc.field: str(exc)}) from None
    results = run_search(request, query, section, page, per_page, live=live)
    root = request.site_root

    def api_url(n):
        params = {"q": query.text, "page": n, "per_page": per_page}
        if section:
            params["section"] = section
        return request.route_url("api.search", _query=params)

    return {
        "query": str(query),
        "q": query.text,
        "truncated": query.truncated,
        "section": section,
        "page": page,
        "per_page": per_page,
        "total": results.total,
        "pages": results.pages,
        "match": results.mode,
        "did_you_mean": results.did_you_mean,
        "html_url": search_url(request, results, page) if query else None,
        "next": api_url(page + 1) if page < results.pages else None,
        "previous": api_url(page - 1) if page > 1 and results.total else None,
        "results": [
            {
                "title": hit.node.title,
                "path": hit.node.key,
                "section": hit.section,
                "section_title": root.sections[hit.section].title,
                "heading": hit.heading or None,
                "url": hit_url(request, hit.node, hit.anchor, results.words),
                "snippet": plain(str(hit.snippet)),
                "snippet_html": str(hit.snippet),
                "snippet_is_code": hit.code,
                "headings": [
                    {"heading": plain(str(heading)),
                     "url": hit_url(request, hit.node, anchor, results.words)}
                    for anchor, heading in hit.more
                ],
            }
            for hit in results.hits
        ],
    }


@subscriber(BeforeRender)
def add_suggestions(event):
    """The 404 page lists pages found from the words of the missing URL."""
    request = event.get("request")
    if request is not None and event.get("renderer_name") == "404.jinja2":
        event["suggestions"] = suggestions(request)
        event["suggestion_words"] = words_of_path(request.path_info)


def suggestions(request, limit=5):
    """Pages for the words of a missing URL (the 404 page): any of the words will do."""
    index = getattr(request.registry, "portal_search", None)
    query = parse_query(words_of_path(request.path_info))
    if index is None or not query:
        return []
    results = index.search(query, page_size=limit, mode="any")
    return [(hit, hit_url(request, hit.node, hit.anchor)) for hit in results.hits]


@view_config(context=Moderation, name="searches", renderer="moderation/searches.jinja2",
             request_method=READ, permission="moderate")
def missed_searches(context, request):
    return {"misses": top_misses(request.dbsession), "moderator": request.identity,
            "title": "Searches that found nothing", "tab": "searches",
            "csrf_token": get_csrf_token(request)}
