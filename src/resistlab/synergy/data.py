"""Dose matrices of drug combinations, batched: the input of every synergy model.

A block is one drug pair on one cell line: a grid of concentrations of drug 1
(rows) by drug 2 (columns), both including 0 (the monotherapies and the
control), with one or more replicate responses per well. Responses are kept
as **percent inhibition** (0 = no effect, 100 = every cell killed), the scale
SynergyFinder scores on; viability input is converted (``100 - viability``).

Many blocks are stacked into arrays padded with NaN, so one code path scores
one matrix or a screen of thousands:

``conc1`` (B, R), ``conc2`` (B, C), ``response`` (B, K, R, C).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from resistlab.errors import InputError
from resistlab.units import unit_factor

__all__ = ["DoseMatrices", "matrices_from_frame"]


@dataclass(frozen=True)
class DoseMatrices:
    """Combination dose matrices of many blocks.

    Attributes
    ----------
    block_ids : tuple of str
        One per block (B).
    drug1, drug2 : tuple of str
        Drug on the rows and on the columns of each block.
    conc1 : ndarray of shape (B, R)
        Molar concentrations of drug 1, ascending, ``conc1[:, 0] == 0``; NaN
        pads blocks with fewer rows.
    conc2 : ndarray of shape (B, C)
        The same for drug 2 (columns).
    response : ndarray of shape (B, K, R, C)
        Percent inhibition of each replicate (K), NaN where a well is
        missing or a block has fewer replicates.
    cell_line : tuple of str, optional
        Cell line of each block (B); ``""`` where unknown, which is the
        default for every block.

    Raises
    ------
    ValueError
        If `cell_line` is given with a length other than the number of blocks.

    Examples
    --------
    >>> m = DoseMatrices(("b1",), ("A",), ("B",), np.zeros((1, 2)), np.zeros((1, 2)),
    ...                  np.zeros((1, 1, 2, 2)))
    >>> m.cell_line
    ('',)
    """

    block_ids: tuple[str, ...]
    drug1: tuple[str, ...]
    drug2: tuple[str, ...]
    conc1: np.ndarray
    conc2: np.ndarray
    response: np.ndarray
    cell_line: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        n = len(self.block_ids)
        lines = tuple(str(line) for line in self.cell_line)
        if not lines and n:
            lines = ("",) * n
        if len(lines) != n:
            msg = f"cell_line has {len(lines)} entries but there are {n} blocks"
            raise ValueError(msg)
        object.__setattr__(self, "cell_line", lines)

    def __len__(self) -> int:
        return len(self.block_ids)

    @property
    def mean_response(self) -> np.ndarray:
        """Replicate mean of each well, shape (B, R, C) (NaN where no replicate)."""
        counts = np.sum(~np.isnan(self.response), axis=1)
        total = np.nansum(self.response, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, total / counts, np.nan)

    @property
    def n_replicates(self) -> np.ndarray:
        """Replicates per well, shape (B, R, C)."""
        return np.sum(~np.isnan(self.response), axis=1)

    def take(self, indices: Sequence[int] | np.ndarray) -> DoseMatrices:
        """Select the blocks at `indices`."""
        index = np.atleast_1d(np.asarray(indices))
        return DoseMatrices(
            block_ids=tuple(self.block_ids[i] for i in index),
            drug1=tuple(self.drug1[i] for i in index),
            drug2=tuple(self.drug2[i] for i in index),
            conc1=self.conc1[index],
            conc2=self.conc2[index],
            response=self.response[index],
            cell_line=tuple(self.cell_line[i] for i in index),
        )


def matrices_from_frame(
    frame: pd.DataFrame,
    *,
    kind: Literal["inhibition", "viability"],
    block: str = "block_id",
    drug1: str = "drug1",
    drug2: str = "drug2",
    conc1: str = "conc1",
    conc2: str = "conc2",
    response: str = "response",
    cell_line: str = "cell_line",
    conc_unit: str | None = "conc_unit",
    default_unit: str | None = None,
    source: str = "table",
) -> DoseMatrices:
    """Build dose matrices from a long table (SynergyFinder's layout).

    Parameters
    ----------
    frame : DataFrame
        One row per well and replicate: block id, the two drugs, their
        concentrations, the response.
    kind : {"inhibition", "viability"}
        What the response column holds, in percent; explicit, never guessed.
    cell_line : str
        Optional column with the cell line of each row; when the table has
        no such column, ``cell_line_name`` (SynergyFinder's name) is used if
        present, else every block's cell line is ``""``.  All rows of a
        block must name the same cell line.
    conc_unit : str, optional
        Column with the concentration unit (``conc_unit`` as SynergyFinder
        writes it; ``conc_unit1``/``conc_unit2`` are used when present).
    default_unit : str, optional
        Unit when the table has no unit column.
    source : str
        Name of the table for error messages.

    Raises
    ------
    InputError
        Naming the row: a missing column, a non-numeric or negative
        concentration or response, an unknown unit, a block without its
        control or monotherapy wells; naming the block: a block whose rows
        name different cell lines.

    Examples
    --------
    >>> t = pd.DataFrame({"block_id": 1, "drug1": "A", "drug2": "B",
    ...                   "conc1": [0, 0, 1, 1], "conc2": [0, 1, 0, 1],
    ...                   "response": [100, 80, 70, 40], "conc_unit": "uM"})
    >>> m = matrices_from_frame(t, kind="viability")
    >>> m.conc1.tolist(), m.mean_response[0].tolist()
    ([[0.0, 1e-06]], [[0.0, 20.0], [30.0, 60.0]])
    """
    if kind not in ("inhibition", "viability"):
        msg = f"kind must be 'inhibition' or 'viability', got {kind!r}"
        raise ValueError(msg)
    needed = [block, drug1, drug2, conc1, conc2, response]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        msg = (
            f"{source}: column(s) {', '.join(map(repr, missing))} not found; "
            f"the table has {', '.join(map(str, frame.columns))}"
        )
        raise InputError(msg)
    work = pd.DataFrame(
        {
            "block": frame[block].astype(str),
            "drug1": frame[drug1].astype(str),
            "drug2": frame[drug2].astype(str),
        }
    )
    line_column = next((c for c in (cell_line, "cell_line_name") if c in frame.columns), None)
    if line_column is None:
        work["line"] = ""
    else:
        lines = frame[line_column]
        work["line"] = lines.astype(object).where(lines.notna(), "").astype(str).str.strip()
        mixed = work.groupby("block", sort=False)["line"].nunique()
        mixed = mixed[mixed > 1]
        if len(mixed):
            bad_block = str(mixed.index[0])
            names = sorted(work.loc[work["block"] == bad_block, "line"].unique())
            msg = (
                f"{source}: block {bad_block} mixes cell lines "
                f"{', '.join(repr(n) for n in names)} (column {line_column!r}); "
                "a block is one drug pair on one cell line"
            )
            raise InputError(msg)
    for name, column in (("c1", conc1), ("c2", conc2), ("y", response)):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & frame[column].notna().to_numpy())
        if bad.size:
            i = int(bad[0])
            msg = (
                f"{source}, row {i + 2}: {frame[column].iloc[i]!r} in column {column!r} "
                "is not a number"
            )
            raise InputError(msg)
        work[name] = values.to_numpy(dtype=float)
    for name, column in (("c1", conc1), ("c2", conc2)):
        negative = np.flatnonzero(work[name].to_numpy() < 0)
        if negative.size:
            i = int(negative[0])
            msg = (
                f"{source}, row {i + 2}: concentration {work[name].iloc[i]} in {column!r} "
                "is negative"
            )
            raise InputError(msg)
    # units: per drug column when given, else one column, else the default
    for name, suffix in (("c1", "1"), ("c2", "2")):
        unit_column = None
        if conc_unit is not None and f"{conc_unit}{suffix}" in frame.columns:
            unit_column = f"{conc_unit}{suffix}"
        elif conc_unit is not None and conc_unit in frame.columns:
            unit_column = conc_unit
        if unit_column is None:
            if default_unit is None:
                msg = f"{source}: no concentration unit column ({conc_unit!r}) and no default unit"
                raise InputError(msg)
            factors = np.full(len(frame), unit_factor(default_unit, context=f"{source}: "))
        else:
            units = frame[unit_column].astype(str)
            lookup = {}
            for i, u in enumerate(units):
                if u not in lookup:
                    lookup[u] = unit_factor(u, context=f"{source}, row {i + 2}: ")
            factors = units.map(lookup).to_numpy(dtype=float)
        work[name] = work[name] * factors
    if kind == "viability":
        work["y"] = 100.0 - work["y"]

    groups = list(work.groupby("block", sort=False))
    rows = max(g["c1"].nunique() for _, g in groups)
    cols = max(g["c2"].nunique() for _, g in groups)
    reps = max(int(g.groupby(["c1", "c2"]).size().max()) for _, g in groups)
    n = len(groups)
    c1 = np.full((n, rows), np.nan)
    c2 = np.full((n, cols), np.nan)
    y = np.full((n, reps, rows, cols), np.nan)
    ids, d1, d2, lines_out = [], [], [], []
    for b, (block_id, g) in enumerate(groups):
        u1 = np.unique(g["c1"].to_numpy())
        u2 = np.unique(g["c2"].to_numpy())
        if u1[0] != 0 or u2[0] != 0:
            msg = (
                f"{source}: block {block_id} has no monotherapy wells (both drugs need "
                "concentration 0 in some wells, with the control at 0, 0)"
            )
            raise InputError(msg)
        c1[b, : u1.size] = u1
        c2[b, : u2.size] = u2
        rows_at = np.searchsorted(u1, g["c1"].to_numpy())
        cols_at = np.searchsorted(u2, g["c2"].to_numpy())
        reps_at = g.groupby(["c1", "c2"]).cumcount().to_numpy()
        y[b, reps_at, rows_at, cols_at] = g["y"].to_numpy()
        if np.isnan(y[b, :, 0, 0]).all():
            msg = f"{source}: block {block_id} has no control well (both concentrations 0)"
            raise InputError(msg)
        ids.append(str(block_id))
        d1.append(str(g["drug1"].iloc[0]))
        d2.append(str(g["drug2"].iloc[0]))
        lines_out.append(str(g["line"].iloc[0]))
    return DoseMatrices(
        block_ids=tuple(ids),
        drug1=tuple(d1),
        drug2=tuple(d2),
        conc1=c1,
        conc2=c2,
        response=y,
        cell_line=tuple(lines_out),
    )
