"""What the plugin host remembers across restarts: which plugin serves each section."""

import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ops.clock import utcnow


class SectionOwner(Base):
    """The plugin that serves a section: recorded the first time one plugin alone serves
    it, kept when a newcomer claims the same name, changed only by the site's
    ``portal.plugins.owners`` setting (portal/plugins/owners.py)."""

    __tablename__ = "section_owners"

    section: Mapped[str] = mapped_column(String(200), primary_key=True)
    plugin: Mapped[str] = mapped_column(String(200))
    distribution: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
