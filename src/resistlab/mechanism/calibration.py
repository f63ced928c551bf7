"""Calibrate the mechanism score's confidence on simulated studies with known truth.

The log-odds score of `resistlab.mechanism.scoring` is a sum of marker contributions; its
raw logistic is not a probability. Here studies are simulated from the knowledge base
itself: for a mechanism that is present, each measured supporting marker moves in its
direction (log2 effect ~ N(1.5, 0.5), or stays within the persistence bound for
``persist`` markers) and contradicting markers stay flat; for an absent mechanism markers
are flat (log2 effect ~ N(0, 0.3)), except that with probability 0.3 a contradicting
marker shows. Each study measures a random subset (1 to all) of the mechanism's markers
with a standard error of 0.15-0.5. Platt scaling (a logistic regression of truth on the
score) then maps scores to probabilities::

    confidence = 1 / (1 + exp(-(slope * score + intercept)))

The fitted constants live in ``data/calibration.yaml`` with the seed and sizes that
produced them; `fit_calibration` reproduces them and the tests check both the constants
and the reliability of the calibrated confidence on fresh simulations. The calibration is
only as good as this generative model: it says how often a score of this size came from a
present mechanism when labs measure markers as simulated, not how often in real studies.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
import yaml
from scipy import optimize

from resistlab.mechanism.knowledge import Knowledge, load_knowledge

__all__ = ["Calibration", "fit_calibration", "fit_platt", "load_calibration", "simulate_scores"]

EVIDENCE_COLUMNS = ("assay", "target", "comparison", "log2_fold_change", "p_value", "se", "n")


@dataclass(frozen=True)
class Calibration:
    """Platt-scaling constants: ``confidence = logistic(slope * score + intercept)``."""

    slope: float
    intercept: float
    seed: int
    studies: int

    def confidence(self, score: float | np.ndarray) -> np.ndarray:
        """Calibrated probability that the mechanism is present, given its score."""
        z = self.slope * np.asarray(score, dtype=float) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


@functools.cache
def load_calibration() -> Calibration:
    """Load the shipped calibration (``data/calibration.yaml``)."""
    text = resources.files("resistlab.mechanism").joinpath("data/calibration.yaml").read_text()
    data = yaml.safe_load(text)
    return Calibration(
        slope=float(data["slope"]),
        intercept=float(data["intercept"]),
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
    studies: int = 4000, *, seed: int = 20261122, knowledge: Knowledge | None = None
) -> Calibration:
    """Fit Platt scaling on simulated studies (maximum likelihood, logistic)."""
    sims = simulate_scores(studies, seed=seed, knowledge=knowledge)
    slope, intercept = fit_platt(sims["score"].to_numpy(), sims["present"].to_numpy())
    return Calibration(slope, intercept, seed, studies)


def fit_platt(scores: np.ndarray, present: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood logistic fit of truth on score: ``(slope, intercept)``."""
    x = np.asarray(scores, dtype=float)
    y = np.asarray(present, dtype=float)

    def loss(params: np.ndarray) -> float:
        z = params[0] * x + params[1]
        return float(np.sum(np.logaddexp(0.0, z) - y * z))

    fit = optimize.minimize(loss, np.array([1.0, 0.0]), method="BFGS")
    return float(fit.x[0]), float(fit.x[1])
