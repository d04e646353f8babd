"""``{% cache key %}...{% endcache %}``: parts of a page that are the same on every view of it
(the asset tags, the sections, the section's tree with the current page marked, the
breadcrumbs, the contents, the pager) rendered once per site address and kept.

The key names what the fragment depends on (``("tree", page)``); the site address the page
is reached at is added to it, because every URL in a fragment is absolute. Content is static
for the life of the process, so a fragment never goes stale; in development (templates
reloaded) nothing is kept. A fragment that raises is not kept, and the error goes on as
usual (a plugin's failing template override is handled by portal.plugins.isolation).
"""

import threading
from collections import OrderedDict

from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

from .urls import MAX_ADDRESSES, address


class FragmentStore:
    def __init__(self, enabled=True):
        self.enabled = enabled
        self.by_address = OrderedDict()
        self.lock = threading.Lock()

    def table(self, where):
        with self.lock:
            table = self.by_address.get(where)
            if table is None:
                table = self.by_address[where] = {}
                while len(self.by_address) > MAX_ADDRESSES:
                    self.by_address.popitem(last=False)
            else:
                self.by_address.move_to_end(where)
            return table


class FragmentCache(Extension):
    tags = {"cache"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_cached", [key, nodes.ContextReference()])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _cached(self, key, context, caller):
        request = context.get("request")
        store = getattr(self.environment, "portal_fragments", None)
        if request is None or store is None or not store.enabled:
            return caller()
        table = store.table(address(request))
        found = table.get(key)
        if found is None:
            found = table[key] = Markup(caller())
        return found


def install(registry, env, enabled):
    env.add_extension(FragmentCache)
    env.portal_fragments = FragmentStore(enabled)
