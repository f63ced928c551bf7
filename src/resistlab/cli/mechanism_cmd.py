"""`resistlab mechanisms`: rank resistance mechanisms from evidence tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from resistlab.cli._app import app, console, fail, out_console, write_csv
from resistlab.errors import FileFormatError, InputError, ResistLabError

_VERDICT_STYLE = {
    "supported": "bold green",
    "weakly supported": "green",
    "inconclusive": "yellow",
    "contradicted": "red",
    "untested": "dim",
}


def read_evidence(paths: list[Path]) -> pd.DataFrame:
    """Read and stack evidence tables (CSV/TSV/XLSX); ``source`` defaults to file and row."""
    frames = []
    for path in paths:
        if not path.exists():
            msg = f"{path}: no such file"
            raise InputError(msg)
        try:
            if path.suffix.lower() in (".xlsx", ".xls"):
                frame = pd.read_excel(path)
            else:
                frame = pd.read_csv(path, sep=None, engine="python")
        except (ValueError, pd.errors.ParserError) as exc:
            msg = f"{path}: cannot be read as a table ({exc})"
            raise FileFormatError(msg) from exc
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        missing = [
            c for c in ("assay", "target", "comparison", "log2_fold_change") if c not in frame
        ]
        if missing:
            msg = (
                f"{path}: missing column(s) {missing}; an evidence table has assay, target, "
                "comparison, log2_fold_change and optionally p_value, se, n, source"
            )
            raise FileFormatError(msg)
        if "source" not in frame:
            frame["source"] = [f"{path.name} row {i + 2}" for i in range(len(frame))]
        frame["source"] = frame["source"].fillna("").astype(str)
        empty = frame["source"] == ""
        frame.loc[empty, "source"] = [f"{path.name} row {i + 2}" for i in frame.index[empty]]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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
