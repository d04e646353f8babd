"""HTTP concerns every answer shares: security headers and cookie flags, trusted proxies,
request decoding and typed parameters (``portal.http.params``: the one way views read what
clients send), the body size limit, conditional GET and cache headers, the anonymous page
cache, retries of transient database errors, and the site's error pages (JSON under
``/api/``)."""


from .errors import wants_json
from .predicates import add_boolean_predicate


def includeme(config):
    add_boolean_predicate(config, "wants_json", lambda context, request: wants_json(request))
    config.include(".headers")
    config.include(".proxies")  # the client's address, scheme and host behind trusted proxies
    config.include(".decoding")  # undecodable paths, queries and forms: a 400 here
    config.include(".caching")
    config.include(".pagecache")
    config.include(".retry")
    config.scan(".errors")
