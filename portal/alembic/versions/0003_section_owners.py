"""section owners: which plugin serves each section, kept across restarts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00

A newcomer claiming the name of a section another plugin already serves is failed; the
owner keeps serving (portal/plugins/owners.py, docs/plugins.md "Contested sections").
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "section_owners",
        sa.Column("section", sa.String(length=200), nullable=False),
        sa.Column("plugin", sa.String(length=200), nullable=False),
        sa.Column("distribution", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("section", name=op.f("pk_section_owners")),
    )


def downgrade():
    op.drop_table("section_owners")
