"""Ratings: one row per reader per page, enforced by a unique constraint."""

import datetime

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .comments import utcnow
from .meta import Base


class Rating(Base):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_key: Mapped[str] = mapped_column(String(512), index=True)
    reader_key: Mapped[str] = mapped_column(String(64))
    stars: Mapped[int]
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("page_key", "reader_key", name="uq_ratings_page_key_reader_key"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
    )
