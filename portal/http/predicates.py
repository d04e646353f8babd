"""Yes-or-no view predicates (``transient_error=True``, ``database_outage=True``,
``wants_json=True``, ``plugin_failed=True``): one class for all of them."""


class BooleanPredicate:
    """``<name>=True`` matches when ``test(context, request)`` holds, ``<name>=False`` when
    it does not. Made by ``boolean_predicate``, which gives each subclass its ``name`` and
    ``test``."""

    name = None
    test = None

    def __init__(self, value, config):
        self.value = bool(value)

    def text(self):
        return f"{self.name} = {self.value}"

    phash = text

    def __call__(self, context, request):
        return bool(self.test(context, request)) == self.value


def boolean_predicate(name, test):
    """A view predicate class for ``config.add_view_predicate(name, ...)``."""
    return type(f"BooleanPredicate[{name}]", (BooleanPredicate,),
                {"name": name, "test": staticmethod(test)})


def add_boolean_predicate(config, name, test):
    config.add_view_predicate(name, boolean_predicate(name, test))
