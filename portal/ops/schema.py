"""``portal db upgrade CONFIG``: create or upgrade the schema with the Alembic migrations."""

import os

from alembic import command
from alembic.config import Config
from pyramid.paster import get_appsettings

from .settings import load_settings


def alembic_config(settings):
    cfg = Config()
    cfg.set_main_option("script_location", "portal:alembic")
    cfg.attributes["settings"] = settings
    return cfg


def settings_from(config_uri):
    return load_settings(get_appsettings(config_uri), os.environ)


def upgrade(args):
    # A migration may take longer than a request may: no statement timeout here.
    settings = {**settings_from(args.config), "portal.db.statement_timeout": 0}
    command.upgrade(alembic_config(settings), args.revision)
    print(f"database at {_safe_url(settings['sqlalchemy.url'])} is at revision {args.revision}")
    return 0


def _safe_url(url):
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(subparsers):
    db = subparsers.add_parser("db", help="manage the database schema")
    actions = db.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upgrade", help="create or upgrade the schema")
    up.add_argument("config", help="the .ini file, e.g. development.ini")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=upgrade)
