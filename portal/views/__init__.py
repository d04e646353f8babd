"""Reader-facing views, one module per feature, registered by context type."""


def includeme(config):
    config.scan()
