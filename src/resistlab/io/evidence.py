"""Evidence tables (DESIGN.md) written by hand or by ResistLab, read and stacked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from resistlab.errors import FileFormatError, InputError
from resistlab.provenance import cite, data_row

__all__ = ["read_evidence"]


def _check_rows(frame: pd.DataFrame, path: Path) -> None:
    """Name the first row whose assay is unknown or whose numbers are not numbers."""
    from resistlab.mechanism.scoring import ASSAYS

    assays = frame["assay"].astype(str).str.strip().str.lower()
    for column, bad, why in (
        ("assay", ~assays.isin(ASSAYS), f"is not a known assay ({', '.join(ASSAYS)})"),
        ("target", frame["target"].isna(), "is empty"),
        ("comparison", frame["comparison"].isna(), "is empty"),
        *(
            (
                column,
                frame[column].notna() & pd.to_numeric(frame[column], errors="coerce").isna()
                if column in frame
                else pd.Series(False, index=frame.index),
                "is not a number",
            )
            for column in ("log2_fold_change", "p_value", "se", "n")
        ),
        ("log2_fold_change", frame["log2_fold_change"].isna(), "is empty"),
    ):
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            value = frame[column].iloc[i]
            shown = "" if pd.isna(value) else f" {value!r}"
            msg = f"{path}, row {data_row(i)}, column {column}:{shown} {why}"
            raise FileFormatError(msg)


def _name(path: Path, root: Path | None) -> str:
    if root is not None and path.resolve().is_relative_to(root.resolve()):
        return path.resolve().relative_to(root.resolve()).as_posix()
    return path.name


def read_evidence(paths: list[Path], *, relative_to: Path | None = None) -> pd.DataFrame:
    """Read and stack evidence tables (CSV/TSV/XLSX).

    Each row's ``source`` cites the file and spreadsheet row it was read from
    (``ev.csv, row 2``), followed by the table's own ``source`` text in parentheses
    when it has one. Files under `relative_to` are cited by their path from there,
    others by name.
    """
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
        _check_rows(frame, path)
        name = _name(path, relative_to)
        given = (
            frame["source"].fillna("").astype(str).str.strip()
            if "source" in frame
            else pd.Series("", index=frame.index)
        )
        frame["source"] = [
            cite(name, data_row(i)) + (f" ({text})" if text else "")
            for i, text in zip(range(len(frame)), given, strict=True)
        ]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
