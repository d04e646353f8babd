"""URLs of the site's resources and static files, computed once per site address.

A page links to its section's pages, the sections, its neighbours and a dozen asset files:
about fifty URLs that are the same on every view of it. Pyramid computes each from scratch
(``request.resource_url`` walks the lineage and quotes it; ``request.static_url`` asks the
cache buster), which was a fifth of a rendered page's time. Here each is computed once per
``request.application_url`` (the scheme, host and mount point the site is reached at) and
kept; a few addresses are remembered, the least recently used forgotten first, so a stranger's
made-up ``Host`` header cannot make the table grow.

Templates call ``url(node, *elements)`` and ``asset(spec)``; both fall back to Pyramid for
anything with a query or an anchor.
"""

import threading
from collections import OrderedDict

import jinja2
from markupsafe import Markup
from pyramid_jinja2 import IJinja2Environment

MAX_ADDRESSES = 8


class UrlMemo:
    def __init__(self, keep_static=True):
        self.by_address = OrderedDict()  # application_url -> {key: url}
        self.lock = threading.Lock()
        # In development (files reloaded) a static file's URL changes with the file.
        self.keep_static = keep_static

    def _table(self, address):
        with self.lock:
            table = self.by_address.get(address)
            if table is None:
                table = self.by_address[address] = {}
                while len(self.by_address) > MAX_ADDRESSES:
                    self.by_address.popitem(last=False)
            else:
                self.by_address.move_to_end(address)
            return table

    def resource(self, request, node, *elements):
        table = self._table(address(request))
        key = (id(node), elements)
        url = table.get(key)
        if url is None:
            # Kept escaped: a template prints it as it is, without escaping it each time.
            url = table[key] = Markup.escape(request.resource_url(node, *elements))
        return url

    def static(self, request, spec):
        if not self.keep_static:
            return request.static_url(spec)
        table = self._table(address(request))
        key = ("static", spec)
        url = table.get(key)
        if url is None:
            url = table[key] = Markup.escape(request.static_url(spec))
        return url


def address(request):
    """``request.application_url``, worked out once per request (WebOb computes it anew
    on every read)."""
    environ = request.environ
    found = environ.get("portal.address")
    if found is None:
        found = environ["portal.address"] = request.application_url
    return found


@jinja2.pass_context
def url(context, node, *elements):
    request = context["request"]
    return request.registry.portal_urls.resource(request, node, *elements)


@jinja2.pass_context
def asset(context, spec):
    request = context["request"]
    return request.registry.portal_urls.static(request, spec)


def add_template_globals(registry, keep):
    from . import fragments

    env = registry.queryUtility(IJinja2Environment, name=".jinja2")
    if env is not None:
        env.globals.update(url=url, asset=asset)
        fragments.install(registry, env, enabled=keep)


def includeme(config):
    settings = config.get_settings()
    reloading = bool(settings.get("pyramid.reload_assets") or settings.get("pyramid.reload_templates"))
    config.registry.portal_urls = UrlMemo(keep_static=not reloading)
    # After pyramid_jinja2 made its environment (its own actions run in orders 0 and 1).
    config.action(None, add_template_globals, args=(config.registry, not reloading), order=2)
