"""Reader-facing views, one module per feature, registered by context type."""


def includeme(config):
    config.include(".health")  # /healthz and /readyz routes (URL dispatch)
    config.include(".outage")  # the database_outage predicate of its exception views
    config.scan()
