"""Operations: settings (``portal.ops.settings``), the clock, logging, ``/healthz`` and
``/readyz``, the pages served while the database is out, and the ``portal`` command."""


def includeme(config):
    config.include(".clock")
    config.include(".health")
    config.include(".outage")
    config.scan(".health")
    config.scan(".outage")
