"""SQLAlchemy ORM models: one table per record of `resistlab.campaign.model`.

These rows never leave the package; the repository converts them to and
from the frozen dataclasses. The migrations in ``_migrations/versions``
create exactly these tables (a test compares them).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base",
    "CampaignRow",
    "CellLineRow",
    "CryoEventRow",
    "CryostockRow",
    "DoseResponseRow",
    "DoseStepRow",
    "DrugRow",
    "DrugSynonymRow",
    "DrugTargetRow",
    "MediumChangeRow",
    "PassageRow",
]

#: Constraint names, so migrations (and SQLite batch operations) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NAME = 200  # length of names (cell lines, drugs, campaigns, vials)


class Base(DeclarativeBase):
    """Declarative base with ResistLab's constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CellLineRow(Base):
    """A cell line or a lineage node (``cell_lines``)."""

    __tablename__ = "cell_lines"
    __table_args__ = (CheckConstraint("dose_step >= 0", name="dose_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cell_lines.id"), index=True)
    species: Mapped[str | None] = mapped_column(String(NAME))
    tissue: Mapped[str | None] = mapped_column(String(NAME))
    cellosaurus: Mapped[str | None] = mapped_column(String(32))
    selected_for_resistance_to: Mapped[str | None] = mapped_column(String(NAME))
    dose_step: Mapped[int | None] = mapped_column(Integer)
    str_checked: Mapped[date | None] = mapped_column(Date)
    mycoplasma_checked: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")

    parent: Mapped[CellLineRow | None] = relationship(remote_side=[id])


class DrugRow(Base):
    """A compound (``drugs``); synonyms and targets in their own tables."""

    __tablename__ = "drugs"
    __table_args__ = (
        CheckConstraint("molecular_weight > 0", name="molecular_weight"),
        CheckConstraint("stock_concentration > 0", name="stock_concentration"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    molecular_weight: Mapped[float | None] = mapped_column(Float)
    stock_concentration: Mapped[float | None] = mapped_column(Float)
    solvent: Mapped[str | None] = mapped_column(String(NAME))

    synonyms: Mapped[list[DrugSynonymRow]] = relationship(
        order_by="DrugSynonymRow.position", cascade="all, delete-orphan"
    )
    targets: Mapped[list[DrugTargetRow]] = relationship(
        order_by="DrugTargetRow.position", cascade="all, delete-orphan"
    )


class DrugSynonymRow(Base):
    """One synonym of a drug, in the order given (``drug_synonyms``)."""

    __tablename__ = "drug_synonyms"

    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    synonym: Mapped[str] = mapped_column(String(NAME))


class DrugTargetRow(Base):
    """One target of a drug, in the order given (``drug_targets``)."""

    __tablename__ = "drug_targets"

    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(NAME))


class CampaignRow(Base):
    """A dose-escalation campaign (``campaigns``)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("parental_ic50 > 0", name="parental_ic50"),
        CheckConstraint("start_dose > 0", name="start_dose"),
        CheckConstraint("factor >= 1", name="factor"),
        CheckConstraint("target_dose > 0", name="target_dose"),
        CheckConstraint(
            "phase IN ('escalation', 'stability', 'retest', 'done', 'lost')", name="phase"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    cell_line_id: Mapped[int] = mapped_column(ForeignKey("cell_lines.id"), index=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    parental_ic50: Mapped[float] = mapped_column(Float)
    start_dose: Mapped[float] = mapped_column(Float)
    factor: Mapped[float] = mapped_column(Float)
    target_dose: Mapped[float] = mapped_column(Float)
    started: Mapped[date] = mapped_column(Date)
    phase: Mapped[str] = mapped_column(String(16))
    baseline_growth_rate: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")

    cell_line: Mapped[CellLineRow] = relationship()
    drug: Mapped[DrugRow] = relationship()


class DoseStepRow(Base):
    """One rung of a campaign's dose ladder (``dose_steps``)."""

    __tablename__ = "dose_steps"
    __table_args__ = (
        UniqueConstraint("campaign_id", "step"),
        CheckConstraint("step >= 0", name="step"),
        CheckConstraint("dose >= 0", name="dose"),
        CheckConstraint("ended IS NULL OR ended >= started", name="ended"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    step: Mapped[int] = mapped_column(Integer)
    dose: Mapped[float] = mapped_column(Float)
    cell_line_id: Mapped[int] = mapped_column(ForeignKey("cell_lines.id"), index=True)
    started: Mapped[date] = mapped_column(Date)
    ended: Mapped[date | None] = mapped_column(Date)

    cell_line: Mapped[CellLineRow] = relationship()


class PassageRow(Base):
    """A subculture or count (``passages``)."""

    __tablename__ = "passages"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("dose >= 0", name="dose"),
        CheckConstraint("cells_counted >= 0", name="cells_counted"),
        CheckConstraint("cells_seeded >= 0", name="cells_seeded"),
        CheckConstraint("confluence >= 0 AND confluence <= 100", name="confluence"),
        CheckConstraint("viability >= 0 AND viability <= 100", name="viability"),
        CheckConstraint("split_ratio >= 1", name="split_ratio"),
        CheckConstraint("morphology IN ('normal', 'stressed', 'abnormal')", name="morphology"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    number: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    dose: Mapped[float] = mapped_column(Float)
    cells_counted: Mapped[float | None] = mapped_column(Float)
    cells_seeded: Mapped[float | None] = mapped_column(Float)
    confluence: Mapped[float | None] = mapped_column(Float)
    viability: Mapped[float | None] = mapped_column(Float)
    split_ratio: Mapped[float | None] = mapped_column(Float)
    morphology: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")


class MediumChangeRow(Base):
    """Fresh medium and drug on a day (``medium_changes``)."""

    __tablename__ = "medium_changes"
    __table_args__ = (CheckConstraint("dose >= 0", name="dose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    dose: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")


class CryostockRow(Base):
    """A frozen vial (``cryostocks``); its history is in ``cryo_events``."""

    __tablename__ = "cryostocks"
    __table_args__ = (
        CheckConstraint("dose_step >= 0", name="dose_step"),
        CheckConstraint("passage >= 0", name="passage"),
        CheckConstraint("cells >= 0", name="cells"),
        CheckConstraint("viability >= 0 AND viability <= 100", name="viability"),
        CheckConstraint("thawed IS NULL OR thawed >= frozen", name="thawed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vial_id: Mapped[str] = mapped_column(String(NAME), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    cell_line_id: Mapped[int] = mapped_column(ForeignKey("cell_lines.id"), index=True)
    dose_step: Mapped[int] = mapped_column(Integer)
    passage: Mapped[int] = mapped_column(Integer)
    frozen: Mapped[date] = mapped_column(Date)
    box: Mapped[str] = mapped_column(String(NAME), default="")
    position: Mapped[str] = mapped_column(String(NAME), default="")
    cells: Mapped[float | None] = mapped_column(Float)
    viability: Mapped[float | None] = mapped_column(Float)
    thawed: Mapped[date | None] = mapped_column(Date)

    cell_line: Mapped[CellLineRow] = relationship()
    events: Mapped[list[CryoEventRow]] = relationship(
        order_by="CryoEventRow.id", back_populates="cryostock"
    )


class CryoEventRow(Base):
    """A freeze, thaw or discard of a vial (``cryo_events``, revision 0002)."""

    __tablename__ = "cryo_events"
    __table_args__ = (CheckConstraint("kind IN ('freeze', 'thaw', 'discard')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cryostock_id: Mapped[int] = mapped_column(ForeignKey("cryostocks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    cryostock: Mapped[CryostockRow] = relationship(back_populates="events")


class DoseResponseRow(Base):
    """An IC50 measured during a campaign (``dose_response_links``)."""

    __tablename__ = "dose_response_links"
    __table_args__ = (
        CheckConstraint("ic50 > 0", name="ic50"),
        CheckConstraint("ic50_low > 0", name="ic50_low"),
        CheckConstraint("ic50_high > 0", name="ic50_high"),
        CheckConstraint("censor IN ('', '>', '<')", name="censor"),
        CheckConstraint("drug_free_passages >= 0", name="drug_free_passages"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    cell_line_id: Mapped[int] = mapped_column(ForeignKey("cell_lines.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    ic50: Mapped[float] = mapped_column(Float)
    ic50_low: Mapped[float | None] = mapped_column(Float)
    ic50_high: Mapped[float | None] = mapped_column(Float)
    censor: Mapped[str] = mapped_column(String(1), default="")
    drug_free_passages: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(Text, default="")

    cell_line: Mapped[CellLineRow] = relationship()
