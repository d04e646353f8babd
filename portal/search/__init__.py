"""Search: an in-memory SQLite FTS5 index of every loaded page, built once the plugins are
loaded; the results page, the API and the 404 page's suggestions; the searches that found
nothing, counted for moderators."""

import logging

from pyramid.events import ApplicationCreated

from .index import SearchIndex

log = logging.getLogger(__name__)


def build_index(event):
    """``ApplicationCreated``: index the tree the plugins made (content never changes after)."""
    registry = event.app.registry
    index = SearchIndex.build(registry.portal_root)
    registry.portal_search = index
    log.info("search index: %d pages built in %.0f ms", index.page_count, index.build_seconds * 1000)


def includeme(config):
    config.add_subscriber(build_index, ApplicationCreated)
    config.scan(".views")
