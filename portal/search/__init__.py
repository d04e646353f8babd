"""Search: a pure-Python in-memory index of every loaded page, built once the plugins are
loaded; the query reader (stems, spellings, synonyms, typos, prefixes); the results page,
the API and the 404 page's suggestions; highlighting a result's words on the page it links
to (``?h=``); the searches that found nothing, counted for moderators."""

import logging

from pyramid.events import ApplicationCreated

from .index import SearchIndex
from .vocabulary import add_portal_search_terms

log = logging.getLogger(__name__)


def build_index(event):
    """``ApplicationCreated``: index the tree the plugins made (content never changes after)."""
    registry = event.app.registry
    index = SearchIndex.build(registry.portal_root,
                              cache_size=registry.settings["portal.search.cache_size"],
                              terms=registry.portal_search_terms)
    registry.portal_search = index
    log.info("search index: %d pages, %d terms built in %.0f ms", index.page_count,
             len(index.terms), index.build_seconds * 1000)


def includeme(config):
    # Plugins' vocabulary (add_portal_search_terms), read when the index is built.
    config.registry.portal_search_terms = []
    config.add_directive("add_portal_search_terms", add_portal_search_terms)
    config.add_subscriber(build_index, ApplicationCreated)
    config.scan(".views")
    config.scan(".highlight")
