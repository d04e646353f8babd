"""The Celery section of the portal."""


def includeme(config):
    config.add_portal_section(
        "celery",
        title="Celery",
        content="portal_celery:content",
        summary="Celery 5 background tasks: brokers, canvas, workers, retries and idempotency, Beat schedules, monitoring and tests.",
        order=80,
    )
