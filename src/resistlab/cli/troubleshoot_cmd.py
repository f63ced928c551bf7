"""`resistlab troubleshoot`: walk a troubleshooting guide, skipping what the data answers."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.panel import Panel
from rich.table import Table

from resistlab.cli._app import app, fail, out_console
from resistlab.errors import FileFormatError, InputError, ResistLabError

if TYPE_CHECKING:
    from resistlab.mechanism.troubleshoot import GuideWalk, WalkStep

__all__ = ["read_facts", "troubleshoot"]


def read_facts(path: Path) -> dict[str, Any]:
    """Read a facts file: a YAML mapping of fact name to value (checked when walking)."""
    if not path.exists():
        msg = f"{path}: no such file"
        raise InputError(msg)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        msg = f"{path}: cannot read YAML: {exc}"
        raise FileFormatError(msg) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        msg = f"{path}: expected a mapping of fact name to value, got {type(data).__name__}"
        raise FileFormatError(msg)
    return {str(k): v for k, v in data.items()}


def _write_log(path: Path, record: dict[str, Any]) -> None:
    from resistlab._atomic import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        temporary.write_text(
            yaml.safe_dump(record, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )


def _list(matches: tuple[Any, ...]) -> None:
    from resistlab.mechanism.troubleshoot import load_guides

    suggested = {m.guide: m for m in matches}
    view = Table(title="Troubleshooting guides")
    for column in ("guide", "problem", "steps", "fits this study"):
        view.add_column(column, overflow="fold")
    for guide in load_guides().guides:
        match = suggested.get(guide.id)
        view.add_row(
            guide.id,
            guide.problem,
            str(len(guide.steps)),
            "[green]yes[/green]: " + "; ".join(match.reasons) if match else "",
        )
    out_console.print(view)


def _print_step(step: WalkStep) -> None:
    if step.status == "answered":
        body = "\n".join(f"[bold]data:[/bold] {f}" for f in step.findings)
        body += "".join(f"\n[green]->[/green] {m}" for m in step.meanings)
        title = f"[green]{step.number}. {step.id}: answered by the data (skipped)[/green]"
    else:
        body = f"{step.instruction}\n[dim]checks: {step.checks}[/dim]"
        body += "".join(f"\n[yellow]known so far:[/yellow] {f}" for f in step.findings)
        title = f"[yellow]{step.number}. {step.id}: to do[/yellow]"
    if step.references:
        body += f"\n[dim]references: {', '.join(step.references)}[/dim]"
    out_console.print(Panel(body, title=title, title_align="left"))


def _step_record(step: WalkStep) -> dict[str, Any]:
    record: dict[str, Any] = {"step": step.number, "id": step.id, "status": step.status}
    if step.findings:
        record["findings"] = list(step.findings)
    if step.meanings:
        record["meanings"] = list(step.meanings)
    return record


@app.command()
def troubleshoot(
    guide: Annotated[
        str | None, typer.Argument(help="Guide id to walk (see --list); omit to list guides.")
    ] = None,
    evidence: Annotated[
        list[Path] | None,
        typer.Option("--evidence", "-e", help="Evidence table(s) (CSV/TSV/XLSX); repeatable."),
    ] = None,
    facts: Annotated[
        Path | None,
        typer.Option(
            "--facts", "-f", help="YAML of study facts (fold_resistance, z_prime_min, ...)."
        ),
    ] = None,
    list_guides: Annotated[
        bool, typer.Option("--list", help="List the guides (and which fit the data).")
    ] = False,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--no-interactive",
            help="Ask at each open step (default: when run in a terminal).",
        ),
    ] = None,
    log: Annotated[
        Path | None, typer.Option("--log", help="YAML log of the walk and your answers.")
    ] = None,
) -> None:
    """Walk a troubleshooting guide: steps the study's data answers are shown and skipped."""
    from resistlab.io.evidence import read_evidence
    from resistlab.mechanism.troubleshoot import match_guides, walk_guide

    try:
        table = read_evidence(list(evidence)) if evidence else None
        values = read_facts(facts) if facts is not None else {}
        try:
            matches = match_guides(table, values)
            walk = walk_guide(guide, evidence=table, facts=values) if guide else None
        except InputError as exc:
            where = ", ".join(str(p) for p in [*(evidence or []), *([facts] if facts else [])])
            msg = f"{where}: {exc}" if where else str(exc)
            raise InputError(msg) from None
        except KeyError as exc:
            raise InputError(str(exc.args[0])) from None
    except ResistLabError as exc:
        fail(exc)
        raise  # unreachable: fail exits
    if walk is None or list_guides:
        _list(matches)
    if walk is None:
        if matches:
            out_console.print(f"suggested: resistlab troubleshoot {matches[0].guide}")
        return
    if interactive is None:
        interactive = sys.stdin.isatty()
    _walk(walk, interactive=interactive, log=log, inputs=(evidence or [], facts))


def _walk(
    walk: GuideWalk, *, interactive: bool, log: Path | None, inputs: tuple[list[Path], Path | None]
) -> None:
    guide = walk.guide
    out_console.print(f"[bold]{guide.problem}[/bold] ({guide.id})")
    for symptom in guide.symptoms:
        out_console.print(f"  symptom: {symptom}")
    for cause in guide.causes:
        out_console.print(
            f"  possible cause: {cause.description} [dim](steps: {', '.join(cause.steps)})[/dim]"
        )
    out_console.print(
        f"{len(walk.answered)} of {len(walk.steps)} steps answered by the data; "
        f"{len(walk.open)} to do."
    )
    record: dict[str, Any] = {
        "guide": guide.id,
        "problem": guide.problem,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "evidence": [str(p) for p in inputs[0]],
        "facts": None if inputs[1] is None else str(inputs[1]),
        "steps": [],
    }
    for step in walk.steps:
        _print_step(step)
        entry = _step_record(step)
        if interactive and step.status == "open":
            done = typer.confirm(f"{step.ask} Done?", default=False)
            entry["done"] = done
            if done:
                entry["result"] = typer.prompt("Result", default="", show_default=False)
        record["steps"].append(entry)
        if log is not None and interactive:
            _write_log(log, record)
    if not interactive:
        if walk.open:
            out_console.print("[bold]Remaining plan:[/bold]")
            for step in walk.open:
                out_console.print(f"  {step.number}. {step.id}: {step.instruction}")
        else:
            out_console.print("[green]Every step is answered by the data.[/green]")
    if log is not None:
        _write_log(log, record)
        out_console.print(f"wrote {log}")
    if guide.references:
        out_console.print(f"[dim]guide references: {', '.join(guide.references)}[/dim]")
