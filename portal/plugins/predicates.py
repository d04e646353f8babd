"""View predicates plugins use on the core's resource types."""

from pyramid.settings import aslist


class SectionPredicate:
    """``section="acme"`` (or several names): the context is a page of that section. A
    plugin registers views on the core's ``Page`` and ``Section`` types for its own
    section only, and when such a view fails the core's view answers instead."""

    def __init__(self, val, config):
        self.names = frozenset(aslist(val) if isinstance(val, str) else val)

    def text(self):
        return f"section = {sorted(self.names)}"

    phash = text

    def __call__(self, context, request):
        section = getattr(context, "section", None)
        return section is not None and section.__name__ in self.names
