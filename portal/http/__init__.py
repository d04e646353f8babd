"""HTTP concerns every answer shares: security headers and cookie flags, the body size limit,
conditional GET and cache headers, the anonymous page cache, retries of transient database
errors, and the site's error pages (JSON under ``/api/``)."""


def includeme(config):
    config.include(".headers")
    config.include(".caching")
    config.include(".pagecache")
    config.include(".retry")
    config.scan(".errors")
