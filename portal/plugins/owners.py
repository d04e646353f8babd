"""Section owners, remembered in the database: installing a package never takes content
offline.

The first time one plugin alone serves a section, the portal records it as the section's
owner (``section_owners``). From then on, another plugin claiming the same name is the
newcomer: it is failed with a message naming both distributions, and the owner keeps
serving, across restarts and on every process. Only the site hands a section over, with
``portal.plugins.owners = section=plugin``, which the portal records in turn.

Reading happens once per start; a database the portal cannot read (not migrated yet,
unreachable) leaves the owners unknown, which the loader treats like a fresh site and
says so. ``portal.plugins.record_owners = false`` reads without writing (``portal plugin
check`` builds a scratch portal against a site's database and must not change it).
"""

import logging
import os
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..db import dialect_insert
from .models import SectionOwner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Owner:
    section: str
    plugin: str
    distribution: str | None

    def is_(self, rec):
        """Whether plugin record ``rec`` is this owner: the same distribution (the
        package a site installs), or the same plugin name when no distribution is known."""
        if self.distribution and rec.distribution:
            return canonical(self.distribution) == canonical(rec.distribution)
        return self.plugin == rec.name

    @property
    def label(self):
        return f"plugin {self.plugin!r}" + (f" ({self.distribution})" if self.distribution else "")


def canonical(name):
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _unborn_sqlite(engine):
    """A SQLite file that does not exist yet: reading would create it, empty."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    return database not in ("", ":memory:") and not database.startswith("file:") \
        and not os.path.exists(database)


def read_owners(engine):
    """``{section: Owner}``, or None when the database cannot tell."""
    if engine is None:
        return None
    if _unborn_sqlite(engine):
        return {}  # no database yet: a fresh site, no owners
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(SectionOwner.section, SectionOwner.plugin,
                                       SectionOwner.distribution)).all()
    except SQLAlchemyError as exc:
        log.warning("section owners cannot be read (%s); contested sections are served by "
                    "no plugin until they can", " ".join(str(exc).split())[:200])
        return None
    return {row.section: Owner(row.section, row.plugin, row.distribution) for row in rows}


def record_owners(engine, served, handed_over, now):
    """Record ``served`` (``{section: rec}``, sections without an owner yet) and
    ``handed_over`` (``{section: rec}``, given by the site's setting) in one transaction.
    Concurrent starts agree: an owner already recorded by another process is kept."""
    if engine is None or not (served or handed_over):
        return
    try:
        with engine.begin() as conn:
            insert = dialect_insert(conn.dialect.name)
            for section, rec in served.items():
                conn.execute(insert(SectionOwner).values(
                    section=section, plugin=rec.name, distribution=rec.distribution,
                    recorded_at=now).on_conflict_do_nothing(index_elements=["section"]))
            for section, rec in handed_over.items():
                values = {"plugin": rec.name, "distribution": rec.distribution, "recorded_at": now}
                conn.execute(insert(SectionOwner).values(section=section, **values)
                             .on_conflict_do_update(index_elements=["section"], set_=values))
    except (SQLAlchemyError, KeyError) as exc:
        log.warning("section owners cannot be recorded (%s); they are recorded at the next start",
                    " ".join(str(exc).split())[:200])
