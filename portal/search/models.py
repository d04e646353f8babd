"""The searches that found nothing, counted so authors learn what readers miss."""

import datetime

from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, upsert_insert
from ..ops.clock import utcnow

MISS_LENGTH = 200  # search_misses.query is String(200)


class SearchMiss(Base):
    __tablename__ = "search_misses"

    query: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(default=1)
    last_seen: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def miss_key(query):
    """The form a miss is counted under: the reader's text in lower case, spaces collapsed,
    at most 200 characters (what they typed tells authors more than the terms read)."""
    return " ".join(query.text.casefold().split())[:MISS_LENGTH]


def record_miss(dbsession, query, now=None, max_rows=None):
    """Count one search that found nothing: insert the query or add one to its count
    (the caller commits); a new query is not kept once the table has ``max_rows``."""
    key = miss_key(query)
    if not key:
        return
    if (max_rows is not None and dbsession.get(SearchMiss, key) is None
            and dbsession.scalar(select(func.count()).select_from(SearchMiss)) >= max_rows):
        return
    insert = upsert_insert(dbsession)
    table = SearchMiss.__table__
    stmt = insert(table).values(query=key, count=1, last_seen=now or utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.query],
        set_={"count": table.c.count + 1, "last_seen": stmt.excluded.last_seen},
    )
    dbsession.execute(stmt)


def top_misses(dbsession, limit=100):
    """The most frequent searches that found nothing, most frequent first."""
    stmt = (
        select(SearchMiss)
        .order_by(SearchMiss.count.desc(), SearchMiss.last_seen.desc())
        .limit(limit)
    )
    return list(dbsession.scalars(stmt))
