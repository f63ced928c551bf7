"""ResistLab: the computational workbench of a drug-resistance study.

The core analyses take arrays and DataFrames and return frozen result
objects; `resistlab.io` reads instrument files, `resistlab.cli` is the
command line.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
