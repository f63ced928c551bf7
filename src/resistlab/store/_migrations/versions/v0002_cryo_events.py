"""Cryostock history: freeze, thaw and discard as events (``cryo_events``).

Existing vials get their history back-filled: a ``freeze`` event on the day
they were frozen and, for thawed vials, a ``thaw`` event on the thaw day.
Downgrading drops the history (the thaw date stays on the vial; discards
are lost).

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``cryo_events`` and back-fill it from ``cryostocks``."""
    op.create_table(
        "cryo_events",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("cryostock_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cryo_events"),
        sa.ForeignKeyConstraint(
            ["cryostock_id"], ["cryostocks.id"], name="fk_cryo_events_cryostock_id_cryostocks"
        ),
        sa.CheckConstraint("kind IN ('freeze', 'thaw', 'discard')", name="ck_cryo_events_kind"),
    )
    op.create_index("ix_cryo_events_cryostock_id", "cryo_events", ["cryostock_id"])
    # Freeze events first, then thaws, each in vial order, so ids follow time per vial.
    op.execute(
        "INSERT INTO cryo_events (cryostock_id, kind, day, note) "
        "SELECT id, 'freeze', frozen, '' FROM cryostocks ORDER BY id"
    )
    op.execute(
        "INSERT INTO cryo_events (cryostock_id, kind, day, note) "
        "SELECT id, 'thaw', thawed, '' FROM cryostocks WHERE thawed IS NOT NULL ORDER BY id"
    )


def downgrade() -> None:
    """Drop ``cryo_events``."""
    op.drop_index("ix_cryo_events_cryostock_id", table_name="cryo_events")
    op.drop_table("cryo_events")
