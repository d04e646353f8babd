"""Client events kept in the database, so rate limits hold across processes and restarts."""

import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ops.clock import utcnow


class ClientEvent(Base):
    __tablename__ = "client_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    client_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_client_events_kind_client", "kind", "client_hash", "created_at"),)
