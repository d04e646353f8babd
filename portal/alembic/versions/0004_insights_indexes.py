"""indexes for insights: ratings and comments of a period, ratings per page and stars

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

``ix_ratings_updated_page_stars`` and ``ix_comments_created_state_page`` answer the insights
queries' ranges of moments (a period, or everything since a date) from the index alone on
SQLite and PostgreSQL. ``ix_ratings_page_stars_updated`` gives SQLite, which groups by
sorting, the ratings in (page, stars) order; it extends ``ix_ratings_page_key``, which it
replaces (and ``uq_ratings_page_key_reader_key`` serves lookups by page too).
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_ratings_page_key", table_name="ratings")
    op.create_index("ix_ratings_page_stars_updated", "ratings",
                    ["page_key", "stars", "updated_at"])
    op.create_index("ix_ratings_updated_page_stars", "ratings",
                    ["updated_at", "page_key", "stars"])
    op.create_index("ix_comments_created_state_page", "comments",
                    ["created_at", "state", "page_key"])


def downgrade():
    op.drop_index("ix_comments_created_state_page", table_name="comments")
    op.drop_index("ix_ratings_updated_page_stars", table_name="ratings")
    op.drop_index("ix_ratings_page_stars_updated", table_name="ratings")
    op.create_index("ix_ratings_page_key", "ratings", ["page_key"])
