"""Initial schema: cell lines, drugs, campaigns and what a campaign logs.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

NAME = 200


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, nullable=False)


def upgrade() -> None:
    """Create the tables of revision 0001."""
    op.create_table(
        "cell_lines",
        _id(),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("parent_id", sa.Integer, nullable=True),
        sa.Column("species", sa.String(NAME), nullable=True),
        sa.Column("tissue", sa.String(NAME), nullable=True),
        sa.Column("cellosaurus", sa.String(32), nullable=True),
        sa.Column("selected_for_resistance_to", sa.String(NAME), nullable=True),
        sa.Column("dose_step", sa.Integer, nullable=True),
        sa.Column("str_checked", sa.Date, nullable=True),
        sa.Column("mycoplasma_checked", sa.Date, nullable=True),
        sa.Column("notes", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cell_lines"),
        sa.UniqueConstraint("name", name="uq_cell_lines_name"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["cell_lines.id"], name="fk_cell_lines_parent_id_cell_lines"
        ),
        sa.CheckConstraint("dose_step >= 0", name="ck_cell_lines_dose_step"),
    )
    op.create_index("ix_cell_lines_parent_id", "cell_lines", ["parent_id"])

    op.create_table(
        "drugs",
        _id(),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("molecular_weight", sa.Float, nullable=True),
        sa.Column("stock_concentration", sa.Float, nullable=True),
        sa.Column("solvent", sa.String(NAME), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_drugs"),
        sa.UniqueConstraint("name", name="uq_drugs_name"),
        sa.CheckConstraint("molecular_weight > 0", name="ck_drugs_molecular_weight"),
        sa.CheckConstraint("stock_concentration > 0", name="ck_drugs_stock_concentration"),
    )
    for table, column in (("drug_synonyms", "synonym"), ("drug_targets", "target")):
        op.create_table(
            table,
            sa.Column("drug_id", sa.Integer, nullable=False),
            sa.Column("position", sa.Integer, nullable=False),
            sa.Column(column, sa.String(NAME), nullable=False),
            sa.PrimaryKeyConstraint("drug_id", "position", name=f"pk_{table}"),
            sa.ForeignKeyConstraint(["drug_id"], ["drugs.id"], name=f"fk_{table}_drug_id_drugs"),
        )

    op.create_table(
        "campaigns",
        _id(),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("cell_line_id", sa.Integer, nullable=False),
        sa.Column("drug_id", sa.Integer, nullable=False),
        sa.Column("parental_ic50", sa.Float, nullable=False),
        sa.Column("start_dose", sa.Float, nullable=False),
        sa.Column("factor", sa.Float, nullable=False),
        sa.Column("target_dose", sa.Float, nullable=False),
        sa.Column("started", sa.Date, nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("baseline_growth_rate", sa.Float, nullable=True),
        sa.Column("notes", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
        sa.UniqueConstraint("name", name="uq_campaigns_name"),
        sa.ForeignKeyConstraint(
            ["cell_line_id"], ["cell_lines.id"], name="fk_campaigns_cell_line_id_cell_lines"
        ),
        sa.ForeignKeyConstraint(["drug_id"], ["drugs.id"], name="fk_campaigns_drug_id_drugs"),
        sa.CheckConstraint("parental_ic50 > 0", name="ck_campaigns_parental_ic50"),
        sa.CheckConstraint("start_dose > 0", name="ck_campaigns_start_dose"),
        sa.CheckConstraint("factor >= 1", name="ck_campaigns_factor"),
        sa.CheckConstraint("target_dose > 0", name="ck_campaigns_target_dose"),
        sa.CheckConstraint(
            "phase IN ('escalation', 'stability', 'retest', 'done', 'lost')",
            name="ck_campaigns_phase",
        ),
    )
    op.create_index("ix_campaigns_cell_line_id", "campaigns", ["cell_line_id"])
    op.create_index("ix_campaigns_drug_id", "campaigns", ["drug_id"])

    op.create_table(
        "dose_steps",
        _id(),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("dose", sa.Float, nullable=False),
        sa.Column("cell_line_id", sa.Integer, nullable=False),
        sa.Column("started", sa.Date, nullable=False),
        sa.Column("ended", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dose_steps"),
        sa.UniqueConstraint("campaign_id", "step", name="uq_dose_steps_campaign_id_step"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_dose_steps_campaign_id_campaigns"
        ),
        sa.ForeignKeyConstraint(
            ["cell_line_id"], ["cell_lines.id"], name="fk_dose_steps_cell_line_id_cell_lines"
        ),
        sa.CheckConstraint("step >= 0", name="ck_dose_steps_step"),
        sa.CheckConstraint("dose >= 0", name="ck_dose_steps_dose"),
        sa.CheckConstraint("ended IS NULL OR ended >= started", name="ck_dose_steps_ended"),
    )
    op.create_index("ix_dose_steps_cell_line_id", "dose_steps", ["cell_line_id"])

    op.create_table(
        "passages",
        _id(),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("dose", sa.Float, nullable=False),
        sa.Column("cells_counted", sa.Float, nullable=True),
        sa.Column("cells_seeded", sa.Float, nullable=True),
        sa.Column("confluence", sa.Float, nullable=True),
        sa.Column("viability", sa.Float, nullable=True),
        sa.Column("split_ratio", sa.Float, nullable=True),
        sa.Column("morphology", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_passages"),
        sa.UniqueConstraint("campaign_id", "number", name="uq_passages_campaign_id_number"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_passages_campaign_id_campaigns"
        ),
        sa.CheckConstraint("number >= 1", name="ck_passages_number"),
        sa.CheckConstraint("dose >= 0", name="ck_passages_dose"),
        sa.CheckConstraint("cells_counted >= 0", name="ck_passages_cells_counted"),
        sa.CheckConstraint("cells_seeded >= 0", name="ck_passages_cells_seeded"),
        sa.CheckConstraint("confluence >= 0 AND confluence <= 100", name="ck_passages_confluence"),
        sa.CheckConstraint("viability >= 0 AND viability <= 100", name="ck_passages_viability"),
        sa.CheckConstraint("split_ratio >= 1", name="ck_passages_split_ratio"),
        sa.CheckConstraint(
            "morphology IN ('normal', 'stressed', 'abnormal')", name="ck_passages_morphology"
        ),
    )

    op.create_table(
        "medium_changes",
        _id(),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("dose", sa.Float, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_medium_changes"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_medium_changes_campaign_id_campaigns"
        ),
        sa.CheckConstraint("dose >= 0", name="ck_medium_changes_dose"),
    )
    op.create_index("ix_medium_changes_campaign_id", "medium_changes", ["campaign_id"])

    op.create_table(
        "cryostocks",
        _id(),
        sa.Column("vial_id", sa.String(NAME), nullable=False),
        sa.Column("campaign_id", sa.Integer, nullable=True),
        sa.Column("cell_line_id", sa.Integer, nullable=False),
        sa.Column("dose_step", sa.Integer, nullable=False),
        sa.Column("passage", sa.Integer, nullable=False),
        sa.Column("frozen", sa.Date, nullable=False),
        sa.Column("box", sa.String(NAME), nullable=False),
        sa.Column("position", sa.String(NAME), nullable=False),
        sa.Column("cells", sa.Float, nullable=True),
        sa.Column("viability", sa.Float, nullable=True),
        sa.Column("thawed", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cryostocks"),
        sa.UniqueConstraint("vial_id", name="uq_cryostocks_vial_id"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_cryostocks_campaign_id_campaigns"
        ),
        sa.ForeignKeyConstraint(
            ["cell_line_id"], ["cell_lines.id"], name="fk_cryostocks_cell_line_id_cell_lines"
        ),
        sa.CheckConstraint("dose_step >= 0", name="ck_cryostocks_dose_step"),
        sa.CheckConstraint("passage >= 0", name="ck_cryostocks_passage"),
        sa.CheckConstraint("cells >= 0", name="ck_cryostocks_cells"),
        sa.CheckConstraint("viability >= 0 AND viability <= 100", name="ck_cryostocks_viability"),
        sa.CheckConstraint("thawed IS NULL OR thawed >= frozen", name="ck_cryostocks_thawed"),
    )
    op.create_index("ix_cryostocks_campaign_id", "cryostocks", ["campaign_id"])
    op.create_index("ix_cryostocks_cell_line_id", "cryostocks", ["cell_line_id"])

    op.create_table(
        "dose_response_links",
        _id(),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("cell_line_id", sa.Integer, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("ic50", sa.Float, nullable=False),
        sa.Column("ic50_low", sa.Float, nullable=True),
        sa.Column("ic50_high", sa.Float, nullable=True),
        sa.Column("censor", sa.String(1), nullable=False),
        sa.Column("drug_free_passages", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dose_response_links"),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_dose_response_links_campaign_id_campaigns",
        ),
        sa.ForeignKeyConstraint(
            ["cell_line_id"],
            ["cell_lines.id"],
            name="fk_dose_response_links_cell_line_id_cell_lines",
        ),
        sa.CheckConstraint("ic50 > 0", name="ck_dose_response_links_ic50"),
        sa.CheckConstraint("ic50_low > 0", name="ck_dose_response_links_ic50_low"),
        sa.CheckConstraint("ic50_high > 0", name="ck_dose_response_links_ic50_high"),
        sa.CheckConstraint("censor IN ('', '>', '<')", name="ck_dose_response_links_censor"),
        sa.CheckConstraint(
            "drug_free_passages >= 0", name="ck_dose_response_links_drug_free_passages"
        ),
    )
    op.create_index("ix_dose_response_links_campaign_id", "dose_response_links", ["campaign_id"])
    op.create_index("ix_dose_response_links_cell_line_id", "dose_response_links", ["cell_line_id"])


def downgrade() -> None:
    """Drop every table of revision 0001."""
    for table in (
        "dose_response_links",
        "cryostocks",
        "medium_changes",
        "passages",
        "dose_steps",
        "campaigns",
        "drug_targets",
        "drug_synonyms",
        "drugs",
        "cell_lines",
    ):
        op.drop_table(table)
