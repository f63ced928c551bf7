"""The `resistlab` command line: thin wrappers over io -> analyses -> outputs."""

from __future__ import annotations

from resistlab.cli import (  # noqa: F401  (commands register on `app`)
    campaign_cmd,
    demo_cmd,
    densitometry_cmd,
    fit_cmd,
    mechanism_cmd,
    report_cmd,
    rnaseq_cmd,
    synergy_cmd,
    troubleshoot_cmd,
)
from resistlab.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of ``python -m resistlab.cli.main``."""
    app()


if __name__ == "__main__":
    main()
