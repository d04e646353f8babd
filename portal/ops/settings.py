"""Settings: one default per setting, the .ini file over it, the environment over both.

Every known setting can be overridden by an environment variable named after it
(``portal.plugins.strict`` -> ``PORTAL_PLUGINS_STRICT``), as containers and Kubernetes
expect; a few well-known names are accepted too (``DATABASE_URL``, ``PORTAL_SECRET``).
Values are parsed once here, so the rest of the code reads typed settings.
"""

import secrets

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool, aslist

from ..http.proxies import networks

# name -> (default, parser)
DEFAULTS = {
    "sqlalchemy.url": ("sqlite:///portal.sqlite", str),
    "portal.secret": ("", str),
    "portal.secret.required": (False, asbool),
    "portal.site_name": ("The portal", str),
    "portal.plugins.strict": (False, asbool),
    "portal.plugins.disabled": ((), aslist),
    "portal.plugins.only": ((), aslist),
    "portal.plugins.owners": ((), aslist),
    # false: read the recorded section owners, never record new ones (portal plugin check).
    "portal.plugins.record_owners": (True, asbool),
    # A plugin's view, subscriber or template failing this many times within the window
    # (seconds) is switched off for the cool-down, then tried again (portal.plugins.isolation);
    # 0 never switches one off.
    "portal.plugins.failure_threshold": (5, int),
    "portal.plugins.failure_window": (600, int),
    "portal.plugins.cooldown": (60, int),
    # Proxies whose X-Forwarded-* headers are believed (portal.http.proxies).
    "portal.trusted_proxies": ((), networks),
    "portal.cookies.secure": (False, asbool),
    "portal.hsts": (False, asbool),
    "portal.hsts.max_age": (63072000, int),
    "portal.referrer_policy": ("strict-origin-when-cross-origin", str),
    "portal.static.max_age": (31536000, int),
    "portal.db.connect_timeout": (5, int),
    "portal.db.statement_timeout": (5, int),
    "portal.db.pool_timeout": (5, int),
    "portal.page_cache.seconds": (0, int),
    # Parsed content kept between starts (portal.content.cache); empty: none.
    "portal.content.cache_dir": ("", str),
    "portal.page_cache.max_bytes": (33554432, int),
    # How long browsers and shared caches may reuse a page answered to a reader without
    # state (0: revalidate every time), and serve it stale while they revalidate.
    "portal.page_cache.max_age": (0, int),
    "portal.page_cache.stale_while_revalidate": (0, int),
    "portal.compression": (True, asbool),
    # glibc malloc arenas of a serving process (portal.ops.memory); 0: glibc's default.
    "portal.memory.arenas": (2, int),
    "portal.max_body_bytes": (65536, int),
    # Which pages have any comment or rating, read again from the database this often
    # (portal.discussion.activity); 0: every rendered page asks the database.
    "portal.discussion.refresh_seconds": (0, int),
    "portal.comments.moderation": ("open", str),
    "portal.comments.max_length": (5000, int),
    "portal.comments.max_links": (3, int),
    "portal.comments.min_seconds": (3, int),
    "portal.comments.rate_limit": (5, int),
    "portal.comments.rate_window": (600, int),
    "portal.comments.edit_window": (900, int),
    "portal.comments.page_size": (20, int),
    "portal.comments.thread_replies": (20, int),
    "portal.comments.feed_size": (50, int),
    "portal.login.rate_limit": (10, int),
    "portal.login.rate_window": (900, int),
    "portal.login.account_limit": (5, int),
    "portal.login.max_backoff": (300, int),
    "portal.sessions.idle_timeout": (3600, int),
    "portal.sessions.absolute_timeout": (43200, int),
    "portal.ratings.rate_limit": (30, int),
    "portal.ratings.reader_limit": (10, int),
    "portal.ratings.rate_window": (600, int),
    "portal.search.miss_limit": (20, int),
    "portal.search.miss_window": (600, int),
    "portal.search.misses_max": (10000, int),
    "portal.comments.stamp_seconds": (3600, int),
    "portal.search.page_size": (10, int),
    "portal.search.cache_size": (1024, int),
    "retry.attempts": (3, int),
}

# Conventional environment names, beside the derived ones.
ALIASES = {
    "DATABASE_URL": "sqlalchemy.url",
}


def env_name(setting):
    """The environment variable that overrides ``setting``."""
    return setting.upper().replace(".", "_")


def load_settings(settings, environ):
    """Return typed settings: code defaults, then ``settings`` (the .ini), then ``environ``."""
    merged = dict(settings)
    for name, (default, parse) in DEFAULTS.items():
        raw = merged.get(name, default)
        for var in [env_name(name)] + [k for k, v in ALIASES.items() if v == name]:
            if environ.get(var):
                raw = environ[var]
        try:
            merged[name] = parse(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise ConfigurationError(
                f"setting {name} (or ${env_name(name)}) must be {parse.__name__}-like, got {raw!r}"
            ) from None
    merged["portal.plugins.disabled"] = tuple(merged["portal.plugins.disabled"])
    merged["portal.plugins.only"] = tuple(merged["portal.plugins.only"])
    merged["portal.plugins.owners"] = parse_owners(merged["portal.plugins.owners"])
    if merged["portal.comments.moderation"] not in ("open", "first", "all"):
        raise ConfigurationError(
            "setting portal.comments.moderation must be one of open, first, all; "
            f"got {merged['portal.comments.moderation']!r}"
        )
    if not merged["portal.secret"]:
        if merged["portal.secret.required"]:
            raise ConfigurationError(
                "no secret: set PORTAL_SECRET (or portal.secret in the .ini) to a long random "
                "string, e.g. the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        # Development only: cookies signed with it do not survive a restart.
        merged["portal.secret"] = secrets.token_hex(32)
        merged["portal.secret.ephemeral"] = True
    return merged


def parse_owners(words):
    """``["acme=acme-pro", ...]`` -> ``{"acme": "acme-pro"}``: who wins a contested section."""
    if isinstance(words, dict):
        return words
    owners = {}
    for word in words:
        section, sep, plugin = word.partition("=")
        if not sep or not section or not plugin:
            raise ConfigurationError(
                f"setting portal.plugins.owners: expected section=plugin, got {word!r}"
            )
        owners[section] = plugin
    return owners
