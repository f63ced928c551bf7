"""Calibrate the mechanism score's confidence on simulated studies with known truth.

The log-odds score of `resistlab.mechanism.scoring` is a sum of marker contributions; its
raw logistic is not a probability. Here studies are simulated from the knowledge base
itself: for a mechanism that is present, each measured supporting marker moves in its
direction (log2 effect ~ N(1.5, 0.5), or stays within the persistence bound for
``persist`` markers) and contradicting markers stay flat; for an absent mechanism markers
are flat (log2 effect ~ N(0, 0.3)), except that with probability 0.3 a contradicting
marker shows. Each study measures a random subset (1 to all) of the mechanism's markers
with a standard error of 0.15-0.5. Isotonic regression of truth on score then maps scores
to probabilities: the simulated studies, sorted by score, are pooled into bins of about
100, each bin's frequency of present mechanisms is made non-decreasing in score
(pool-adjacent-violators, weighted by bin size), and the confidence of a score is the
linear interpolation between the bins' (mean score, frequency) knots, flat beyond the
outermost ones and kept within [0.01, 0.99]: a few thousand simulated studies cannot
vouch for more certainty than that. A two-parameter logistic (Platt scaling) was tried
first and left errors of up to 0.09 in the middle of the range (e.g. 0.38 predicted,
0.46 observed), three binomial standard errors; the monotone map has no such shape
constraint.

The knots live in ``data/calibration.yaml`` with the seed and size that produced them;
``python -m resistlab.mechanism.calibration`` refits and rewrites them, and the tests
check the reliability of the calibrated confidence on fresh simulations (`reliability`).
The calibration is only as good as this generative model: it says how often a score of
this size came from a present mechanism when labs measure markers as simulated, not how
often in real studies.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import optimize

from resistlab.mechanism.knowledge import Knowledge, load_knowledge

__all__ = [
    "Calibration",
    "fit_calibration",
    "fit_isotonic",
    "load_calibration",
    "reliability",
    "simulate_scores",
]

EVIDENCE_COLUMNS = ("assay", "target", "comparison", "log2_fold_change", "p_value", "se", "n")


FLOOR = 0.01  # confidences are kept within [FLOOR, 1 - FLOOR]
PER_BIN = 100  # simulated studies pooled per knot


@dataclass(frozen=True)
class Calibration:
    """A monotone map from score to confidence: knots interpolated linearly.

    ``scores`` increase strictly; ``confidences`` never decrease; beyond the outermost
    knots the confidence stays at the end values.
    """

    scores: tuple[float, ...]
    confidences: tuple[float, ...]
    seed: int
    studies: int

    def confidence(self, score: float | np.ndarray) -> np.ndarray:
        """Calibrated probability that the mechanism is present, given its score."""
        return np.asarray(np.interp(np.asarray(score, dtype=float), self.scores, self.confidences))


@functools.cache
def load_calibration() -> Calibration:
    """Load the shipped calibration (``data/calibration.yaml``)."""
    text = resources.files("resistlab.mechanism").joinpath("data/calibration.yaml").read_text()
    data = yaml.safe_load(text)
    return Calibration(
        scores=tuple(float(x) for x in data["scores"]),
        confidences=tuple(float(y) for y in data["confidences"]),
        seed=int(data["seed"]),
        studies=int(data["studies"]),
    )


def _study(
    mechanism_id: str, present: bool, rng: np.random.Generator, kb: Knowledge
) -> pd.DataFrame:
    mech = kb.mechanism(mechanism_id)
    markers = list(mech.markers)
    k = int(rng.integers(1, len(markers) + 1))
    chosen = rng.choice(len(markers), size=k, replace=False)
    rows = []
    for i in chosen:
        marker = markers[int(i)]
        se = float(rng.uniform(0.15, 0.5))
        shows = (present and marker.role == "supports") or (
            not present and marker.role == "contradicts" and rng.random() < 0.3
        )
        if shows and marker.direction != "persist":
            sign = 1.0 if marker.direction == "up" else -1.0
            effect = sign * rng.normal(1.5, 0.5)
        elif shows:  # persist: stays within the bound
            effect = rng.normal(0.0, 0.15)
        elif marker.direction == "persist" and not present:
            effect = -abs(rng.normal(1.5, 0.5))  # the site falls under drug: no bypass
        else:
            effect = rng.normal(0.0, 0.3)
        effect += rng.normal(0.0, se)  # measurement noise
        rows.append((marker.assays[0], marker.entity, marker.comparison, effect, np.nan, se, 3))
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))


def simulate_scores(
    studies: int, *, seed: int = 0, knowledge: Knowledge | None = None
) -> pd.DataFrame:
    """Scores of simulated studies: ``mechanism``, ``present``, ``score``."""
    from resistlab.mechanism.scoring import score_mechanisms

    kb = knowledge or load_knowledge()
    rng = np.random.default_rng(seed)
    ids = [m.id for m in kb.mechanisms if m.counts_as_fak_inhibitor_resistance]
    records = []
    for _ in range(studies):
        mechanism = ids[int(rng.integers(len(ids)))]
        present = bool(rng.random() < 0.5)
        evidence = _study(mechanism, present, rng, kb)
        table = score_mechanisms(evidence, knowledge=kb, calibrated=False).table
        scores = dict(zip(table["mechanism"], table["score"].to_numpy(dtype=float), strict=True))
        score = scores[mechanism]
        records.append({"mechanism": mechanism, "present": present, "score": score})
    return pd.DataFrame(records)


def fit_calibration(
    studies: int = 8000, *, seed: int = 20261122, knowledge: Knowledge | None = None
) -> Calibration:
    """Fit the isotonic calibration on `studies` simulated studies."""
    sims = simulate_scores(studies, seed=seed, knowledge=knowledge)
    knots, values = fit_isotonic(sims["score"].to_numpy(), sims["present"].to_numpy())
    return Calibration(tuple(knots), tuple(values), seed, studies)


def fit_isotonic(
    scores: np.ndarray, present: np.ndarray, *, per_bin: int = PER_BIN
) -> tuple[list[float], list[float]]:
    """Knots of the monotone map: (mean score, pooled frequency) per bin, module docs."""
    x = np.asarray(scores, dtype=float)
    y = np.asarray(present, dtype=float)
    order = np.argsort(x, kind="stable")
    parts = np.array_split(order, max(1, len(x) // per_bin))
    means = np.array([x[p].mean() for p in parts])
    freqs = np.array([y[p].mean() for p in parts])
    sizes = np.array([len(p) for p in parts], dtype=float)
    # bins of tied scores (many studies score exactly 0) share one knot
    knots, inverse = np.unique(np.round(means, 12), return_inverse=True)
    weight = np.bincount(inverse, weights=sizes)
    freq = np.bincount(inverse, weights=freqs * sizes) / weight
    fitted = optimize.isotonic_regression(freq, weights=weight, increasing=True).x
    values = np.clip(fitted, FLOOR, 1.0 - FLOOR)
    return [float(k) for k in knots], [float(v) for v in values]


def reliability(
    scores: np.ndarray,
    present: np.ndarray,
    *,
    calibration: Calibration | None = None,
    edges: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0),
) -> pd.DataFrame:
    """Predicted against observed frequency per confidence bin, with the binomial SE.

    Columns ``low``, ``high``, ``n``, ``predicted`` (mean confidence), ``observed``
    (fraction present), ``se`` (binomial standard error of ``predicted`` for ``n``),
    ``z`` ((observed - predicted) / se).
    """
    cal = calibration or load_calibration()
    p = cal.confidence(np.asarray(scores, dtype=float))
    y = np.asarray(present, dtype=float)
    rows = []
    for low, high in itertools.pairwise(edges):
        inside = (p >= low) & ((p < high) if high < 1.0 else (p <= high))
        n = int(inside.sum())
        if n == 0:
            continue
        predicted = float(p[inside].mean())
        se = float(np.sqrt(max(predicted * (1 - predicted), 1e-12) / n))
        observed = float(y[inside].mean())
        rows.append(
            {
                "low": low,
                "high": high,
                "n": n,
                "predicted": predicted,
                "observed": observed,
                "se": se,
                "z": (observed - predicted) / se,
            }
        )
    return pd.DataFrame(rows)


def _write(calibration: Calibration, path: Path) -> None:
    lines = [
        "# Isotonic calibration of the mechanism score (resistlab.mechanism.calibration):",
        "# confidence = linear interpolation of (scores -> confidences), flat beyond the ends.",
        "# Regenerate: .venv/bin/python -m resistlab.mechanism.calibration",
        f"seed: {calibration.seed}",
        f"studies: {calibration.studies}",
        f"scores: [{', '.join(f'{v:.6g}' for v in calibration.scores)}]",
        f"confidences: [{', '.join(f'{v:.6g}' for v in calibration.confidences)}]",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":  # refit the shipped knots (several minutes)
    _write(fit_calibration(), Path(__file__).parent / "data" / "calibration.yaml")
