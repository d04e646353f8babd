"""comment indexes for keyset pagination, threads, counts and replies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00

``ix_comments_page_threads`` serves the keyset query of a page's threads
(page_key = ? AND depth = 0 ORDER BY created_at, id); ``ix_comments_root_created`` the
replies of those threads in order; ``ix_comments_page_state_created`` the approved counts
and the per-page feed; ``ix_comments_parent_id`` "has replies?" and the foreign key.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_comments_page_key_created", table_name="comments")
    op.drop_index("ix_comments_root_id", table_name="comments")
    op.create_index("ix_comments_page_state_created", "comments",
                    ["page_key", "state", "created_at", "id"])
    op.create_index("ix_comments_page_threads", "comments",
                    ["page_key", "depth", "created_at", "id"])
    op.create_index("ix_comments_root_created", "comments", ["root_id", "created_at", "id"])
    op.create_index("ix_comments_parent_id", "comments", ["parent_id"])


def downgrade():
    op.drop_index("ix_comments_parent_id", table_name="comments")
    op.drop_index("ix_comments_root_created", table_name="comments")
    op.drop_index("ix_comments_page_threads", table_name="comments")
    op.drop_index("ix_comments_page_state_created", table_name="comments")
    op.create_index("ix_comments_root_id", "comments", ["root_id"])
    op.create_index("ix_comments_page_key_created", "comments", ["page_key", "created_at", "id"])
