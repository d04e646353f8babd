"""Comments and ratings: flat rows keyed by the page's path (``section/page``), so content can
move between plugin versions without foreign keys to files.

A thread is a top-level comment (``depth`` 0, ``root_id`` its own id) and every reply below it
(``root_id`` the top-level id). Threads nest ``MAX_DEPTH`` levels below the top; a reply to a
comment already at that depth keeps its real ``parent_id`` but the same ``depth``, so it is
shown beside its parent. A rating is one row per reader per page, enforced by a unique
constraint. The queries the views and the API share are in ``comment_queries`` and
``rating_queries``.
"""

import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ops.clock import utcnow

STATES = ("approved", "pending", "hidden", "deleted")
MAX_DEPTH = 3  # levels of nesting below a top-level comment
STARS = (1, 2, 3, 4, 5)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_key: Mapped[str] = mapped_column(String(512))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    # The top-level comment of the thread (itself for a top-level comment): threads are
    # paginated by root, and a whole thread is read with one indexed query.
    root_id: Mapped[int | None]
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
        # Counts and feeds of one page's approved comments, newest first.
        Index("ix_comments_page_state_created", "page_key", "state", "created_at", "id"),
        # Keyset pages of a page's threads: page_key = ? AND depth = 0 ORDER BY created_at, id.
        Index("ix_comments_page_threads", "page_key", "depth", "created_at", "id"),
        # The replies of the threads on one page, in conversation order.
        Index("ix_comments_root_created", "root_id", "created_at", "id"),
        # "Has this comment replies?" and the foreign key (PostgreSQL does not index it).
        Index("ix_comments_parent_id", "parent_id"),
        Index("ix_comments_state_created", "state", "created_at"),
        # Insights (portal.insights): the comments of a period, with their page and state,
        # from the index alone.
        Index("ix_comments_created_state_page", "created_at", "state", "page_key"),
    )

    @property
    def is_top_level(self):
        return self.parent_id is None

    @property
    def by_moderator(self):
        return bool(self.author_key and self.author_key.startswith("moderator:"))


class Rating(Base):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_key: Mapped[str] = mapped_column(String(512))
    reader_key: Mapped[str] = mapped_column(String(64))
    stars: Mapped[int]
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("page_key", "reader_key", name="uq_ratings_page_key_reader_key"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        # A page's histogram, and insights' per page and stars in group order (SQLite has no
        # hash aggregate); it replaces ix_ratings_page_key, of which it is an extension.
        Index("ix_ratings_page_stars_updated", "page_key", "stars", "updated_at"),
        # Insights: the ratings of a period, with their page and stars, from the index alone.
        Index("ix_ratings_updated_page_stars", "updated_at", "page_key", "stars"),
    )
