"""The traversal tree: the site map readers walk.

``Root`` holds one ``Section`` per loaded plugin section and the ``Backstage`` (``/-/``)
for the portal's own pages; a ``Section`` holds ``Page``s, and a page made from a folder
holds pages of its own. Plugin content is static for the life of the process, so the tree
is built once at start-up and shared by every request (nothing here is per-request).
Unknown names raise ``KeyError``, which Pyramid answers with the 404 page.
"""

from pyramid.authorization import ALL_PERMISSIONS, Allow, Everyone

from .content.documents import iter_documents
from .content.edit_links import edit_url

MODERATOR = "role:moderator"
BACKSTAGE = "-"  # the one top-level name no section can take (not a valid segment)


class Root:
    __name__ = ""
    __parent__ = None
    __acl__ = [(Allow, Everyone, "view"), (Allow, MODERATOR, ALL_PERMISSIONS)]

    def __init__(self, sections=()):
        self.sections = {}
        # Sections of plugins switched off after repeated failures (portal.isolation):
        # still found, so they answer 503, but no longer listed.
        self.switched_off = set()
        for section in sorted(sections, key=lambda s: (s.order, s.title.lower())):
            section.__parent__ = self
            self.sections[section.__name__] = section
        self.backstage = Backstage(self)

    def __getitem__(self, name):
        if name == BACKSTAGE:
            return self.backstage
        return self.sections[name]

    def __iter__(self):
        return (s for name, s in self.sections.items() if name not in self.switched_off)

    @property
    def listed(self):
        """What decides which sections are listed (for caching the list): the ones
        switched off."""
        return frozenset(self.switched_off)

    def pages(self):
        """Every section and page, in reading order."""
        for section in self:
            yield from section.walk()

    def find(self, key):
        """The section or page whose ``key`` is ``key`` (``section/page``), or None."""
        node = self
        try:
            for name in key.split("/"):
                node = node.sections[name] if node is self else node.children[name]
        except (KeyError, AttributeError):
            return None
        return node if node is not self else None


class Node:
    """A section or a page: a rendered document and the pages below it."""

    def __init__(self, name, parent, doc):
        self.__name__ = name
        self.__parent__ = parent
        self.doc = doc
        self.children = {}
        for child_doc in doc.children:
            self.children[child_doc.path[-1]] = Page(child_doc.path[-1], self, child_doc)

    def __getitem__(self, name):
        # Other spellings of a page resolve to it; the page view redirects them to the
        # canonical URL (``/s/p.md`` and ``/s/p/index`` -> ``/s/p/``).
        if name in ("index", "index.md"):
            return self
        if name.endswith(".md"):
            name = name[:-3]
        return self.children[name]

    @property
    def title(self):
        return self.doc.title

    @property
    def summary(self):
        return self.doc.summary

    @property
    def section(self):
        node = self
        while not isinstance(node, Section):
            node = node.__parent__
        return node

    @property
    def key(self):
        """The page key comments and ratings are stored under: ``section/page/sub``."""
        names = []
        node = self
        while node is not None and node.__name__:
            names.append(node.__name__)
            node = node.__parent__
        return "/".join(reversed(names))

    def walk(self):
        """This node and every page below it, in reading order."""
        yield self
        for child in self.children.values():
            yield from child.walk()

    def edit_url(self):
        """Where this page's source can be edited, or None (``portal.content.edit_links``)."""
        return edit_url(self.section, self.doc)

    def lineage_nodes(self):
        """From the section down to this node (for breadcrumbs)."""
        chain = []
        node = self
        while isinstance(node, Node):
            chain.append(node)
            node = node.__parent__
        return list(reversed(chain))


class Section(Node):
    """A plugin's section: its landing page (``index.md``) and its pages."""

    def __init__(self, name, doc, *, title, summary, order, plugin=None, spec=None):
        super().__init__(name, None, doc)
        self._title = title
        self._summary = summary
        self.order = order
        self.plugin = plugin
        self.spec = spec
        # Reading order of the whole section, for previous/next links.
        self.sequence = list(self.walk())
        self._position = {id(node): i for i, node in enumerate(self.sequence)}
        self.documents = list(iter_documents(doc))

    @property
    def title(self):
        return self._title

    def share_image_url(self, request):
        """The image shown when a page of this section is shared: ``share_image`` in the
        section's front matter (a URL, or a path on this site such as
        ``/-/static/acme/share.png``), else the portal's own."""
        image = self.doc.meta.get("share_image") if self.doc.meta else None
        if isinstance(image, str) and image.startswith(("https://", "http://")):
            return image
        if isinstance(image, str) and image.startswith("/"):
            return request.application_url + image
        return request.static_url("portal:static/images/share.png")

    @property
    def summary(self):
        return self._summary or self.doc.summary

    def neighbours(self, node):
        """(previous, next) of ``node`` in the section's reading order."""
        i = self._position[id(node)]
        before = self.sequence[i - 1] if i > 0 else None
        after = self.sequence[i + 1] if i + 1 < len(self.sequence) else None
        return before, after


class Page(Node):
    """One page of a section; a page made from a folder has pages of its own."""


class Backstage:
    """``/-/``: the portal's own pages (plugins, moderation, insights), beside the sections."""

    __name__ = BACKSTAGE

    def __init__(self, parent):
        self.__parent__ = parent
        self.children = {}
        self.children["moderation"] = Moderation(self)
        self.children["insights"] = Insights(self)

    def __getitem__(self, name):
        return self.children[name]


class Moderation:
    """``/-/moderation/``: the comment queue; only moderators may ``moderate``."""

    __name__ = "moderation"
    __acl__ = [(Allow, MODERATOR, "moderate")]

    def __init__(self, parent):
        self.__parent__ = parent

    def __getitem__(self, name):
        raise KeyError(name)


class Insights:
    """``/-/insights/``: what readers make of the pages (ratings, comments, missed searches),
    for moderators only; ``/-/insights/<section>/<page>/`` narrows it to a section or a
    page. ``node`` is that section or page (None: the whole site)."""

    __acl__ = [(Allow, MODERATOR, "moderate")]

    def __init__(self, parent, node=None):
        self.__parent__ = parent
        self.__name__ = "insights" if node is None else node.__name__
        self.node = node

    def __getitem__(self, name):
        if self.node is None:
            child = self.__parent__.__parent__.sections[name]
        else:
            child = self.node.children[name]
        return Insights(self, child)


def root_factory(request):
    """The shared tree built at start-up (see ``portal.plugins``)."""
    return request.registry.portal_root


def site_root(request):
    """``request.site_root``: the site's ``Root``, on every request.

    Use it instead of ``request.root``: on a URL-dispatch route with a factory of its own
    (the API's page routes) Pyramid makes ``request.root`` whatever that factory returned,
    the page, so code reaching for the site through ``request.root`` breaks there
    (tests/test_api.py has a moderator posting through the API to hold this)."""
    return request.registry.portal_root


def includeme(config):
    config.set_root_factory(root_factory)
    config.add_request_method(site_root, reify=True)
    # Replaced by ``portal.plugins`` once the plugins' sections are known.
    config.registry.portal_root = Root()
