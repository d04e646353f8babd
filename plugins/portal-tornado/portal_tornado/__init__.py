"""The Tornado section of the portal."""


def includeme(config):
    config.add_portal_section(
        "tornado",
        title="Tornado",
        content="portal_tornado:content",
        summary="Tornado 6 on asyncio: non-blocking handlers, WebSockets, long polling, testing, and when it is the right tool.",
        order=60,
    )
