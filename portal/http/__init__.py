"""HTTP concerns every answer shares: security headers and cookie flags, the body size limit,
conditional GET and cache headers, the anonymous page cache, retries of transient database
errors, and the site's error pages (JSON under ``/api/``)."""


from .errors import wants_json
from .predicates import add_boolean_predicate


def includeme(config):
    add_boolean_predicate(config, "wants_json", lambda context, request: wants_json(request))
    config.include(".headers")
    config.include(".caching")
    config.include(".pagecache")
    config.include(".retry")
    config.scan(".errors")
