"""The exceptions ResistLab raises on bad input.

::

    ResistLabError                 base of everything raised on purpose
    ├── InputError (ValueError)    data that cannot be analysed as given
    │   ├── FileFormatError        a file that cannot be parsed (names file, row)
    │   ├── PlateMapError          a plate map that contradicts itself or the data
    │   └── UnitError              a concentration unit that is missing or unknown
    └── AnalysisError              an analysis that cannot proceed on valid input

Every message names where the problem is: the file, the row, the well.
The CLI prints ``ErrorClass: message`` on one line and exits with status 1.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AnalysisError",
    "FileFormatError",
    "InputError",
    "PlateMapError",
    "ResistLabError",
    "UnitError",
    "where",
]


class ResistLabError(Exception):
    """Base class of every error ResistLab raises on purpose."""


class InputError(ResistLabError, ValueError):
    """Input data that cannot be analysed as given."""


class FileFormatError(InputError):
    """A file whose content cannot be parsed."""


class PlateMapError(InputError):
    """A plate map that contradicts itself or the plate data."""


class UnitError(InputError):
    """A concentration unit that is missing or unknown."""


class AnalysisError(ResistLabError):
    """An analysis that cannot proceed on otherwise valid input."""


def where(
    file: str | Path | None = None, *, row: int | None = None, well: str | None = None
) -> str:
    """Format a location prefix such as ``plate.csv, row 7, well B3: ``.

    Parameters
    ----------
    file : str or Path, optional
        The file the problem is in.
    row : int, optional
        1-based row number as a spreadsheet shows it.
    well : str, optional
        Well name such as ``"B3"``.

    Returns
    -------
    str
        The prefix, empty when nothing is known.

    Examples
    --------
    >>> where("map.csv", row=4, well="C7")
    'map.csv, row 4, well C7: '
    """
    parts = []
    if file is not None:
        parts.append(str(file))
    if row is not None:
        parts.append(f"row {row}")
    if well is not None:
        parts.append(f"well {well}")
    return ", ".join(parts) + ": " if parts else ""
