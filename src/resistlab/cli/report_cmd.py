"""`resistlab report`: analyse a study folder and write one self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from resistlab.cli._app import app, console, fail, out_console
from resistlab.errors import ResistLabError


@app.command()
def report(
    study: Annotated[Path, typer.Argument(help="Study folder holding study.yaml.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the report.")],
) -> None:
    """Run every analysis the study supports and write report.html with its tables."""
    from resistlab.report.study import write_study_report

    def progress(step: str) -> None:
        console.print(f"[dim]running[/dim] {step}", highlight=False)

    try:
        page = write_study_report(study, output, progress=progress)
    except ResistLabError as exc:
        fail(exc)
        raise  # unreachable: fail exits
    out_console.print(f"report: {page}")
