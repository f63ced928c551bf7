"""The repository: campaign records in and out, one transaction per write."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Literal, TypeVar

from sqlalchemy import Engine, exists, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from resistlab.campaign.model import (
    MORPHOLOGIES,
    PHASES,
    Campaign,
    CampaignRecord,
    CellLine,
    Cryostock,
    DoseResponseLink,
    DoseStep,
    Drug,
    MediumChange,
    Passage,
)
from resistlab.errors import InputError
from resistlab.store._engine import (
    SQLITE_BEGIN,
    database_url,
    is_sqlite,
    make_engine,
    run_with_retry,
)
from resistlab.store._migrate import SCHEMA_REVISION, SchemaError, ensure_head, revision_of
from resistlab.store._models import (
    CampaignRow,
    CellLineRow,
    CryoEventRow,
    CryostockRow,
    DoseResponseRow,
    DoseStepRow,
    DrugRow,
    DrugSynonymRow,
    DrugTargetRow,
    MediumChangeRow,
    PassageRow,
)
from resistlab.units import unit_factor

__all__ = ["CryoEvent", "Store"]

T = TypeVar("T")

CryoEventKind = Literal["freeze", "thaw", "discard"]

_NAME_LENGTH = 200


@dataclass(frozen=True)
class CryoEvent:
    """One event in a vial's history: frozen, thawed or discarded.

    Attributes
    ----------
    vial_id : str
    kind : str
        ``"freeze"``, ``"thaw"`` or ``"discard"``.
    day : date
    note : str
    """

    vial_id: str
    kind: CryoEventKind
    day: date
    note: str = ""


# -- checks at entry: name the record and the field ------------------------------------------


def _name(value: object, record: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"{record}: {field} must be a non-empty name, got {value!r}"
        raise InputError(msg)
    if "\x00" in value:
        msg = f"{record}: {field} contains a NUL character"
        raise InputError(msg)
    if len(value) > _NAME_LENGTH:
        msg = f"{record}: {field} is {len(value)} characters long; at most {_NAME_LENGTH}"
        raise InputError(msg)
    return value


def _day(value: object, record: str, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        msg = f"{record}: {field} must be a datetime.date, got {value!r}"
        raise InputError(msg)
    return value


def _optional_day(value: object, record: str, field: str) -> date | None:
    return None if value is None else _day(value, record, field)


Rule = Literal["any", "dose", "count", "percent", "positive", "ratio", "factor"]

#: For each rule: lowest allowed, highest allowed, whether the lowest is excluded, the reason.
_RULES: dict[str, tuple[float, float, bool, str]] = {
    "any": (-math.inf, math.inf, False, ""),
    "dose": (0.0, math.inf, False, "doses cannot be negative"),
    "count": (0.0, math.inf, False, "counts cannot be negative"),
    "percent": (0.0, 100.0, False, "percentages are 0-100"),
    "positive": (0.0, math.inf, True, "it must be greater than 0"),
    "ratio": (1.0, math.inf, False, "a split ratio is at least 1 (1:4 is 4)"),
    "factor": (1.0, math.inf, False, "an escalation factor is at least 1"),
}


def _number(value: object, record: str, field: str, rule: Rule = "any") -> float:
    """Check that `value` is a finite real number obeying `rule`; return it as float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{record}: {field} must be a number, got {value!r}"
        raise InputError(msg)
    number = float(value)
    low, high, open_low, reason = _RULES[rule]
    if not math.isfinite(number):
        problem = "it must be finite"
    elif number < low or number > high or (open_low and number == low):
        problem = reason
    else:
        return number
    msg = f"{record}: {field} is {value!r}; {problem}"
    raise InputError(msg)


def _optional(value: object, record: str, field: str, rule: Rule = "any") -> float | None:
    return None if value is None else _number(value, record, field, rule)


def _molar(value: object, factor: float, record: str, field: str, rule: Rule) -> float:
    """Check a concentration given in some unit, then return it in molar (`factor` x)."""
    return _number(_number(value, record, field, rule) * factor, record, field, rule)


def _optional_molar(
    value: object, factor: float, record: str, field: str, rule: Rule
) -> float | None:
    return None if value is None else _molar(value, factor, record, field, rule)


def _count(value: object, record: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"{record}: {field} is {value!r}; it must be a whole number >= 0"
        raise InputError(msg)
    return value


def _factor(unit: str, record: str) -> float:
    return unit_factor(unit, context=f"{record}: ")


def _text(value: object, record: str, field: str) -> str:
    if not isinstance(value, str):
        msg = f"{record}: {field} must be text, got {value!r}"
        raise InputError(msg)
    if "\x00" in value:  # PostgreSQL cannot store it; refuse it everywhere
        msg = f"{record}: {field} contains a NUL character"
        raise InputError(msg)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:  # lone surrogates: no database can store them
        msg = f"{record}: {field} is not valid Unicode text (position {err.start})"
        raise InputError(msg) from err
    return value


def _short(value: object, record: str, field: str, length: int = _NAME_LENGTH) -> str | None:
    """Check optional short text (a VARCHAR column): no NUL, at most `length` characters."""
    if value is None:
        return None
    text = _text(value, record, field)
    if len(text) > length:
        msg = f"{record}: {field} is {len(text)} characters long; at most {length}"
        raise InputError(msg)
    return text


# -- rows -> dataclasses ----------------------------------------------------------------------


def _cell_line(row: CellLineRow) -> CellLine:
    return CellLine(
        name=row.name,
        parent=row.parent.name if row.parent is not None else None,
        species=row.species,
        tissue=row.tissue,
        cellosaurus=row.cellosaurus,
        selected_for_resistance_to=row.selected_for_resistance_to,
        dose_step=row.dose_step,
        str_checked=row.str_checked,
        mycoplasma_checked=row.mycoplasma_checked,
        notes=row.notes,
    )


def _drug(row: DrugRow) -> Drug:
    return Drug(
        name=row.name,
        synonyms=tuple(s.synonym for s in row.synonyms),
        targets=tuple(t.target for t in row.targets),
        molecular_weight=row.molecular_weight,
        stock_concentration=row.stock_concentration,
        solvent=row.solvent,
    )


def _campaign(row: CampaignRow) -> Campaign:
    return Campaign(
        name=row.name,
        cell_line=row.cell_line.name,
        drug=row.drug.name,
        parental_ic50=row.parental_ic50,
        start_dose=row.start_dose,
        factor=row.factor,
        target_dose=row.target_dose,
        started=row.started,
        phase=row.phase,  # type: ignore[arg-type]  # checked by a CHECK constraint
        baseline_growth_rate=row.baseline_growth_rate,
        notes=row.notes,
    )


def _step(row: DoseStepRow) -> DoseStep:
    return DoseStep(
        index=row.step,
        dose=row.dose,
        cell_line=row.cell_line.name,
        started=row.started,
        ended=row.ended,
    )


def _passage(row: PassageRow) -> Passage:
    return Passage(
        number=row.number,
        day=row.day,
        dose=row.dose,
        cells_counted=row.cells_counted,
        cells_seeded=row.cells_seeded,
        confluence=row.confluence,
        viability=row.viability,
        split_ratio=row.split_ratio,
        morphology=row.morphology,  # type: ignore[arg-type]  # checked by a CHECK constraint
        note=row.note,
    )


def _medium_change(row: MediumChangeRow) -> MediumChange:
    return MediumChange(day=row.day, dose=row.dose, note=row.note)


def _cryostock(row: CryostockRow) -> Cryostock:
    return Cryostock(
        vial_id=row.vial_id,
        cell_line=row.cell_line.name,
        dose_step=row.dose_step,
        passage=row.passage,
        frozen=row.frozen,
        box=row.box,
        position=row.position,
        cells=row.cells,
        viability=row.viability,
        thawed=row.thawed,
    )


def _dose_response(row: DoseResponseRow) -> DoseResponseLink:
    return DoseResponseLink(
        day=row.day,
        cell_line=row.cell_line.name,
        ic50=row.ic50,
        ic50_low=row.ic50_low,
        ic50_high=row.ic50_high,
        censor=row.censor,
        drug_free_passages=row.drug_free_passages,
        source=row.source,
    )


# -- lookups ----------------------------------------------------------------------------------


def _campaign_row(session: Session, name: str, *, lock: bool = False) -> CampaignRow:
    """Return the campaign row; with `lock`, hold it (FOR UPDATE) until the commit."""
    statement = select(CampaignRow).where(CampaignRow.name == name)
    if lock:
        statement = statement.with_for_update()
    row = session.scalars(statement).one_or_none()
    if row is None:
        msg = f"campaign {name!r} is not in the store"
        raise InputError(msg)
    return row


def _cell_line_row(session: Session, name: str, record: str, field: str) -> CellLineRow:
    row = session.scalars(select(CellLineRow).where(CellLineRow.name == name)).one_or_none()
    if row is None:
        msg = f"{record}: {field} {name!r} is not in the store (add it with add_cell_line)"
        raise InputError(msg)
    return row


def _has_cell_line(session: Session, name: str) -> bool:
    return session.scalar(select(exists().where(CellLineRow.name == name))) or False


def _drug_row(session: Session, name: str) -> DrugRow | None:
    return session.scalars(select(DrugRow).where(DrugRow.name == name)).one_or_none()


def _steps(session: Session, campaign: CampaignRow) -> list[DoseStepRow]:
    return list(
        session.scalars(
            select(DoseStepRow)
            .where(DoseStepRow.campaign_id == campaign.id)
            .order_by(DoseStepRow.id)
        )
    )


def _current_step(session: Session, campaign: CampaignRow) -> DoseStepRow | None:
    return session.scalars(
        select(DoseStepRow)
        .where(DoseStepRow.campaign_id == campaign.id)
        .order_by(DoseStepRow.id.desc())
        .limit(1)
    ).first()


def _vial_row(session: Session, vial_id: str, *, lock: bool = False) -> CryostockRow:
    statement = select(CryostockRow).where(CryostockRow.vial_id == vial_id)
    if lock:
        statement = statement.with_for_update()
    row = session.scalars(statement).one_or_none()
    if row is None:
        msg = f"vial {vial_id!r} is not in the store"
        raise InputError(msg)
    return row


def _discarded(session: Session, vial: CryostockRow) -> date | None:
    return session.scalar(
        select(CryoEventRow.day).where(
            CryoEventRow.cryostock_id == vial.id, CryoEventRow.kind == "discard"
        )
    )


def _new_cell_line(session: Session, line: CellLine, parent: CellLineRow | None) -> CellLineRow:
    row = CellLineRow(
        name=line.name,
        parent=parent,
        species=line.species,
        tissue=line.tissue,
        cellosaurus=line.cellosaurus,
        selected_for_resistance_to=line.selected_for_resistance_to,
        dose_step=line.dose_step,
        str_checked=line.str_checked,
        mycoplasma_checked=line.mycoplasma_checked,
        notes=line.notes,
    )
    session.add(row)
    return row


def _new_drug(session: Session, drug: Drug) -> DrugRow:
    record = f"drug {drug.name!r}"
    _name(drug.name, record, "name")
    _optional(drug.molecular_weight, record, "molecular_weight", "positive")
    _optional(drug.stock_concentration, record, "stock_concentration", "positive")
    for field, values in (("synonyms", drug.synonyms), ("targets", drug.targets)):
        for value in values:
            _name(value, record, field)
    _short(drug.solvent, record, "solvent")
    if _drug_row(session, drug.name) is not None:
        msg = f"{record}: a drug of that name is already in the store"
        raise InputError(msg)
    row = DrugRow(
        name=drug.name,
        molecular_weight=drug.molecular_weight,
        stock_concentration=drug.stock_concentration,
        solvent=drug.solvent,
        synonyms=[DrugSynonymRow(position=i, synonym=s) for i, s in enumerate(drug.synonyms)],
        targets=[DrugTargetRow(position=i, target=t) for i, t in enumerate(drug.targets)],
    )
    session.add(row)
    return row


class Store:
    """The lab record of campaigns, cell lines, drugs and cryostocks, in a database.

    Records go in and come out as the frozen dataclasses of
    `resistlab.campaign.model`; every write is one transaction that either
    happens completely or not at all. Bad input raises
    `resistlab.errors.InputError` naming the record and field, and leaves
    the database unchanged.

    Parameters
    ----------
    url : str or URL, optional
        SQLAlchemy URL; `resistlab.store.database_url` by default (the
        ``RESISTLAB_DB_URL`` environment variable, else ``resistlab.db`` in the
        working folder). ``sqlite://`` is an in-memory database (a fake for
        tests); ``postgresql://`` means ``postgresql+psycopg://``.
    migrate : bool
        Bring the schema to `SCHEMA_REVISION` on opening (default). With
        False, a database at another revision raises `SchemaError`.
    timeout : float
        Seconds to wait for another writer's SQLite lock before retrying.

    Notes
    -----
    Concurrent writers lose nothing. Every write that touches a campaign
    first locks its row: ``SELECT ... FOR UPDATE`` on PostgreSQL, and on
    SQLite the transaction starts with ``BEGIN IMMEDIATE`` (one writer at a
    time, readers unaffected under WAL). A transaction that hits a lock
    timeout (SQLITE_BUSY), a serialization failure or a deadlock is run
    again from the start, with a growing, jittered delay.

    Examples
    --------
    >>> from datetime import date
    >>> from resistlab.campaign.model import Campaign, CellLine, Drug, Passage
    >>> store = Store("sqlite://")
    >>> _ = store.add_cell_line(CellLine("MDA-MB-231", species="human"))
    >>> _ = store.add_drug(Drug("Defactinib", targets=("PTK2",)))
    >>> record = store.create_campaign(
    ...     Campaign("DefR-1", "MDA-MB-231", "Defactinib", parental_ic50=2e-6,
    ...              start_dose=2e-7, factor=1.5, target_dose=1e-5, started=date(2026, 1, 5)))
    >>> [line.name for line in record.cell_lines]
    ['MDA-MB-231', 'DefR-1-s1']
    >>> store.log_passage("DefR-1", Passage(0, date(2026, 1, 12), 200, split_ratio=4),
    ...                   unit="nM").number
    1
    >>> store.start_step("DefR-1", 0.3, date(2026, 1, 19), unit="uM").cell_line
    'DefR-1-s2'
    >>> store.get_cell_line("DefR-1-s2").parent
    'DefR-1-s1'
    >>> store.close()
    """

    def __init__(
        self, url: str | URL | None = None, *, migrate: bool = True, timeout: float = 30.0
    ) -> None:
        self._engine: Engine = make_engine(database_url() if url is None else url, timeout=timeout)
        try:
            if migrate:
                ensure_head(self._engine)
            else:
                with self._engine.connect() as connection:
                    current = revision_of(connection)
                if current != SCHEMA_REVISION:
                    msg = (
                        f"the database is at schema revision {current!r}, not "
                        f"{SCHEMA_REVISION!r}; run resistlab.store.upgrade on it"
                    )
                    raise SchemaError(msg)
        except BaseException:
            self._engine.dispose()
            raise
        self._write_engine = self._engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        self._read_engine = (
            self._engine
            if is_sqlite(self._engine)
            else self._engine.execution_options(isolation_level="REPEATABLE READ")
        )

    # -- plumbing --

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for `export_json`, `backup` and tests)."""
        return self._engine

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def _write(self, work: Callable[[Session], T], record: str) -> T:
        """Run `work` in one write transaction, retried after lock conflicts.

        A constraint the checks at entry did not foresee (e.g. a name taken
        by a concurrent writer a moment ago) becomes an `InputError` naming
        `record`.
        """

        def attempt() -> T:
            with Session(self._write_engine, expire_on_commit=False) as session:
                with session.begin():
                    result = work(session)
                return result

        try:
            return run_with_retry(attempt)
        except IntegrityError as err:
            reason = str(err.orig).strip().splitlines()[0]
            msg = f"{record}: the database refused the change ({reason})"
            raise InputError(msg) from err

    def _read(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one read transaction (a consistent snapshot)."""
        with Session(self._read_engine) as session, session.begin():
            return work(session)

    # -- cell lines and drugs --

    def add_cell_line(self, cell_line: CellLine) -> CellLine:
        """Add a cell line (or a lineage node whose `parent` is already stored).

        Parameters
        ----------
        cell_line : CellLine
            The line; ``parent`` must name a stored line.

        Returns
        -------
        CellLine
            The line as stored.

        Raises
        ------
        InputError
            If the name is taken or empty, the parent is unknown, or
            ``dose_step`` is negative.
        """
        record = f"cell line {cell_line.name!r}"
        _name(cell_line.name, record, "name")
        if cell_line.dose_step is not None:
            _count(cell_line.dose_step, record, "dose_step")
        _optional_day(cell_line.str_checked, record, "str_checked")
        _optional_day(cell_line.mycoplasma_checked, record, "mycoplasma_checked")
        _text(cell_line.notes, record, "notes")
        for field in ("species", "tissue", "selected_for_resistance_to"):
            _short(getattr(cell_line, field), record, field)
        _short(cell_line.cellosaurus, record, "cellosaurus", 32)

        def work(session: Session) -> CellLine:
            if _has_cell_line(session, cell_line.name):
                msg = f"{record}: a cell line of that name is already in the store"
                raise InputError(msg)
            parent = (
                None
                if cell_line.parent is None
                else _cell_line_row(session, cell_line.parent, record, "parent")
            )
            row = _new_cell_line(session, cell_line, parent)
            session.flush()
            return _cell_line(row)

        return self._write(work, record)

    def get_cell_line(self, name: str) -> CellLine:
        """Return the stored cell line `name`.

        Raises
        ------
        InputError
            If there is none.
        """
        return self._read(
            lambda session: _cell_line(_cell_line_row(session, name, "lookup", "cell line"))
        )

    def lineage(self, name: str) -> tuple[CellLine, ...]:
        """Return the ancestry of cell line `name`: the root first, `name` last.

        Raises
        ------
        InputError
            If the line is unknown.
        """

        def work(session: Session) -> tuple[CellLine, ...]:
            row: CellLineRow | None = _cell_line_row(session, name, "lineage", "cell line")
            chain: list[CellLine] = []
            seen: set[int] = set()
            while row is not None and row.id not in seen:
                seen.add(row.id)
                chain.append(_cell_line(row))
                row = row.parent
            return tuple(reversed(chain))

        return self._read(work)

    def record_check(
        self,
        cell_line: str,
        *,
        str_checked: date | None = None,
        mycoplasma_checked: date | None = None,
    ) -> CellLine:
        """Record an STR profile and/or a mycoplasma test of a cell line.

        A date earlier than the one on record does not replace it: the
        record keeps the date of the latest check.

        Returns
        -------
        CellLine
            The line with its check dates.

        Raises
        ------
        InputError
            If the line is unknown, no date is given, or a date is not a date.
        """
        record = f"cell line {cell_line!r}"
        _optional_day(str_checked, record, "str_checked")
        _optional_day(mycoplasma_checked, record, "mycoplasma_checked")
        if str_checked is None and mycoplasma_checked is None:
            msg = f"{record}: give str_checked and/or mycoplasma_checked"
            raise InputError(msg)

        def work(session: Session) -> CellLine:
            row = _cell_line_row(session, cell_line, "check", "cell line")
            if str_checked is not None and (
                row.str_checked is None or str_checked > row.str_checked
            ):
                row.str_checked = str_checked
            if mycoplasma_checked is not None and (
                row.mycoplasma_checked is None or mycoplasma_checked > row.mycoplasma_checked
            ):
                row.mycoplasma_checked = mycoplasma_checked
            session.flush()
            return _cell_line(row)

        return self._write(work, record)

    def add_drug(self, drug: Drug) -> Drug:
        """Add a drug.

        Raises
        ------
        InputError
            If the name is taken or empty, or a molecular weight or stock
            concentration is not positive.
        """

        def work(session: Session) -> Drug:
            row = _new_drug(session, drug)
            session.flush()
            return _drug(row)

        return self._write(work, f"drug {drug.name!r}")

    def get_drug(self, name: str) -> Drug:
        """Return the stored drug `name`.

        Raises
        ------
        InputError
            If there is none.
        """

        def work(session: Session) -> Drug:
            row = _drug_row(session, name)
            if row is None:
                msg = f"drug {name!r} is not in the store"
                raise InputError(msg)
            return _drug(row)

        return self._read(work)

    # -- campaigns --

    def create_campaign(
        self, campaign: Campaign, *, drug: Drug | None = None, unit: str = "M"
    ) -> CampaignRecord:
        """Start a campaign: its record, its first lineage node and dose step 1.

        The node ``<name>-s1`` is derived from the parental line, selected
        for resistance to the drug, and dose step 1 runs at the start dose
        from ``campaign.started``.

        Parameters
        ----------
        campaign : Campaign
            The campaign; its cell line must be stored.
        drug : Drug, optional
            The drug, added when it is not stored yet (it must then be named
            ``campaign.drug``). Without it, the drug must be stored already.
        unit : str
            Unit of the campaign's doses (`parental_ic50`, `start_dose`,
            `target_dose`); stored in molar.

        Returns
        -------
        CampaignRecord

        Raises
        ------
        InputError
            If the name is taken, the line or drug is unknown, `drug`
            contradicts the stored one, or a dose, factor or phase is invalid.
        """
        record = f"campaign {campaign.name!r}"
        factor = _factor(unit, record)
        _name(campaign.name, record, "name")
        _name(campaign.cell_line, record, "cell_line")
        _name(campaign.drug, record, "drug")
        ic50 = _molar(campaign.parental_ic50, factor, record, "parental_ic50", "positive")
        start = _molar(campaign.start_dose, factor, record, "start_dose", "positive")
        target = _molar(campaign.target_dose, factor, record, "target_dose", "positive")
        _number(campaign.factor, record, "factor", "factor")
        if target < start:
            msg = f"{record}: target_dose {target:g} M is below start_dose {start:g} M"
            raise InputError(msg)
        _day(campaign.started, record, "started")
        if campaign.phase not in PHASES:
            msg = f"{record}: phase is {campaign.phase!r}; expected one of {', '.join(PHASES)}"
            raise InputError(msg)
        _optional(campaign.baseline_growth_rate, record, "baseline_growth_rate")
        _text(campaign.notes, record, "notes")
        if drug is not None and drug.name != campaign.drug:
            msg = f"{record}: drug is {campaign.drug!r} but drug= describes {drug.name!r}"
            raise InputError(msg)
        node_name = f"{campaign.name}-s1"

        def work(session: Session) -> CampaignRecord:
            if session.scalar(select(exists().where(CampaignRow.name == campaign.name))):
                msg = f"{record}: a campaign of that name is already in the store"
                raise InputError(msg)
            parental = _cell_line_row(session, campaign.cell_line, record, "cell_line")
            drug_row = _drug_row(session, campaign.drug)
            if drug_row is None:
                if drug is None:
                    msg = (
                        f"{record}: drug {campaign.drug!r} is not in the store "
                        "(add it with add_drug, or pass drug=Drug(...))"
                    )
                    raise InputError(msg)
                drug_row = _new_drug(session, drug)
            elif drug is not None and _drug(drug_row) != drug:
                msg = (
                    f"{record}: drug {campaign.drug!r} is stored with other details than "
                    "drug= gives; leave drug= out to use the stored one"
                )
                raise InputError(msg)
            if _has_cell_line(session, node_name):
                msg = f"{record}: a cell line named {node_name!r} is already in the store"
                raise InputError(msg)
            row = CampaignRow(
                name=campaign.name,
                cell_line=parental,
                drug=drug_row,
                parental_ic50=ic50,
                start_dose=start,
                factor=float(campaign.factor),
                target_dose=target,
                started=campaign.started,
                phase=campaign.phase,
                baseline_growth_rate=campaign.baseline_growth_rate,
                notes=campaign.notes,
            )
            session.add(row)
            node = _new_cell_line(
                session,
                CellLine(
                    node_name,
                    species=parental.species,
                    tissue=parental.tissue,
                    selected_for_resistance_to=campaign.drug,
                    dose_step=1,
                ),
                parental,
            )
            session.flush()
            session.add(
                DoseStepRow(
                    campaign_id=row.id, step=1, dose=start, cell_line=node, started=campaign.started
                )
            )
            return _record(session, row)

        return self._write(work, record)

    def set_phase(self, campaign_name: str, phase: str) -> Campaign:
        """Move a campaign to another phase (one of `resistlab.campaign.model.PHASES`).

        Raises
        ------
        InputError
            If the campaign is unknown or the phase is not one of `PHASES`.
        """
        if phase not in PHASES:
            msg = (
                f"campaign {campaign_name!r}: phase is {phase!r}; "
                f"expected one of {', '.join(PHASES)}"
            )
            raise InputError(msg)

        def work(session: Session) -> Campaign:
            row = _campaign_row(session, campaign_name, lock=True)
            row.phase = phase
            session.flush()
            return _campaign(row)

        return self._write(work, f"campaign {campaign_name!r}")

    def start_step(
        self,
        campaign_name: str,
        dose: float,
        day: date,
        *,
        unit: str = "M",
        parent: str | None = None,
    ) -> DoseStep:
        """End the running dose step and start the next one on `day`.

        A positive dose opens step ``k`` (one more than the highest so far)
        with a new lineage node ``<campaign>-s<k>``, derived from the running
        step's node (or from `parent`, e.g. the node whose vial was thawed
        after a crash) and selected for resistance to the campaign's drug.
        Dose 0 opens the drug-free stability step (index 0) on the running
        node (or on `parent`); a campaign has at most one.

        Parameters
        ----------
        campaign_name : str
        dose : float
            In `unit`; stored in molar.
        day : date
            First day of the step; also the last day of the running step.
        unit : str
            Concentration unit of `dose` (M, mM, uM, nM, pM).
        parent : str, optional
            Lineage node the new step's cells come from.

        Returns
        -------
        DoseStep
            The new step.

        Raises
        ------
        InputError
            If the campaign or `parent` is unknown, the unit is unknown, the
            dose is negative, `day` is before the running step's start, or
            the campaign already had its drug-free step.
        """
        record = f"dose step of campaign {campaign_name!r}"
        molar = _molar(dose, _factor(unit, record), record, "dose", "dose")
        _day(day, record, "day")

        def work(session: Session) -> DoseStep:
            campaign = _campaign_row(session, campaign_name, lock=True)
            steps = _steps(session, campaign)
            current = steps[-1] if steps else None
            if current is not None and day < current.started:
                msg = (
                    f"{record}: day {day.isoformat()} is before the running step "
                    f"{current.step} started ({current.started.isoformat()})"
                )
                raise InputError(msg)
            source = (
                _cell_line_row(session, parent, record, "parent")
                if parent is not None
                else (current.cell_line if current is not None else campaign.cell_line)
            )
            if molar == 0:
                if any(step.step == 0 for step in steps):
                    msg = f"{record}: the campaign already has its drug-free step (index 0)"
                    raise InputError(msg)
                index, node = 0, source
            else:
                index = max((step.step for step in steps), default=0) + 1
                node_name = f"{campaign.name}-s{index}"
                if _has_cell_line(session, node_name):
                    msg = f"{record}: a cell line named {node_name!r} is already in the store"
                    raise InputError(msg)
                node = _new_cell_line(
                    session,
                    CellLine(
                        node_name,
                        species=source.species,
                        tissue=source.tissue,
                        selected_for_resistance_to=campaign.drug.name,
                        dose_step=index,
                    ),
                    source,
                )
            if current is not None and current.ended is None:
                current.ended = day
            step = DoseStepRow(
                campaign_id=campaign.id, step=index, dose=molar, cell_line=node, started=day
            )
            session.add(step)
            session.flush()
            return _step(step)

        return self._write(work, record)

    def log_passage(self, campaign_name: str, passage: Passage, *, unit: str = "M") -> Passage:
        """Log a passage (or a count) of a campaign.

        Parameters
        ----------
        campaign_name : str
        passage : Passage
            ``number`` 0 takes the next number; an explicit number must be
            free and fit between its neighbours' days.
        unit : str
            Concentration unit of ``passage.dose``; stored in molar.

        Returns
        -------
        Passage
            As stored: numbered, dose in molar.

        Raises
        ------
        InputError
            If the campaign is unknown, the unit is unknown, the number is
            taken, the day is before the previous passage's (or after the
            next one's), a count or dose is negative, a percentage is outside
            0-100, the split ratio is below 1 or the morphology unknown.
        """
        number = passage.number or 0
        record = (
            f"passage {number} of campaign {campaign_name!r}"
            if number
            else f"new passage of campaign {campaign_name!r}"
        )
        if number:
            _count(number, record, "number")
        dose = _molar(passage.dose, _factor(unit, record), record, "dose", "dose")
        _day(passage.day, record, "day")
        counted = _optional(passage.cells_counted, record, "cells_counted", "count")
        seeded = _optional(passage.cells_seeded, record, "cells_seeded", "count")
        confluence = _optional(passage.confluence, record, "confluence", "percent")
        viability = _optional(passage.viability, record, "viability", "percent")
        split = _optional(passage.split_ratio, record, "split_ratio", "ratio")
        if passage.morphology not in MORPHOLOGIES:
            msg = (
                f"{record}: morphology is {passage.morphology!r}; "
                f"expected one of {', '.join(MORPHOLOGIES)}"
            )
            raise InputError(msg)
        _text(passage.note, record, "note")

        def work(session: Session) -> Passage:
            campaign = _campaign_row(session, campaign_name, lock=True)
            in_campaign = PassageRow.campaign_id == campaign.id
            if number:
                if session.scalar(select(exists().where(in_campaign, PassageRow.number == number))):
                    msg = f"{record}: the campaign already has a passage {number}"
                    raise InputError(msg)
                previous = session.scalars(
                    select(PassageRow)
                    .where(in_campaign, PassageRow.number < number)
                    .order_by(PassageRow.number.desc())
                    .limit(1)
                ).first()
                following = session.scalars(
                    select(PassageRow)
                    .where(in_campaign, PassageRow.number > number)
                    .order_by(PassageRow.number)
                    .limit(1)
                ).first()
                assigned = number
            else:
                previous = session.scalars(
                    select(PassageRow)
                    .where(in_campaign)
                    .order_by(PassageRow.number.desc())
                    .limit(1)
                ).first()
                following = None
                assigned = previous.number + 1 if previous is not None else 1
            if previous is not None and passage.day < previous.day:
                msg = (
                    f"{record}: day {passage.day.isoformat()} is before passage "
                    f"{previous.number} ({previous.day.isoformat()})"
                )
                raise InputError(msg)
            if following is not None and passage.day > following.day:
                msg = (
                    f"{record}: day {passage.day.isoformat()} is after passage "
                    f"{following.number} ({following.day.isoformat()})"
                )
                raise InputError(msg)
            row = PassageRow(
                campaign_id=campaign.id,
                number=assigned,
                day=passage.day,
                dose=dose,
                cells_counted=counted,
                cells_seeded=seeded,
                confluence=confluence,
                viability=viability,
                split_ratio=split,
                morphology=passage.morphology,
                note=passage.note,
            )
            session.add(row)
            session.flush()
            return _passage(row)

        return self._write(work, record)

    def log_medium_change(
        self, campaign_name: str, change: MediumChange, *, unit: str = "M"
    ) -> MediumChange:
        """Log a medium change (fresh medium and drug) of a campaign.

        Parameters
        ----------
        campaign_name : str
        change : MediumChange
        unit : str
            Concentration unit of ``change.dose``; stored in molar.

        Returns
        -------
        MediumChange
            As stored (dose in molar).

        Raises
        ------
        InputError
            If the campaign or unit is unknown, or the dose is negative.
        """
        record = f"medium change of campaign {campaign_name!r}"
        dose = _molar(change.dose, _factor(unit, record), record, "dose", "dose")
        _day(change.day, record, "day")
        _text(change.note, record, "note")

        def work(session: Session) -> MediumChange:
            campaign = _campaign_row(session, campaign_name, lock=True)
            row = MediumChangeRow(
                campaign_id=campaign.id, day=change.day, dose=dose, note=change.note
            )
            session.add(row)
            session.flush()
            return _medium_change(row)

        return self._write(work, record)

    def link_dose_response(
        self, campaign_name: str, link: DoseResponseLink, *, unit: str = "M"
    ) -> DoseResponseLink:
        """Record an IC50 measured during a campaign (a re-test) and its source.

        Parameters
        ----------
        campaign_name : str
        link : DoseResponseLink
            ``cell_line`` must be stored (the parental line or a node).
        unit : str
            Unit of ``ic50``, ``ic50_low`` and ``ic50_high``; stored in molar.

        Returns
        -------
        DoseResponseLink
            As stored (molar).

        Raises
        ------
        InputError
            If the campaign, line or unit is unknown, a concentration is not
            positive, the interval does not hold an uncensored IC50, or the
            censor is not ``""``, ``">"`` or ``"<"``.
        """
        record = f"dose response of {link.cell_line!r} in campaign {campaign_name!r}"
        factor = _factor(unit, record)
        ic50 = _molar(link.ic50, factor, record, "ic50", "positive")
        low = _optional_molar(link.ic50_low, factor, record, "ic50_low", "positive")
        high = _optional_molar(link.ic50_high, factor, record, "ic50_high", "positive")
        if link.censor not in ("", ">", "<"):
            msg = f"{record}: censor is {link.censor!r}; expected '', '>' or '<'"
            raise InputError(msg)
        if link.censor == "" and (
            (low is not None and low > ic50) or (high is not None and high < ic50)
        ):
            msg = f"{record}: the interval [{low}, {high}] does not contain ic50 {ic50:g}"
            raise InputError(msg)
        _count(link.drug_free_passages, record, "drug_free_passages")
        _day(link.day, record, "day")
        _text(link.source, record, "source")

        def work(session: Session) -> DoseResponseLink:
            campaign = _campaign_row(session, campaign_name, lock=True)
            line = _cell_line_row(session, link.cell_line, record, "cell_line")
            row = DoseResponseRow(
                campaign_id=campaign.id,
                cell_line=line,
                day=link.day,
                ic50=ic50,
                ic50_low=low,
                ic50_high=high,
                censor=link.censor,
                drug_free_passages=link.drug_free_passages,
                source=link.source,
            )
            session.add(row)
            session.flush()
            return _dose_response(row)

        return self._write(work, record)

    # -- cryostocks --

    def freeze_vials(
        self,
        campaign_name: str,
        vial_ids: Sequence[str] | int,
        day: date,
        *,
        box: str = "",
        positions: Sequence[str] = (),
        passage: int | None = None,
        cells: float | None = None,
        viability: float | None = None,
        note: str = "",
    ) -> tuple[Cryostock, ...]:
        """Freeze vials of a campaign's running dose step.

        The vials hang off the running step's lineage node and carry its
        index; each gets a ``freeze`` event.

        Parameters
        ----------
        campaign_name : str
        vial_ids : sequence of str, or int
            Labels on the vials, or how many to freeze: then they are named
            ``<node>-p<passage>-<k>``.
        day : date
            Freezing day; not before the running step started.
        box : str
            Box (or rack) they go in, e.g. ``"LN2-3"``.
        positions : sequence of str
            One position per vial (``"C7"``, ...), or none.
        passage : int, optional
            Passage number frozen; the campaign's last passage by default.
        cells : float, optional
            Cells per vial.
        viability : float, optional
            Percent viable at freezing.
        note : str
            Note on the freeze events.

        Returns
        -------
        tuple of Cryostock

        Raises
        ------
        InputError
            If the campaign is unknown or has no step, a vial id is taken or
            repeated, a position is occupied by a vial still in the freezer,
            positions and vials differ in number, or a value is invalid.
        """
        record = f"vials of campaign {campaign_name!r}"
        _day(day, record, "day")
        _short(box, record, "box")
        cells_value = _optional(cells, record, "cells", "count")
        viability_value = _optional(viability, record, "viability", "percent")
        if passage is not None:
            _count(passage, record, "passage")
        labels: list[str] = []
        if isinstance(vial_ids, int):
            if isinstance(vial_ids, bool) or vial_ids < 1:
                msg = f"{record}: vial_ids is {vial_ids!r}; give labels or a count >= 1"
                raise InputError(msg)
            count = vial_ids
        else:
            if isinstance(vial_ids, str):
                msg = f"{record}: vial_ids must be a sequence of labels, not one string"
                raise InputError(msg)
            labels = [_name(vial, record, "vial_id") for vial in vial_ids]
            if not labels:
                msg = f"{record}: vial_ids is empty"
                raise InputError(msg)
            repeated = sorted({vial for vial in labels if labels.count(vial) > 1})
            if repeated:
                msg = f"{record}: vial ids repeated: {', '.join(repeated)}"
                raise InputError(msg)
            count = len(labels)
        places = [_short(position, record, "positions") or "" for position in positions]
        if places and len(places) != count:
            msg = f"{record}: {len(places)} positions for {count} vials"
            raise InputError(msg)

        def work(session: Session) -> tuple[Cryostock, ...]:
            campaign = _campaign_row(session, campaign_name, lock=True)
            step = _current_step(session, campaign)
            if step is None:
                msg = f"{record}: the campaign has no dose step to freeze"
                raise InputError(msg)
            if day < step.started:
                msg = (
                    f"{record}: day {day.isoformat()} is before step {step.step} started "
                    f"({step.started.isoformat()})"
                )
                raise InputError(msg)
            frozen_passage = passage
            if frozen_passage is None:
                frozen_passage = (
                    session.scalar(
                        select(func.max(PassageRow.number)).where(
                            PassageRow.campaign_id == campaign.id
                        )
                    )
                    or 0
                )
            node = step.cell_line
            if isinstance(vial_ids, int):
                names: list[str] = []
                k = 0
                while len(names) < count:
                    k += 1
                    candidate = f"{node.name}-p{frozen_passage}-{k}"
                    if not session.scalar(
                        select(exists().where(CryostockRow.vial_id == candidate))
                    ):
                        names.append(candidate)
            else:
                names = labels
                taken = session.scalars(
                    select(CryostockRow.vial_id).where(CryostockRow.vial_id.in_(names))
                ).all()
                if taken:
                    msg = f"{record}: vial ids already in the store: {', '.join(sorted(taken))}"
                    raise InputError(msg)
            if box and places:
                _check_free(session, box, places, record)
            rows = []
            for index, name in enumerate(names):
                row = CryostockRow(
                    vial_id=name,
                    campaign_id=campaign.id,
                    cell_line=node,
                    dose_step=step.step,
                    passage=frozen_passage,
                    frozen=day,
                    box=box,
                    position=places[index] if places else "",
                    cells=cells_value,
                    viability=viability_value,
                )
                row.events.append(CryoEventRow(kind="freeze", day=day, note=note))
                session.add(row)
                rows.append(row)
            session.flush()
            return tuple(_cryostock(row) for row in rows)

        return self._write(work, record)

    def thaw_vial(self, vial_id: str, day: date, *, note: str = "") -> Cryostock:
        """Thaw a vial: set its thaw date and add a ``thaw`` event.

        Raises
        ------
        InputError
            If the vial is unknown, already thawed or discarded, or `day`
            is before it was frozen.
        """
        return self._end_vial(vial_id, day, "thaw", note)

    def discard_vial(self, vial_id: str, day: date, *, note: str = "") -> Cryostock:
        """Discard a vial (lost, contaminated, failed): add a ``discard`` event.

        A discarded vial leaves `CampaignRecord.cryostocks` (it can no longer
        be thawed); its history stays in `vial_history`.

        Raises
        ------
        InputError
            If the vial is unknown, already thawed or discarded, or `day`
            is before it was frozen.
        """
        return self._end_vial(vial_id, day, "discard", note)

    def _end_vial(self, vial_id: str, day: date, kind: CryoEventKind, note: str) -> Cryostock:
        record = f"vial {vial_id!r}"
        _day(day, record, "day")
        _text(note, record, "note")

        def work(session: Session) -> Cryostock:
            row = _vial_row(session, vial_id, lock=True)
            if row.thawed is not None:
                msg = f"{record}: it was thawed on {row.thawed.isoformat()}"
                raise InputError(msg)
            discarded = _discarded(session, row)
            if discarded is not None:
                msg = f"{record}: it was discarded on {discarded.isoformat()}"
                raise InputError(msg)
            if day < row.frozen:
                msg = (
                    f"{record}: {kind} day {day.isoformat()} is before it was frozen "
                    f"({row.frozen.isoformat()})"
                )
                raise InputError(msg)
            if kind == "thaw":
                row.thawed = day
            row.events.append(CryoEventRow(kind=kind, day=day, note=note))
            session.flush()
            return _cryostock(row)

        return self._write(work, record)

    def vial_history(self, vial_id: str) -> tuple[CryoEvent, ...]:
        """Return the events of a vial in the order they were recorded.

        Raises
        ------
        InputError
            If the vial is unknown.
        """

        def work(session: Session) -> tuple[CryoEvent, ...]:
            row = _vial_row(session, vial_id)
            return tuple(
                CryoEvent(vial_id, event.kind, event.day, event.note)  # type: ignore[arg-type]
                for event in row.events
            )

        return self._read(work)

    # -- reading --

    def load_campaign(self, name: str) -> CampaignRecord:
        """Return everything known about campaign `name`, sequences in time order.

        ``cell_lines`` holds the parental line, then the step nodes in step
        order; ``cryostocks`` leaves out discarded vials.

        Raises
        ------
        InputError
            If the campaign is unknown.
        """
        return self._read(lambda session: _record(session, _campaign_row(session, name)))

    def list_campaigns(self) -> tuple[Campaign, ...]:
        """Return every campaign, by start date then name."""

        def work(session: Session) -> tuple[Campaign, ...]:
            rows = session.scalars(
                select(CampaignRow).order_by(CampaignRow.started, CampaignRow.name)
            )
            return tuple(_campaign(row) for row in rows)

        return self._read(work)


def _check_free(session: Session, box: str, places: list[str], record: str) -> None:
    """Raise when a position in `box` holds a vial that is still in the freezer."""
    discarded = exists().where(
        CryoEventRow.cryostock_id == CryostockRow.id, CryoEventRow.kind == "discard"
    )
    occupied = session.execute(
        select(CryostockRow.position, CryostockRow.vial_id).where(
            CryostockRow.box == box,
            CryostockRow.position.in_(places),
            CryostockRow.thawed.is_(None),
            ~discarded,
        )
    ).all()
    if occupied:
        held = ", ".join(f"{position} (vial {vial!r})" for position, vial in sorted(occupied))
        msg = f"{record}: box {box!r} positions already hold vials: {held}"
        raise InputError(msg)
    repeated = sorted({place for place in places if place and places.count(place) > 1})
    if repeated:
        msg = f"{record}: positions repeated: {', '.join(repeated)}"
        raise InputError(msg)


def _record(session: Session, campaign: CampaignRow) -> CampaignRecord:
    """Assemble the `CampaignRecord` of a campaign row."""
    session.flush()
    steps = _steps(session, campaign)
    lines: dict[str, CellLine] = {campaign.cell_line.name: _cell_line(campaign.cell_line)}
    for step in steps:
        lines.setdefault(step.cell_line.name, _cell_line(step.cell_line))
    discarded = exists().where(
        CryoEventRow.cryostock_id == CryostockRow.id, CryoEventRow.kind == "discard"
    )
    return CampaignRecord(
        campaign=_campaign(campaign),
        cell_lines=tuple(lines.values()),
        drug=_drug(campaign.drug),
        steps=tuple(_step(step) for step in steps),
        passages=tuple(
            _passage(row)
            for row in session.scalars(
                select(PassageRow)
                .where(PassageRow.campaign_id == campaign.id)
                .order_by(PassageRow.number)
            )
        ),
        medium_changes=tuple(
            _medium_change(row)
            for row in session.scalars(
                select(MediumChangeRow)
                .where(MediumChangeRow.campaign_id == campaign.id)
                .order_by(MediumChangeRow.day, MediumChangeRow.id)
            )
        ),
        cryostocks=tuple(
            _cryostock(row)
            for row in session.scalars(
                select(CryostockRow)
                .where(CryostockRow.campaign_id == campaign.id, ~discarded)
                .order_by(CryostockRow.frozen, CryostockRow.id)
            )
        ),
        dose_responses=tuple(
            _dose_response(row)
            for row in session.scalars(
                select(DoseResponseRow)
                .where(DoseResponseRow.campaign_id == campaign.id)
                .order_by(DoseResponseRow.day, DoseResponseRow.id)
            )
        ),
    )
