"""Content: a plugin's folder of Markdown pages, parsed once per process, and the views that
show them (the home page, section landings, pages, the sitemap).

The names below are what other packages (and plugins' tools) import from ``portal.content``.
"""

from .documents import (  # noqa: F401
    SEGMENT_RE,
    Chunk,
    CodeBlock,
    ContentError,
    Document,
    Heading,
    Problem,
    SiteLink,
    iter_documents,
)
from .loader import FolderLoader, load_folder  # noqa: F401
from .markdown import make_markdown, pygments_css  # noqa: F401


def includeme(config):
    directory = config.get_settings()["portal.content.cache_dir"]
    if directory:
        from .cache import ContentCache

        # Read by add_portal_section (portal.plugins.directives) while plugins load.
        config.registry.portal_content_cache = ContentCache(directory)
    config.scan(".views")
    config.scan(".sitemap")
    config.scan(".theme")
