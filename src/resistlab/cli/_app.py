"""The Typer application and what every command shares: consoles, errors, progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(
    name="resistlab",
    help="ResistLab: dose-response, resistance and mechanism analysis for drug-resistance studies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out_console = Console()


def fail(exc: BaseException) -> None:
    """Print one clear line for a domain error and exit with status 1."""
    console.print(f"[red]{type(exc).__name__}[/red]: {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[..., None]]:
    """Show a Rich progress bar driven by ``update(done, total[, step])`` calls."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int, step: str = "") -> None:
            description = f"{label}: {step}" if step else label
            bar.update(task, completed=done, total=total, description=description)

        yield update


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` to `path` atomically (the folder is created if needed)."""
    from resistlab._atomic import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False)
