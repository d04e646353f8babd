"""Alembic environment: the portal's settings give the database, the models the metadata."""

import os

from alembic import context
from pyramid.paster import get_appsettings, setup_logging

from portal.db import get_engine
from portal.models import Base
from portal.ops.settings import load_settings

config = context.config
settings = config.attributes.get("settings")
if settings is None:  # run by the alembic command with ``-c development.ini``
    setup_logging(config.config_file_name)
    settings = load_settings(get_appsettings(config.config_file_name), os.environ)


def run_migrations_offline():
    context.configure(url=settings["sqlalchemy.url"], target_metadata=Base.metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = get_engine(settings)
    with engine.connect() as connection:
        # Batch mode lets ALTER TABLE migrations run on SQLite too.
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
