"""`resistlab mechanisms`: rank resistance mechanisms from evidence tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from resistlab.cli._app import app, console, fail, out_console, write_csv
from resistlab.errors import InputError, ResistLabError
from resistlab.io.evidence import read_evidence

_VERDICT_STYLE = {
    "supported": "bold green",
    "weakly supported": "green",
    "inconclusive": "yellow",
    "contradicted": "red",
    "untested": "dim",
}


@app.command()
def mechanisms(
    evidence: Annotated[
        list[Path], typer.Argument(help="Evidence table(s): CSV/TSV/XLSX in the DESIGN.md format.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="ranking.csv to write (one row per mechanism).")
    ],
    fak_only: Annotated[
        bool,
        typer.Option(help="Leave out findings where FAK drives resistance to another drug."),
    ] = False,
) -> None:
    """Rank resistance mechanisms by the evidence and say what to run next."""
    from resistlab.mechanism import score_mechanisms

    try:
        table = read_evidence(evidence)
        try:
            result = score_mechanisms(table, include_other_drugs=not fak_only)
        except InputError as exc:
            msg = f"{', '.join(str(p) for p in evidence)}: {exc}"
            raise InputError(msg) from None
    except ResistLabError as exc:
        fail(exc)
        raise  # unreachable: fail exits
    ranking = result.to_frame()
    write_csv(ranking, output)
    if not result.contributions.empty:
        write_csv(result.contributions, output.with_name(output.stem + "_contributions.csv"))
    view = Table(title="Resistance mechanisms (full text in ranking.csv)")
    for column in ("mechanism", "verdict", "conf.", "for / against", "next experiment"):
        view.add_column(column, overflow="fold")
    for _, row in ranking.iterrows():
        conf = "" if pd.isna(row["confidence"]) else f"{row['confidence']:.2f}"
        n_for = len([s for s in str(row["supporting"]).split("; ") if s])
        n_against = len([s for s in str(row["contradicting"]).split("; ") if s])
        first_next = str(row["next_experiments"]).split(" | ")[0]
        if len(first_next) > 110:
            first_next = first_next[:107].rsplit(" ", 1)[0] + "..."
        label = str(row["mechanism"])
        if not row["counts_as_fak_inhibitor_resistance"]:
            label += " (other drugs)"
        verdict = str(row["verdict"])
        view.add_row(
            label,
            f"[{_VERDICT_STYLE.get(verdict, '')}]{verdict}[/]",
            conf,
            f"{n_for} / {n_against}",
            first_next,
        )
    out_console.print(view)
    if not result.unresolved.empty:
        names = ", ".join(sorted(set(result.unresolved["target"].astype(str))))
        console.print(f"[yellow]unknown targets[/yellow] (not in the knowledge base): {names}")
    out_console.print(f"wrote {output}")
