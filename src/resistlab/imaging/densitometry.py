r"""Band and spot densitometry: normalised signals, fold changes, evidence rows.

The tidy band table (`resistlab.io.read_densitometry`, or any DataFrame with
``blot``, ``lane``, ``target``, ``signal`` and a ``condition``) goes through
two steps::

    from resistlab.io import read_densitometry
    from resistlab.imaging import compare_conditions, normalize_bands

    bands = read_densitometry(["pSTAT3.csv", "STAT3.csv", "GAPDH.csv"], lanes="lanes.csv")
    normalized = normalize_bands(bands, loading_control="GAPDH")
    result = compare_conditions(normalized, numerator="resistant", denominator="parental")
    result.to_evidence(assay="western")  # rows of the evidence table (DESIGN.md)

`normalize_bands` divides every band by the loading control of its own blot
and lane (measure ``to_loading_control``) and every phospho band by its total
protein in the same blot and lane (measure ``to_total``; each is first
divided by the loading control, which then cancels). Which band is the total
of which phospho band, and the synonyms labs write for targets ("p-STAT3
Tyr705" = pSTAT3_Y705, HER2 = ERBB2, beta-actin = ACTB), come from the
package file ``imaging/data/phospho_pairs.yaml``, which follows the target
ids of the mechanism knowledge base and should defer to its synonyms once
`resistlab.mechanism` exposes them.

`compare_conditions` reports log2 fold changes of a normalised signal. When
blots carry both conditions (``paired_by="blot"``) it takes, on each blot,
the mean log2 signal of the numerator lanes minus that of the denominator
lanes, and tests the per-blot log2 ratios against 0 with a one-sample t-test
(n = blots). Without pairing (``paired_by=None``) it runs Welch's t-test on
the log2 signals of the lanes (n = lanes). ``se`` is the standard error of
the log2 fold change.

`rtk_array_fold_changes` handles phospho-RTK membranes such as the R&D
Systems Proteome Profiler Human Phospho-RTK Array (ARY001B): every spot minus
the membrane's negative-control (PBS) spots, divided by the mean of its
reference spots, duplicate spots averaged. The kit's coordinate-to-RTK
layout is *not* shipped (it was not found documented in a form we could
check); label the spots in the export or the lanes sheet, or pass
``spot_map`` (coordinate -> target) from the kit's insert.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from resistlab.errors import InputError
from resistlab.provenance import citations, cite_many

__all__ = [
    "DENSITOMETRY_EVIDENCE_COLUMNS",
    "NORMALIZED_COLUMNS",
    "DensitometryComparison",
    "RtkArrayFoldChanges",
    "canonical_target",
    "compare_conditions",
    "normalize_bands",
    "phospho_pairs",
    "rtk_array_fold_changes",
]

#: Columns of the evidence table (DESIGN.md); the same as `resistlab.rnaseq` emits.
DENSITOMETRY_EVIDENCE_COLUMNS = (
    "assay",
    "target",
    "comparison",
    "log2_fold_change",
    "p_value",
    "se",
    "n",
    "source",
)

#: Columns of the table `normalize_bands` returns.
NORMALIZED_COLUMNS = [
    "blot",
    "lane",
    "sample",
    "condition",
    "cell_line",
    "treatment",
    "replicate",
    "target",
    "measure",
    "value",
    "signal",
    "loading_control",
    "loading_control_signal",
    "total_target",
    "total_signal",
    "source",
]

_ANNOTATIONS = ("sample", "condition", "cell_line", "treatment", "replicate")
_MEASURE_TEXT = {
    "to_total": "phospho/total, each to the loading control",
    "to_loading_control": "to the loading control",
    "unnormalized": "raw signal",
}
_RESIDUES = {"tyr": "y", "ser": "s", "thr": "t"}


# --------------------------------------------------------------------------- names


def _name_key(name: str) -> str:
    text = name.strip().replace("β", "beta").replace("α", "alpha").lower()
    text = re.sub(r"phospho[\s_\-]*", "p", text)
    text = re.sub(r"(tyr|ser|thr)(?=\s*\d)", lambda m: _RESIDUES[m.group(1)], text)
    return re.sub(r"[^0-9a-z]+", "", text)


@cache
def _knowledge() -> tuple[dict[str, str], dict[str, str], tuple[str, ...]]:
    """(name key -> id, phospho id -> total id, loading-control ids) from the YAML file."""
    text = resources.files("resistlab.imaging").joinpath("data", "phospho_pairs.yaml").read_text()
    doc: dict[str, Any] = yaml.safe_load(text)
    lookup: dict[str, str] = {}
    for target, names in doc["synonyms"].items():
        for name in [target, *(names or [])]:
            key = _name_key(str(name))
            if lookup.get(key, target) != target:  # pragma: no cover - guards the data file
                msg = f"phospho_pairs.yaml: {name!r} names both {lookup[key]} and {target}"
                raise ValueError(msg)
            lookup[key] = str(target)
    pairs = {str(p): str(t) for p, t in doc["pairs"].items()}
    for target in [*pairs, *pairs.values()]:
        lookup.setdefault(_name_key(target), target)
    return lookup, pairs, tuple(str(c) for c in doc["loading_controls"])


def canonical_target(name: str) -> str:
    """Return the target id for a band name as labs write it; unknown names come back stripped.

    Matching ignores case, spaces and punctuation, reads "phospho" as "p" and
    "Tyr705" as "Y705".

    Examples
    --------
    >>> canonical_target("p-STAT3 Tyr705"), canonical_target("HER2"), canonical_target("β-actin")
    ('pSTAT3_Y705', 'ERBB2', 'ACTB')
    >>> canonical_target("  Cyclin D1 ")
    'Cyclin D1'
    """
    lookup, _, _ = _knowledge()
    return lookup.get(_name_key(name), name.strip())


def phospho_pairs() -> dict[str, str]:
    """Return the shipped phospho target -> total protein pairs.

    Examples
    --------
    >>> phospho_pairs()["pSTAT3_Y705"], phospho_pairs()["pFAK_Y397"]
    ('STAT3', 'PTK2')
    """
    return dict(_knowledge()[1])


# --------------------------------------------------------------------------- normalisation


def _require(table: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        msg = f"{what} needs columns {missing}; it has {list(table.columns)}"
        raise InputError(msg)


def _sources(table: pd.DataFrame) -> list[str]:
    if "file" in table.columns and "row" in table.columns:
        return [f"{f}, row {r}" for f, r in zip(table["file"], table["row"], strict=True)]
    if "source" in table.columns:
        return [str(s) for s in table["source"]]
    return [f"blot {b}, lane {ln}" for b, ln in zip(table["blot"], table["lane"], strict=True)]


def normalize_bands(
    table: pd.DataFrame,
    *,
    loading_control: str | None = "GAPDH",
    pairs: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Normalise bands to their lane's loading control, and phospho bands to their total.

    Parameters
    ----------
    table : DataFrame
        One row per band with ``blot``, ``lane``, ``target`` and ``signal``
        (background-subtracted, >= 0); ``sample``, ``condition``,
        ``cell_line``, ``treatment``, ``replicate``, ``file`` and ``row``
        are carried along when present. Target names are resolved with
        `canonical_target`.
    loading_control : str or None
        Target of the loading control (``"GAPDH"``, ``"ACTB"``, ``"beta-actin"``,
        ``"vinculin"``...), found in every lane; None leaves signals
        unnormalised (measure ``unnormalized``).
    pairs : mapping, optional
        Phospho target -> total target; default `phospho_pairs`.

    Returns
    -------
    DataFrame
        Columns `NORMALIZED_COLUMNS`: one ``to_loading_control`` row per band
        other than the loading control (``value`` = signal / loading control
        of the same blot and lane), plus one ``to_total`` row per phospho band
        whose total is in the same blot and lane (``value`` = phospho / total).

    Raises
    ------
    InputError
        Missing columns, the same target twice in a lane, a lane without its
        loading control, or a loading control or total with signal 0; the
        message names the file and row.

    Examples
    --------
    >>> bands = pd.DataFrame({
    ...     "blot": "B1", "lane": ["1", "1", "1"], "condition": "parental",
    ...     "target": ["p-STAT3 Tyr705", "STAT3", "GAPDH"], "signal": [200.0, 800.0, 1000.0]})
    >>> out = normalize_bands(bands)
    >>> out[["target", "measure", "value"]].to_dict("records")
    [{'target': 'pSTAT3_Y705', 'measure': 'to_loading_control', 'value': 0.2}, \
{'target': 'STAT3', 'measure': 'to_loading_control', 'value': 0.8}, \
{'target': 'pSTAT3_Y705', 'measure': 'to_total', 'value': 0.25}]
    """
    _require(table, ("blot", "lane", "target", "signal"), "normalize_bands")
    pairs = dict(phospho_pairs() if pairs is None else pairs)
    pairs = {canonical_target(p): canonical_target(t) for p, t in pairs.items()}
    sources = _sources(table)
    blots = [str(b) for b in table["blot"]]
    lanes = [str(ln) for ln in table["lane"]]
    targets = [canonical_target(str(t)) for t in table["target"]]
    signals = pd.to_numeric(table["signal"], errors="coerce").to_numpy(dtype=float)
    annotations = {
        c: (list(table[c]) if c in table.columns else [None] * len(table)) for c in _ANNOTATIONS
    }
    where: dict[tuple[str, str, str], int] = {}
    for i, key in enumerate(zip(blots, lanes, targets, strict=True)):
        if not (math.isfinite(signals[i]) and signals[i] >= 0):
            msg = f"{sources[i]}: signal {table['signal'].iloc[i]!r} is not a number >= 0"
            raise InputError(msg)
        if key in where:
            msg = (
                f"{sources[i]}: blot {key[0]!r}, lane {key[1]!r} has {key[2]} twice "
                f"(also {sources[where[key]]})"
            )
            raise InputError(msg)
        where[key] = i

    control = canonical_target(loading_control) if loading_control is not None else None
    if control is not None and control not in targets:
        msg = (
            f"no {loading_control!r} bands to normalise to; the targets are "
            f"{sorted(set(targets))} (pass loading_control=)"
        )
        raise InputError(msg)

    def lane_control(i: int) -> float:
        if control is None:
            return 1.0
        j = where.get((blots[i], lanes[i], control))
        if j is None:
            msg = f"{sources[i]}: blot {blots[i]!r}, lane {lanes[i]!r} has no {control} band"
            raise InputError(msg)
        if signals[j] <= 0:
            msg = f"{sources[j]}: the {control} band has signal 0; cannot normalise its lane"
            raise InputError(msg)
        return float(signals[j])

    records: list[dict[str, object]] = []
    measure = "to_loading_control" if control is not None else "unnormalized"
    for i in range(len(table)):
        if targets[i] == control:
            continue
        base = {
            "blot": blots[i],
            "lane": lanes[i],
            **{c: annotations[c][i] for c in _ANNOTATIONS},
            "target": targets[i],
            "signal": float(signals[i]),
            "loading_control": control,
            "loading_control_signal": lane_control(i) if control is not None else math.nan,
            "source": sources[i],
        }
        records.append(
            {
                **base,
                "measure": measure,
                "value": signals[i] / lane_control(i),
                "total_target": None,
                "total_signal": math.nan,
            }
        )
    for i in range(len(table)):
        total = pairs.get(targets[i])
        j = where.get((blots[i], lanes[i], total)) if total is not None else None
        if total is None or j is None:
            continue
        if signals[j] <= 0:
            msg = f"{sources[j]}: the {total} band has signal 0; cannot divide {targets[i]} by it"
            raise InputError(msg)
        records.append(
            {
                "blot": blots[i],
                "lane": lanes[i],
                **{c: annotations[c][i] for c in _ANNOTATIONS},
                "target": targets[i],
                "measure": "to_total",
                "value": (signals[i] / lane_control(i)) / (signals[j] / lane_control(j)),
                "signal": float(signals[i]),
                "loading_control": control,
                "loading_control_signal": lane_control(i) if control is not None else math.nan,
                "total_target": total,
                "total_signal": float(signals[j]),
                "source": f"{sources[i]} / {sources[j]}",
            }
        )
    out = pd.DataFrame.from_records(records, columns=NORMALIZED_COLUMNS)
    out["value"] = out["value"].astype(float)
    return out


# --------------------------------------------------------------------------- statistics


def _one_sample(d: np.ndarray) -> tuple[float, float, float]:
    """Mean, its standard error and the two-sided t-test p-value against 0."""
    n = len(d)
    mean = float(np.mean(d)) if n else math.nan
    if n < 2:
        return mean, math.nan, math.nan
    se = float(np.std(d, ddof=1) / math.sqrt(n))
    if se == 0:
        return mean, 0.0, (1.0 if mean == 0 else 0.0)
    return mean, se, float(2 * stats.t.sf(abs(mean / se), n - 1))


def _welch(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Difference of means, its standard error and Welch's two-sided p-value."""
    diff = float(np.mean(x) - np.mean(y)) if len(x) and len(y) else math.nan
    if len(x) < 2 or len(y) < 2:
        return diff, math.nan, math.nan
    vx, vy = np.var(x, ddof=1) / len(x), np.var(y, ddof=1) / len(y)
    se = float(math.sqrt(vx + vy))
    if se == 0:
        return diff, 0.0, (1.0 if diff == 0 else 0.0)
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    return diff, se, float(2 * stats.t.sf(abs(diff / se), df))


def _log2(values: pd.Series, sources: pd.Series) -> np.ndarray:
    array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(array) & (array > 0))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        msg = (
            f"{sources.iloc[k]}: normalised signal {float(array[k])!r} has no log2 "
            "(it must be > 0); a band at background cannot give a fold change -- "
            "drop it or report it apart"
        )
        raise InputError(msg)
    return np.log2(array)


def _evidence_source(source: str | None, files: str, target: str, text: str, note: str) -> str:
    head = source if source else files
    return f"{head} ({target}, {text}; {note})"


@dataclass(frozen=True, eq=False)
class DensitometryComparison:
    """Log2 fold changes of normalised band signals between two conditions.

    Attributes
    ----------
    table : DataFrame
        One row per group (the ``by`` columns and ``measure``):
        ``log2_fold_change``, ``fold_change``, ``se``, ``p_value``, ``n``
        (blots when paired, lanes otherwise), ``n_numerator`` and
        ``n_denominator`` (lanes), ``test`` and ``files``.
    numerator, denominator : str
        The two conditions; fold changes are numerator / denominator.
    by : tuple of str
        Grouping columns besides ``measure``.
    paired_by : str or None
        Column whose values pair the conditions (``"blot"``), or None.
    """

    table: pd.DataFrame
    numerator: str
    denominator: str
    by: tuple[str, ...]
    paired_by: str | None

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the results table, one row per target and measure."""
        return self.table.copy()

    def to_evidence(
        self,
        *,
        assay: Literal["western", "rtk_array"] | str = "western",
        comparison: str | None = None,
        source: str | None = None,
    ) -> pd.DataFrame:
        """Rows of the evidence table, one per target.

        A phospho target reported both ways gives its ``to_total`` fold change
        (activation); other targets give ``to_loading_control``.

        Parameters
        ----------
        assay : str
            ``"western"`` or ``"rtk_array"``.
        comparison : str, optional
            Default ``"<numerator>_vs_<denominator>"``.
        source : str, optional
            File the numbers came from; default the band files.
        """
        comparison = comparison or f"{self.numerator}_vs_{self.denominator}"
        rank = {"to_total": 0, "to_loading_control": 1, "unnormalized": 2}
        keys = [c for c in self.by if c != "target"]
        columns = ["target", *keys]
        all_keys = list(self.table[columns].itertuples(index=False, name=None))
        first_seen = {k: all_keys.index(k) for k in dict.fromkeys(all_keys)}
        table = self.table.assign(_rank=self.table["measure"].map(rank).fillna(3))
        table = table.sort_values("_rank", kind="stable")
        table = table.drop_duplicates(columns, keep="first")
        order = [first_seen[k] for k in table[columns].itertuples(index=False, name=None)]
        table = table.iloc[np.argsort(order, kind="stable")]
        rows = []
        for rec in table.to_dict("records"):
            extra = ", ".join(f"{k} {rec[k]}" for k in keys)
            note = rec["test"] + (f"; {extra}" if extra else "")
            text = _MEASURE_TEXT.get(str(rec["measure"]), str(rec["measure"]))
            rows.append(
                {
                    "assay": assay,
                    "target": rec["target"],
                    "comparison": comparison,
                    "log2_fold_change": rec["log2_fold_change"],
                    "p_value": rec["p_value"],
                    "se": rec["se"],
                    "n": rec["n"],
                    "source": _evidence_source(source, rec["files"], rec["target"], text, note),
                }
            )
        return pd.DataFrame(rows, columns=list(DENSITOMETRY_EVIDENCE_COLUMNS))


def _files(sources: Iterable[str]) -> str:
    """Cite the files and spreadsheet rows of `sources` compactly (`resistlab.provenance`)."""
    places: list[tuple[str, int | None]] = []
    for text in sources:
        for found in citations(text):
            name = found.file if found.sheet is None else f"{found.file}, sheet '{found.sheet}'"
            places += [(name, row) for row in found.rows] or [(name, None)]
    return cite_many(places)


def compare_conditions(
    normalized: pd.DataFrame,
    *,
    numerator: str = "resistant",
    denominator: str = "parental",
    by: Sequence[str] = ("target",),
    paired_by: str | None = "blot",
) -> DensitometryComparison:
    """Log2 fold change of a normalised signal, numerator versus denominator condition.

    Parameters
    ----------
    normalized : DataFrame
        `normalize_bands` output (``condition``, ``value``, ``measure``, the
        ``by`` columns and ``paired_by``).
    numerator, denominator : str
        Values of ``condition`` to compare.
    by : sequence of str
        Columns that define one comparison, besides ``measure``.
    paired_by : str or None
        Column pairing the conditions (``"blot"``: both on the same
        membrane): per-unit mean log2 ratios, one-sample t-test, n = units
        holding both conditions (units with one condition are left out).
        None: Welch's t-test on the lanes' log2 values, n = lanes.

    Returns
    -------
    DensitometryComparison

    Raises
    ------
    InputError
        Missing columns, a condition with no lanes, a value <= 0.

    Examples
    --------
    >>> norm = pd.DataFrame({
    ...     "blot": ["B1", "B1", "B2", "B2"], "target": "STAT3", "measure": "to_loading_control",
    ...     "condition": ["parental", "resistant"] * 2, "value": [1.0, 4.0, 0.5, 2.0],
    ...     "source": "bands.csv"})
    >>> res = compare_conditions(norm)
    >>> res.to_frame()[["target", "log2_fold_change", "n"]].to_dict("records")
    [{'target': 'STAT3', 'log2_fold_change': 2.0, 'n': 2}]
    """
    by = tuple(by)
    needed = ["condition", "value", "measure", *by] + ([paired_by] if paired_by else [])
    _require(normalized, needed, "compare_conditions")
    conditions = normalized["condition"].astype(object)
    for name in (numerator, denominator):
        if not (conditions == name).any():
            present = sorted({str(c) for c in conditions.dropna()})
            msg = f"no lanes with condition {name!r}; the conditions are {present}"
            raise InputError(msg)
    data = normalized[conditions.isin([numerator, denominator])].copy()
    sources = _sources(data).copy()
    data["_source"] = sources
    data["_log2"] = _log2(data["value"], data["_source"])
    records = []
    for key, group in data.groupby([*by, "measure"], sort=False, dropna=False):
        num = group[group["condition"] == numerator]
        den = group[group["condition"] == denominator]
        if paired_by is not None:
            a = num.groupby(paired_by, sort=False)["_log2"].mean()
            b = den.groupby(paired_by, sort=False)["_log2"].mean()
            common = [u for u in a.index if u in b.index]
            ratios = np.array([a[u] - b[u] for u in common], dtype=float)
            lfc, se, p = _one_sample(ratios)
            n = len(common)
            test = f"one-sample t-test on per-{paired_by} log2 ratios"
        else:
            lfc, se, p = _welch(num["_log2"].to_numpy(), den["_log2"].to_numpy())
            n = len(num) + len(den)
            test = "Welch t-test on log2 lanes"
        keys = key if isinstance(key, tuple) else (key,)
        records.append(
            {
                **dict(zip([*by, "measure"], keys, strict=True)),
                "numerator": numerator,
                "denominator": denominator,
                "log2_fold_change": lfc,
                "fold_change": 2.0**lfc if math.isfinite(lfc) else math.nan,
                "se": se,
                "p_value": p,
                "n": n,
                "n_numerator": len(num),
                "n_denominator": len(den),
                "test": test,
                "files": _files(group["_source"]),
            }
        )
    table = pd.DataFrame.from_records(records)
    return DensitometryComparison(
        table=table, numerator=numerator, denominator=denominator, by=by, paired_by=paired_by
    )


# --------------------------------------------------------------------------- RTK arrays


@dataclass(frozen=True, eq=False)
class RtkArrayFoldChanges:
    r"""Phospho-RTK array levels per condition and their log2 fold changes.

    Attributes
    ----------
    table : DataFrame
        One row per RTK: ``level_numerator`` / ``level_denominator`` (mean
        over membranes of the duplicate-spot mean, negative control
        subtracted, as a fraction of the reference spots), ``log2_fold_change``
        (levels floored at ``detection``), ``se`` and ``p_value`` (Welch on
        log2 floored levels; NaN with one membrane per condition), ``n``
        (membranes), ``detected`` (a level >= ``detection``) and ``hit``
        (detected and \|log2 FC\| >= 1).
    numerator, denominator : str
        The two conditions.
    detection : float
        Detection limit as a fraction of the reference spot signal.
    """

    table: pd.DataFrame
    numerator: str
    denominator: str
    detection: float

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the per-RTK table."""
        return self.table.copy()

    def hits(self) -> list[str]:
        """RTKs flagged as hits, in table order."""
        return [str(t) for t in self.table.loc[self.table["hit"], "target"]]

    def to_evidence(
        self,
        *,
        assay: str = "rtk_array",
        comparison: str | None = None,
        source: str | None = None,
    ) -> pd.DataFrame:
        """Rows of the evidence table, one per detected RTK.

        Parameters
        ----------
        assay : str
            Default ``"rtk_array"``.
        comparison : str, optional
            Default ``"<numerator>_vs_<denominator>"``.
        source : str, optional
            File the numbers came from; default the spot files.
        """
        comparison = comparison or f"{self.numerator}_vs_{self.denominator}"
        rows = []
        for rec in self.table[self.table["detected"]].to_dict("records"):
            note = (
                f"levels {rec['level_denominator']:.3g} -> {rec['level_numerator']:.3g} of the "
                f"reference spots, floor {self.detection:g}" + ("; hit" if rec["hit"] else "")
            )
            rows.append(
                {
                    "assay": assay,
                    "target": rec["target"],
                    "comparison": comparison,
                    "log2_fold_change": rec["log2_fold_change"],
                    "p_value": rec["p_value"],
                    "se": rec["se"],
                    "n": rec["n"],
                    "source": _evidence_source(
                        source, rec["files"], rec["target"], "negative-subtracted / reference", note
                    ),
                }
            )
        return pd.DataFrame(rows, columns=list(DENSITOMETRY_EVIDENCE_COLUMNS))


def _spot_targets(
    spots: pd.DataFrame, spot_map: pd.DataFrame | Mapping[str, str] | None
) -> list[str]:
    if spot_map is None:
        _require(spots, ("target",), "rtk_array_fold_changes")
        return [str(t).strip() for t in spots["target"]]
    if isinstance(spot_map, pd.DataFrame):
        _require(spot_map, ("lane", "target"), "spot_map")
        mapping = {
            str(k).strip(): str(v).strip()
            for k, v in zip(spot_map["lane"], spot_map["target"], strict=True)
        }
    else:
        mapping = {str(k).strip(): str(v).strip() for k, v in spot_map.items()}
    sources = _sources(spots)
    out = []
    for lane, src in zip(spots["lane"], sources, strict=True):
        target = mapping.get(str(lane).strip())
        if target is None:
            msg = f"{src}: spot {lane!r} is not in spot_map"
            raise InputError(msg)
        out.append(target)
    return out


def rtk_array_fold_changes(
    spots: pd.DataFrame,
    *,
    numerator: str = "resistant",
    denominator: str = "parental",
    reference_spots: Sequence[str] = ("Reference", "Reference Spots", "Ref"),
    negative: Sequence[str] | None = ("PBS", "Negative Control", "Negative", "Neg"),
    spot_map: pd.DataFrame | Mapping[str, str] | None = None,
    detection: float = 0.05,
) -> RtkArrayFoldChanges:
    """Phospho-RTK array fold changes, each membrane normalised to its reference spots.

    Parameters
    ----------
    spots : DataFrame
        One row per spot: ``blot`` (the membrane), ``lane`` (the spot
        coordinate), ``condition``, ``signal`` and ``target`` (the RTK, or a
        reference / negative-control label) unless `spot_map` is given.
    numerator, denominator : str
        Conditions to compare (one condition per membrane).
    reference_spots, negative : sequence of str
        Labels of the reference (positive control) and negative-control
        spots, matched ignoring case, spaces and punctuation; ``negative=None``
        subtracts nothing.
    spot_map : DataFrame or mapping, optional
        Spot coordinate -> target (a DataFrame with ``lane`` and ``target``),
        e.g. transcribed from the kit's insert; overrides ``target``.
    detection : float
        Level (fraction of the reference spots) below which a spot counts as
        not detected; levels are floored here before the log.

    Returns
    -------
    RtkArrayFoldChanges

    Raises
    ------
    InputError
        Missing columns, a membrane without reference (or negative) spots or
        with two conditions, a condition with no membrane, a spot not in
        `spot_map`.

    Examples
    --------
    >>> spots = pd.DataFrame({
    ...     "blot": ["P"] * 6 + ["R"] * 6,
    ...     "condition": ["parental"] * 6 + ["resistant"] * 6,
    ...     "lane": ["A1", "A2", "C3", "C4", "F1", "F2"] * 2,
    ...     "target": ["Reference", "Reference", "EGFR", "EGFR", "PBS", "PBS"] * 2,
    ...     "signal": [1010, 990, 110, 130, 10, 10, 1010, 990, 870, 910, 10, 10]})
    >>> res = rtk_array_fold_changes(spots)
    >>> res.to_frame()[["target", "log2_fold_change", "hit"]].round(3).to_dict("records")
    [{'target': 'EGFR', 'log2_fold_change': 3.0, 'hit': True}]
    """
    _require(spots, ("blot", "lane", "condition", "signal"), "rtk_array_fold_changes")
    if not detection > 0:
        msg = f"detection must be > 0, got {detection!r}"
        raise ValueError(msg)
    targets = _spot_targets(spots, spot_map)
    ref_keys = {_name_key(r) for r in reference_spots}
    neg_keys = {_name_key(n) for n in negative} if negative is not None else set()
    kind = [
        "reference" if _name_key(t) in ref_keys else "negative" if _name_key(t) in neg_keys else ""
        for t in targets
    ]
    data = pd.DataFrame(
        {
            "blot": [str(b) for b in spots["blot"]],
            "condition": spots["condition"].astype(object),
            "target": targets,
            "kind": kind,
            "signal": pd.to_numeric(spots["signal"], errors="coerce").astype(float),
            "source": _sources(spots),
        }
    )
    bad = ~np.isfinite(data["signal"].to_numpy())
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        msg = f"{data['source'].iloc[k]}: spot signal is not a number"
        raise InputError(msg)

    levels: list[dict[str, object]] = []
    membrane_condition: dict[str, str] = {}
    for membrane, group in data.groupby("blot", sort=False):
        conds = {str(c) for c in group["condition"].dropna()}
        if len(conds) != 1:
            msg = f"membrane {membrane!r} has conditions {sorted(conds)}; expected exactly one"
            raise InputError(msg)
        membrane_condition[str(membrane)] = conds.pop()
        neg = 0.0
        if negative is not None:
            neg_spots = group[group["kind"] == "negative"]
            if neg_spots.empty:
                msg = (
                    f"membrane {membrane!r} has no negative-control spots {list(negative)} "
                    "(pass negative=None to subtract nothing)"
                )
                raise InputError(msg)
            neg = float(neg_spots["signal"].mean())
        refs = group[group["kind"] == "reference"]
        reference = float((refs["signal"] - neg).mean()) if not refs.empty else math.nan
        if not reference > 0:
            msg = (
                f"membrane {membrane!r} has no reference spots {list(reference_spots)} "
                "above the negative control"
            )
            raise InputError(msg)
        rtks = group[group["kind"] == ""]
        for target, spots_of in rtks.groupby("target", sort=False):
            levels.append(
                {
                    "blot": membrane,
                    "condition": membrane_condition[str(membrane)],
                    "target": target,
                    "level": float((spots_of["signal"] - neg).mean()) / reference,
                    "files": _files(spots_of["source"]),
                }
            )
    present = set(membrane_condition.values())
    for name in (numerator, denominator):
        if name not in present:
            msg = f"no membrane with condition {name!r}; the conditions are {sorted(present)}"
            raise InputError(msg)
    level_table = pd.DataFrame.from_records(levels)
    records = []
    for target, group in level_table.groupby("target", sort=False):
        num = group.loc[group["condition"] == numerator, "level"].to_numpy(dtype=float)
        den = group.loc[group["condition"] == denominator, "level"].to_numpy(dtype=float)
        mean_num = float(num.mean()) if len(num) else math.nan
        mean_den = float(den.mean()) if len(den) else math.nan
        lfc = math.log2(max(mean_num, detection) / max(mean_den, detection))
        _, se, p = _welch(np.log2(np.maximum(num, detection)), np.log2(np.maximum(den, detection)))
        detected = bool(max(mean_num, mean_den) >= detection)
        records.append(
            {
                "target": target,
                "level_numerator": mean_num,
                "level_denominator": mean_den,
                "log2_fold_change": lfc,
                "se": se,
                "p_value": p,
                "n": len(num) + len(den),
                "detected": detected,
                "hit": detected and abs(lfc) >= 1,
                "files": _files(group["files"]),
            }
        )
    return RtkArrayFoldChanges(
        table=pd.DataFrame.from_records(records),
        numerator=numerator,
        denominator=denominator,
        detection=detection,
    )
