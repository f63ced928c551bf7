"""Evidence tables (DESIGN.md) written by hand or by ResistLab, read and stacked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from resistlab.errors import FileFormatError, InputError

__all__ = ["read_evidence"]


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
