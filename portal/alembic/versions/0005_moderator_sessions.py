"""server-side sessions: a random id in the cookie, the session in the database

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

Signed-cookie sessions could not be ended: a copied moderator cookie outlived logout and a
password reset. Each row is one session (``id`` the SHA-256 of the cookie's token);
deleting it ends the session.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["moderator_id"], ["moderators.id"], ondelete="CASCADE",
                                name=op.f("fk_sessions_moderator_id_moderators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_moderator_id"), "sessions", ["moderator_id"])


def downgrade():
    op.drop_index(op.f("ix_sessions_moderator_id"), table_name="sessions")
    op.drop_table("sessions")
