"""The FastAPI section of the portal."""


def includeme(config):
    config.add_portal_section(
        "fastapi",
        title="FastAPI",
        content="portal_fastapi:content",
        summary="Typed, async JSON APIs with FastAPI and Pydantic 2: validation, dependencies, OpenAPI docs and testing.",
        order=40,
    )
