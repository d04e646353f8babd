"""The Redis section of the portal."""


def includeme(config):
    config.add_portal_section(
        "redis",
        title="Redis",
        content="portal_redis:content",
        summary="Redis from Python with redis-py: data structures, caching, sessions, pub/sub, streams, persistence and testing.",
        order=90,
    )
