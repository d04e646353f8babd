"""Comments: flat rows keyed by page, threads through ``parent_id`` and ``root_id``."""

import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base

STATES = ("approved", "pending", "hidden", "deleted")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_key: Mapped[str] = mapped_column(String(512))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    # The top-level comment of the thread (itself for a top-level comment): threads are
    # paginated by root, and a whole thread is read with one indexed query.
    root_id: Mapped[int | None] = mapped_column(index=True)
    depth: Mapped[int] = mapped_column(default=0)
    author_name: Mapped[str | None] = mapped_column(String(80))
    author_key: Mapped[str | None] = mapped_column(String(64), index=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="approved")
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    edit_token_hash: Mapped[str | None] = mapped_column(String(64))
    client_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        Index("ix_comments_page_key_created", "page_key", "created_at", "id"),
        Index("ix_comments_state_created", "state", "created_at"),
    )
