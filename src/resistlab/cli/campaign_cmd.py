"""`resistlab campaign ...` and `resistlab export | import | backup`: the lab record on the CLI."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.table import Table

from resistlab.cli._app import app, console, fail, out_console, progress_bar, write_csv
from resistlab.errors import InputError, ResistLabError
from resistlab.units import format_molar, unit_factor

if TYPE_CHECKING:
    from resistlab.campaign import CampaignStatus, DosePlan
    from resistlab.store import Store

campaign_app = typer.Typer(
    help="Resistance-induction campaigns: plan, record, steer, forecast.", no_args_is_help=True
)
log_app = typer.Typer(help="Record what was done today.", no_args_is_help=True)
campaign_app.add_typer(log_app, name="log")
app.add_typer(campaign_app, name="campaign")

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: RESISTLAB_DB_URL, else ./resistlab.db)."),
]
DayOption = Annotated[str | None, typer.Option("--date", help="Day (YYYY-MM-DD); default today.")]


def _store(db: str | None) -> Store:
    from resistlab.store import Store

    return Store(db) if db else Store()


def _day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        msg = f"--date {text!r} is not a date like 2024-05-02"
        raise InputError(msg) from err


def _molar(value: float, unit: str, what: str) -> float:
    return value * unit_factor(unit, context=f"{what}: ")


# ---------------------------------------------------------------- plan / new


@campaign_app.command()
def plan(
    ic50: Annotated[float | None, typer.Option(help="Parental IC50 (in --unit).")] = None,
    unit: Annotated[str, typer.Option(help="Unit of --ic50: nM, uM, mM or M.")] = "uM",
    fit: Annotated[
        Path | None,
        typer.Option(help="Or: a `resistlab fit` results CSV (molar doses) to plan from."),
    ] = None,
    row: Annotated[int, typer.Option(help="Row of --fit (0-based).")] = 0,
    hill: Annotated[float, typer.Option(help="Hill slope assumed with --ic50.")] = 1.0,
    start_level: Annotated[float, typer.Option(help="Start at IC10 or IC20.")] = 20.0,
    factor: Annotated[float, typer.Option(help="Escalation factor (1.5-2).")] = 2.0,
    target_fold: Annotated[float, typer.Option(help="Target, x parental IC50 (5-10).")] = 10.0,
) -> None:
    """Print the dose ladder: start dose, escalation steps, target, expected duration."""
    try:
        dose_plan = _plan(ic50, unit, fit, row, hill, start_level, factor, target_fold)
    except (ResistLabError, ValueError) as exc:
        fail(exc)
    _print_plan(dose_plan)


def _plan(
    ic50: float | None,
    unit: str,
    fit: Path | None,
    row: int,
    hill: float,
    start_level: float,
    factor: float,
    target_fold: float,
) -> DosePlan:
    from resistlab.campaign import plan_from_ic50

    if fit is not None:
        table = pd.read_csv(fit)
        if not 0 <= row < len(table):
            msg = f"{fit}: row {row} does not exist ({len(table)} curves)"
            raise InputError(msg)
        r = table.iloc[row]
        ic50_molar = float(r["ic50"])
        if str(r.get("ic50_censor", "") or "") not in ("", "nan"):
            msg = f"{fit}, row {row}: the IC50 is censored; re-test over a wider range"
            raise InputError(msg)
        hill = float(r["hill"])
    elif ic50 is not None:
        ic50_molar = _molar(ic50, unit, "--ic50")
    else:
        msg = "give --ic50 (with --unit) or --fit results.csv"
        raise InputError(msg)
    return plan_from_ic50(
        ic50_molar,
        hill_slope=hill,
        start_level=start_level,
        factor=factor,
        target_fold=target_fold,
    )


def _print_plan(dose_plan: DosePlan) -> None:
    table = Table(title="Dose ladder")
    for column in ("step", "dose", "x parental IC50"):
        table.add_column(column, justify="right")
    for _, r in dose_plan.to_frame().iterrows():
        table.add_row(str(r["step"]), format_molar(r["dose"]), f"{r['x_parental_ic50']:.2f}")
    out_console.print(table)
    low, high = dose_plan.expected_weeks
    out_console.print(
        f"Start at IC{dose_plan.start_level:g} = {format_molar(dose_plan.start_dose)}, "
        f"x{dose_plan.factor:g} per step, target {format_molar(dose_plan.target_dose)} "
        f"({dose_plan.target_fold:g}x IC50 {format_molar(dose_plan.parental_ic50)}): "
        f"{dose_plan.n_escalations} escalations, about {low:.0f}-{high:.0f} weeks.",
        highlight=False,
        soft_wrap=True,
    )


@campaign_app.command()
def new(
    name: Annotated[str, typer.Argument(help="Campaign name, e.g. MDA-MB-231-DefR.")],
    cell_line: Annotated[str, typer.Option(help="Parental cell line.")],
    drug: Annotated[str, typer.Option(help="Selecting drug.")],
    ic50: Annotated[float | None, typer.Option(help="Parental IC50 (in --unit).")] = None,
    unit: Annotated[str, typer.Option(help="Unit of --ic50.")] = "uM",
    fit: Annotated[Path | None, typer.Option(help="Or a `resistlab fit` results CSV.")] = None,
    row: Annotated[int, typer.Option(help="Row of --fit.")] = 0,
    hill: Annotated[float, typer.Option(help="Hill slope assumed with --ic50.")] = 1.0,
    start_level: Annotated[float, typer.Option(help="Start at IC10 or IC20.")] = 20.0,
    factor: Annotated[float, typer.Option(help="Escalation factor.")] = 2.0,
    target_fold: Annotated[float, typer.Option(help="Target, x parental IC50.")] = 10.0,
    doubling_hours: Annotated[
        float | None, typer.Option(help="Parental drug-free doubling time, hours.")
    ] = None,
    cellosaurus: Annotated[str | None, typer.Option(help="Cellosaurus accession.")] = None,
    day: DayOption = None,
    db: DbOption = None,
) -> None:
    """Create a campaign (and its parental line and drug if new), planned from the IC50."""
    from resistlab.campaign import Campaign, CellLine, Drug

    try:
        dose_plan = _plan(ic50, unit, fit, row, hill, start_level, factor, target_fold)
        store = _store(db)
        try:
            store.get_cell_line(cell_line)
        except InputError:
            store.add_cell_line(CellLine(cell_line, cellosaurus=cellosaurus))
        try:
            store.get_drug(drug)
        except InputError:
            store.add_drug(Drug(drug))
        baseline = math.log(2.0) * 24.0 / doubling_hours if doubling_hours else None
        record = store.create_campaign(
            Campaign(
                name=name,
                cell_line=cell_line,
                drug=drug,
                parental_ic50=dose_plan.parental_ic50,
                start_dose=dose_plan.start_dose,
                factor=factor,
                target_dose=dose_plan.target_dose,
                started=_day(day),
                baseline_growth_rate=baseline,
            )
        )
    except (ResistLabError, ValueError) as exc:
        fail(exc)
    _print_plan(dose_plan)
    console.print(
        f"campaign {record.campaign.name!r} created in {store.url}; first step "
        f"{record.steps[0].cell_line} at {format_molar(record.steps[0].dose)}",
        highlight=False,
        soft_wrap=True,
    )


# ---------------------------------------------------------------- log


@log_app.command("passage")
def log_passage(
    name: Annotated[str, typer.Argument(help="Campaign.")],
    count: Annotated[float | None, typer.Option(help="Cells counted before splitting.")] = None,
    seeded: Annotated[float | None, typer.Option(help="Cells seeded after splitting.")] = None,
    split: Annotated[float | None, typer.Option(help="Split ratio (4 for 1:4).")] = None,
    confluence: Annotated[float | None, typer.Option(help="Percent confluence.")] = None,
    viability: Annotated[float | None, typer.Option(help="Percent viable.")] = None,
    morphology: Annotated[str, typer.Option(help="normal, stressed or abnormal.")] = "normal",
    dose: Annotated[
        float | None, typer.Option(help="Dose since the last passage (default: current step).")
    ] = None,
    unit: Annotated[str, typer.Option(help="Unit of --dose.")] = "uM",
    note: Annotated[str, typer.Option(help="Free text.")] = "",
    day: DayOption = None,
    db: DbOption = None,
) -> None:
    """Log a passage (or a count) with growth, viability and morphology."""
    from resistlab.campaign import Passage
    from resistlab.campaign.rules import next_actions

    try:
        store = _store(db)
        record = store.load_campaign(name)
        if dose is None:
            step = record.current_step
            molar = 0.0 if record.campaign.phase != "escalation" or step is None else step.dose
        else:
            molar = _molar(dose, unit, "--dose")
        stored = store.log_passage(
            name,
            Passage(
                0,
                _day(day),
                molar,
                cells_counted=count,
                cells_seeded=seeded,
                confluence=confluence,
                viability=viability,
                split_ratio=split,
                morphology=morphology,  # type: ignore[arg-type]
                note=note,
            ),
        )
        status = next_actions(store.load_campaign(name), today=stored.day)
    except ResistLabError as exc:
        fail(exc)
    console.print(
        f"passage {stored.number} of {name} logged ({stored.day})", highlight=False, soft_wrap=True
    )
    _print_actions(status)


@log_app.command("medium")
def log_medium(
    name: Annotated[str, typer.Argument(help="Campaign.")],
    note: Annotated[str, typer.Option(help="Free text.")] = "",
    day: DayOption = None,
    db: DbOption = None,
) -> None:
    """Log a medium change at the current dose."""
    from resistlab.campaign import MediumChange

    try:
        store = _store(db)
        record = store.load_campaign(name)
        step = record.current_step
        dose = 0.0 if record.campaign.phase != "escalation" or step is None else step.dose
        store.log_medium_change(name, MediumChange(_day(day), dose, note))
    except ResistLabError as exc:
        fail(exc)
    console.print(
        f"medium change logged for {name} at {format_molar(dose)}", highlight=False, soft_wrap=True
    )


@log_app.command("step")
def log_step(
    name: Annotated[str, typer.Argument(help="Campaign.")],
    dose: Annotated[float, typer.Option(help="New dose (0 = drug-free stability phase).")],
    unit: Annotated[str, typer.Option(help="Unit of --dose.")] = "uM",
    day: DayOption = None,
    db: DbOption = None,
) -> None:
    """Start a dose step: escalate, step back, or go drug-free (dose 0)."""
    try:
        store = _store(db)
        molar = _molar(dose, unit, "--dose")
        step = store.start_step(name, molar, _day(day))
        if molar == 0:
            store.set_phase(name, "stability")
    except ResistLabError as exc:
        fail(exc)
    console.print(
        f"step {step.index} of {name}: {format_molar(step.dose)} from {step.started} "
        f"({step.cell_line})",
        highlight=False,
        soft_wrap=True,
    )


@log_app.command("freeze")
def log_freeze(
    name: Annotated[str, typer.Argument(help="Campaign.")],
    vials: Annotated[list[str], typer.Option("--vial", help="Vial id (repeat).")],
    box: Annotated[str, typer.Option(help="Box.")] = "",
    position: Annotated[list[str] | None, typer.Option(help="Position (repeat).")] = None,
    cells: Annotated[float | None, typer.Option(help="Cells per vial.")] = None,
    day: DayOption = None,
    db: DbOption = None,
) -> None:
    """Log frozen vials of the current step."""
    try:
        stored = _store(db).freeze_vials(
            name, vials, _day(day), box=box, positions=position or (), cells=cells
        )
    except ResistLabError as exc:
        fail(exc)
    console.print(
        f"{len(stored)} vial(s) of {stored[0].cell_line} (step {stored[0].dose_step}) frozen",
        highlight=False,
        soft_wrap=True,
    )


@log_app.command("thaw")
def log_thaw(
    vial: Annotated[str, typer.Argument(help="Vial id.")],
    day: DayOption = None,
    db: DbOption = None,
) -> None:
    """Log a thawed vial."""
    try:
        stored = _store(db).thaw_vial(vial, _day(day))
    except ResistLabError as exc:
        fail(exc)
    console.print(
        f"vial {stored.vial_id} ({stored.cell_line}) thawed", highlight=False, soft_wrap=True
    )


@log_app.command("retest")
def log_retest(
    name: Annotated[str, typer.Argument(help="Campaign.")],
    ic50: Annotated[float | None, typer.Option(help="Re-tested IC50 (in --unit).")] = None,
    results: Annotated[
        Path | None,
        typer.Option(help="Or: a `resistlab fit` curves CSV (molar) to take the IC50 from."),
    ] = None,
    row: Annotated[int, typer.Option(help="Row of --results (0-based).")] = 0,
    unit: Annotated[str, typer.Option(help="Unit.")] = "uM",
    low: Annotated[float | None, typer.Option(help="95 % CI low.")] = None,
    high: Annotated[float | None, typer.Option(help="95 % CI high.")] = None,
    censor: Annotated[str, typer.Option(help="'>' when not reached.")] = "",
    drug_free_passages: Annotated[int, typer.Option(help="Drug-free passages before.")] = 0,
    source: Annotated[str, typer.Option(help="Results file and row.")] = "",
    day: DayOption = None,
    db: DbOption = None,
) -> None:
    """Link an IC50 re-test to the campaign (and judge stability)."""
    from resistlab.campaign import DoseResponseLink
    from resistlab.campaign.rules import next_actions

    try:
        store = _store(db)
        record = store.load_campaign(name)
        node = record.current_step.cell_line if record.current_step else record.campaign.cell_line
        factor = unit_factor(unit, context="--unit: ")
        if results is not None:
            ic50, low, high, censor, source = _from_results(results, row)
            factor = 1.0
        elif ic50 is None:
            msg = "give --ic50 (with --unit) or --results curves.csv --row N"
            raise InputError(msg)
        store.link_dose_response(
            name,
            DoseResponseLink(
                _day(day),
                node,
                ic50 * factor,
                None if low is None else low * factor,
                None if high is None else high * factor,
                censor,
                drug_free_passages,
                source,
            ),
        )
        if drug_free_passages > 0:
            store.set_phase(name, "retest")
        status = next_actions(store.load_campaign(name), today=_day(day))
    except ResistLabError as exc:
        fail(exc)
    _print_actions(status)


@log_app.command("check")
def log_check(
    cell_line: Annotated[str, typer.Argument(help="Cell line.")],
    str_profile: Annotated[bool, typer.Option("--str", help="An STR profile was done.")] = False,
    mycoplasma: Annotated[bool, typer.Option(help="A mycoplasma test was done.")] = False,
    day: DayOption = None,
    db: DbOption = None,
) -> None:
    """Record an authentication check (STR profile, mycoplasma test)."""
    try:
        when = _day(day)
        _store(db).record_check(
            cell_line,
            str_checked=when if str_profile else None,
            mycoplasma_checked=when if mycoplasma else None,
        )
    except ResistLabError as exc:
        fail(exc)
    console.print(f"check recorded for {cell_line} on {when}", highlight=False, soft_wrap=True)


def _from_results(path: Path, row: int) -> tuple[float, float | None, float | None, str, str]:
    """IC50, its interval, censor mark and source from a `resistlab fit` results CSV row."""
    if not path.exists():
        msg = f"{path}: no such file"
        raise InputError(msg)
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    missing = [c for c in ("ic50", "ic50_ci_low", "ic50_ci_high") if c not in table.columns]
    if missing:
        msg = f"{path}: not a fit results table (no column {missing[0]!r})"
        raise InputError(msg)
    if not 0 <= row < len(table):
        msg = f"{path}: row {row} does not exist ({len(table)} curves)"
        raise InputError(msg)
    r = table.iloc[row]

    def number(key: str) -> float | None:
        value = float(r[key])
        return value if math.isfinite(value) else None

    mark = r.get("ic50_censor", "")
    censor = "" if pd.isna(mark) else str(mark)
    return (
        float(r["ic50"]),
        number("ic50_ci_low"),
        number("ic50_ci_high"),
        censor,
        (f"{path}, row {row}"),
    )


# ---------------------------------------------------------------- status / timeline


def _print_actions(status: CampaignStatus) -> None:
    table = Table(title=f"Next actions (step {status.step}, {format_molar(status.dose)})")
    for column in ("", "action", "dose", "reason"):
        table.add_column(column)
    marks = {1: "[red]![/red]", 2: "[yellow]•[/yellow]", 3: " "}
    for action in status.actions:
        dose = "" if action.dose is None else format_molar(action.dose)
        table.add_row(marks[action.priority], action.kind, dose, action.reason)
    out_console.print(table)


@campaign_app.command()
def status(
    name: Annotated[str, typer.Argument(help="Campaign.")],
    day: DayOption = None,
    db: DbOption = None,
) -> None:
    """Print the next actions, with reasons."""
    from resistlab.campaign import passage_growth
    from resistlab.campaign.rules import next_actions

    try:
        record = _store(db).load_campaign(name)
        result = next_actions(record, today=_day(day))
        growth = passage_growth(record.passages)
    except ResistLabError as exc:
        fail(exc)
    doublings = float(growth.cumulative_doublings[-1]) if record.passages else 0.0
    out_console.print(
        f"{name}: phase {record.campaign.phase}, step {result.step} at "
        f"{format_molar(result.dose)}, {len(record.passages)} passages, "
        f"{doublings:.1f} cumulative population doublings; growth at this dose "
        f"{result.growth_fraction:.2f} of the parental rate",
        highlight=False,
        soft_wrap=True,
    )
    _print_actions(result)


@campaign_app.command()
def timeline(
    name: Annotated[str, typer.Argument(help="Campaign.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG, SVG or PDF.")] = Path(
        "timeline.png"
    ),
    db: DbOption = None,
) -> None:
    """Draw dose steps, growth, cryostocks and events over time."""
    from resistlab.report import save_figure
    from resistlab.report.timeline import plot_timeline

    try:
        path = save_figure(plot_timeline(_store(db).load_campaign(name)), output)
    except (ResistLabError, ValueError) as exc:
        fail(exc)
    console.print(f"timeline written to {path}", highlight=False, soft_wrap=True)


@campaign_app.command("list")
def list_campaigns(db: DbOption = None) -> None:
    """List the campaigns on record."""
    try:
        campaigns = _store(db).list_campaigns()
    except ResistLabError as exc:
        fail(exc)
    table = Table(title="Campaigns")
    for column in ("name", "cell line", "drug", "phase", "started", "target"):
        table.add_column(column)
    for c in campaigns:
        table.add_row(
            c.name, c.cell_line, c.drug, c.phase, str(c.started), format_molar(c.target_dose)
        )
    out_console.print(table)


# ---------------------------------------------------------------- simulate


@campaign_app.command()
def simulate(
    ic50: Annotated[float, typer.Option(help="Parental IC50 (in --unit).")],
    unit: Annotated[str, typer.Option(help="Unit of --ic50.")] = "uM",
    runs: Annotated[int, typer.Option(help="Monte Carlo runs per strategy.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    hill: Annotated[float, typer.Option(help="Parental Hill slope.")] = 1.0,
    doubling_hours: Annotated[float, typer.Option(help="Drug-free doubling time, h.")] = 25.0,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="CSV: one row per strategy.")
    ] = Path("simulation.csv"),
) -> None:
    """Forecast strategies (factor, start dose, continuous vs pulsed) by Monte Carlo."""
    from resistlab.campaign.simulate import population_model, simulate_ensemble
    from resistlab.report import save_figure
    from resistlab.report.simulation import plot_strategies

    try:
        if runs < 1:
            msg = f"--runs must be at least 1, got {runs}"
            raise InputError(msg)
        model = population_model(
            ic50=_molar(ic50, unit, "--ic50"),
            hill_slope=hill,
            doubling_time_hours=doubling_hours,
        )
        with progress_bar("simulating") as update:
            result = simulate_ensemble(runs=runs, model=model, seed=seed, progress=update)
        table = result.to_frame()
        output.parent.mkdir(parents=True, exist_ok=True)
        write_csv(table, output)
        figure_path = save_figure(plot_strategies(result), output.with_suffix(".png"))
    except (ResistLabError, ValueError) as exc:
        fail(exc)
    summary = Table(title=f"Strategies ({runs} runs each)")
    columns = [
        c
        for c in (
            "strategy",
            "weeks_to_target_median",
            "weeks_to_target_p05",
            "weeks_to_target_p95",
            "p_culture_lost",
            "fold_resistance_median",
        )
        if c in table.columns
    ]
    for column in columns:
        summary.add_column(column.replace("_", " "))
    for _, r in table.iterrows():
        summary.add_row(*(str(r[c]) if c == "strategy" else f"{float(r[c]):.3g}" for c in columns))
    out_console.print(summary)
    console.print(f"{output} and {figure_path} written", highlight=False, soft_wrap=True)


# ---------------------------------------------------------------- export / import / backup


@app.command("export")
def export_command(
    output: Annotated[Path, typer.Argument(help="JSON file to write.")],
    db: DbOption = None,
) -> None:
    """Export the whole database to JSON (round-trips with `import`)."""
    from resistlab.store import database_url, export_json

    try:
        path = export_json(db or database_url(), output)
    except ResistLabError as exc:
        fail(exc)
    console.print(f"exported to {path}", highlight=False, soft_wrap=True)


@app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="JSON file from `export`.")],
    db: DbOption = None,
) -> None:
    """Import a JSON export into an empty database."""
    from resistlab.store import database_url, import_json

    try:
        import_json(source, db or database_url())
    except ResistLabError as exc:
        fail(exc)
    console.print(f"imported {source}", highlight=False, soft_wrap=True)


@app.command("backup")
def backup_command(
    directory: Annotated[Path, typer.Argument(help="Folder for the backup.")] = Path("backups"),
    db: DbOption = None,
) -> None:
    """Write a consistent, timestamped copy of the database."""
    from resistlab.store import backup, database_url

    try:
        path = backup(db or database_url(), directory)
    except ResistLabError as exc:
        fail(exc)
    console.print(f"backup written to {path}", highlight=False, soft_wrap=True)
