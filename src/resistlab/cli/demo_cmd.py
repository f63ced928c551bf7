"""`resistlab demo`: the bundled example study, analysed end to end."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from resistlab.cli._app import app, console, fail, out_console, progress_bar, write_csv
from resistlab.cli.campaign_cmd import _print_actions
from resistlab.cli.fit_cmd import _fit_plates
from resistlab.errors import InputError, ResistLabError

#: The parental line of the example study.
REFERENCE_LINE = "MDA-MB-231"


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(help="The bundled examples folder.")] = Path("examples"),
    out: Annotated[Path, typer.Option("--out", help="Where results go.")] = Path("demo-output"),
    runs: Annotated[int, typer.Option(help="Simulated runs per strategy.")] = 100,
) -> None:
    """Analyse the bundled example study end to end.

    Dose-response plates (IC50s, fold resistance, GR, QC), then the campaign
    that made the resistant line: loaded into a SQLite lab record, its
    status by the decision rules, its timeline, and a forecast of escalation
    strategies from the parental IC50 just measured.
    """
    try:
        plates = folder / "dose_response"
        exports = sorted(p for p in plates.glob("*.txt"))
        if not exports:
            msg = f"{plates}: no plate-reader exports (*.txt) found"
            raise InputError(msg)
        maps = [p.with_suffix(".map.yaml") for p in exports]
        missing = [m for m in maps if not m.exists()]
        if missing:
            msg = f"{missing[0]}: plate map missing for {missing[0].name.split('.')[0]}.txt"
            raise InputError(msg)
        study = _fit_plates(
            exports, maps, out / "dose_response", reference=REFERENCE_LINE, figures=True
        )
        pooled = study.pooled.table
        parental = pooled[pooled["cell_line"] == REFERENCE_LINE].iloc[0]
        _demo_campaign(
            folder / "campaign" / "lab.json",
            out / "campaign",
            float(parental["ic50"]),
            float(parental["hill"]),
            runs,
        )
    except ResistLabError as exc:
        fail(exc)


def _demo_campaign(export: Path, out: Path, parental_ic50: float, hill: float, runs: int) -> None:
    from resistlab.campaign import next_actions, population_model, simulate_ensemble
    from resistlab.report import save_figure
    from resistlab.report.simulation import plot_strategies
    from resistlab.report.timeline import plot_timeline
    from resistlab.store import Store, import_json

    if not export.exists():
        msg = f"{export}: the example campaign export is missing"
        raise InputError(msg)
    out.mkdir(parents=True, exist_ok=True)
    database = out / "resistlab.db"
    for stale in out.glob("resistlab.db*"):
        stale.unlink()  # the demo's own record, rebuilt on every run
    url = f"sqlite:///{database.resolve()}"
    import_json(export, url)
    store = Store(url)
    for campaign in store.list_campaigns():
        record = store.load_campaign(campaign.name)
        last = max(p.day for p in record.passages)
        out_console.print(
            f"\nCampaign {campaign.name} ({campaign.cell_line} under {campaign.drug}), "
            f"phase {campaign.phase}, {len(record.steps)} dose steps, {len(record.passages)} "
            f"passages, {len(record.cryostocks)} vials; status on {last}:",
            highlight=False,
            soft_wrap=True,
        )
        _print_actions(next_actions(record, today=last))
        save_figure(plot_timeline(record), out / f"timeline_{campaign.name}.png")
    store.close()
    model = population_model(ic50=parental_ic50, hill_slope=hill if math.isfinite(hill) else 1.0)
    with progress_bar("simulating strategies") as update:
        result = simulate_ensemble(runs=runs, model=model, seed=1, progress=update)
    table = result.to_frame()
    write_csv(table, out / "strategies.csv")
    save_figure(plot_strategies(result), out / "strategies.png")
    columns = [
        "strategy",
        "weeks_to_target_median",
        "weeks_to_target_p05",
        "weeks_to_target_p95",
        "p_culture_lost",
        "fold_resistance_median",
    ]
    out_console.print(
        f"\nForecast from the parental IC50 ({runs} simulated runs per strategy):",
        highlight=False,
    )
    out_console.print(
        table[columns].round(2).to_string(index=False), highlight=False, soft_wrap=True
    )
    console.print(f"campaign record, timeline and forecast written to {out}/", highlight=False)
