"""Client events kept in the database, so rate limits hold across processes; and the
search queries that found nothing, so authors learn what readers miss."""

import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .comments import utcnow
from .meta import Base


class ClientEvent(Base):
    __tablename__ = "client_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    client_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_client_events_kind_client", "kind", "client_hash", "created_at"),)


class SearchMiss(Base):
    __tablename__ = "search_misses"

    query: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(default=1)
    last_seen: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
