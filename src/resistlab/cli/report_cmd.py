"""`resistlab report`: analyse a study folder and write one self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from resistlab.cli._app import app, fail, out_console, progress_bar
from resistlab.errors import ResistLabError


@app.command()
def report(
    study: Annotated[Path, typer.Argument(help="Study folder holding study.yaml.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the report.")],
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print report.pdf (needs a headless Chromium).")
    ] = False,
) -> None:
    """Run every analysis the study supports and write report.html with its tables."""
    from resistlab.report.study import write_study_report

    try:
        with progress_bar("report") as update:
            page = write_study_report(
                study,
                output,
                progress=lambda step, done, total: update(done, total, step),
                pdf=pdf,
            )
    except ResistLabError as exc:
        fail(exc)
        raise  # unreachable: fail exits
    out_console.print(f"report: {page}")
    if pdf:
        out_console.print(f"pdf: {page.with_suffix('.pdf')}")
