"""The simulator's population model: cell types, Hill pharmacodynamics, stochastic stepping.

See `resistlab.campaign.simulate` for the equations and the sources of the defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from resistlab.campaign import _sim_kernel
from resistlab.dose_response import CurveFits

__all__ = [
    "CellType",
    "PopulationModel",
    "PopulationPaths",
    "ResistanceLevel",
    "TolerantState",
    "population_model",
    "simulate_population",
    "split_culture",
]

Kind = Literal["sensitive", "tolerant", "resistant"]

#: Longest tau-leap step (days) and the largest change of the crowding factor per step.
DT_MAX_DAYS = 0.5
CROWDING_STEP = 0.05


@dataclass(frozen=True)
class CellType:
    """One cell type (state) of the population model.

    Drug effect ``E(C) = emax C^h / (C^h + ic50^h)`` (per day) lowers the net
    rate ``birth_rate - death_rate``: a share `cytostatic_fraction` of it comes
    off the birth rate (never below 0), the rest is added to the death rate.

    Attributes
    ----------
    name : str
        ``"S"``, ``"T"``, ``"R1"``, ...
    kind : {"sensitive", "tolerant", "resistant"}
    birth_rate, death_rate : float
        Drug-free per-cell rates per day.
    ic50 : float
        Molar dose of half-maximal drug effect on the rate (not the 72-h
        viability IC50; see `population_model`).
    hill_slope : float
    emax : float
        Maximal drug effect on the net rate, per day.
    cytostatic_fraction : float
        Share of the drug effect that slows division (0 = purely cytotoxic).
    mutation_rate : float
        Probability per division that one daughter is of type `mutates_to`.
    mutates_to : str, optional
        Name of the type mutants join.
    initial_fraction : float
        Share of the starting population.
    """

    name: str
    kind: Kind
    birth_rate: float
    death_rate: float
    ic50: float
    hill_slope: float = 1.0
    emax: float = 1.0
    cytostatic_fraction: float = 0.5
    mutation_rate: float = 0.0
    mutates_to: str | None = None
    initial_fraction: float = 0.0


@dataclass(frozen=True)
class TolerantState:
    """A reversible drug-tolerant (persister-like) state T, entered from and left to S.

    Attributes
    ----------
    fold_ic50 : float
        IC50 shift relative to sensitive cells (Sharma et al. 2010: >100-fold).
    relative_growth : float
        Drug-free net growth rate as a fraction of the sensitive rate.
    switch_on, switch_off : float
        Rates per day S -> T and T -> S; the drug-free equilibrium share of T
        is ``switch_on / (switch_on + switch_off)``.
    """

    fold_ic50: float = 200.0
    relative_growth: float = 0.8
    switch_on: float = 3e-4
    switch_off: float = 0.1


@dataclass(frozen=True)
class ResistanceLevel:
    """A heritable resistance level R_k.

    Attributes
    ----------
    fold_ic50 : float
        IC50 shift relative to the parental (sensitive) cells.
    fitness_cost : float
        Fractional reduction of the drug-free net growth rate.
    mutation_rate : float
        Probability per division that a daughter of the level below (S and T
        for the first level) is of this level (Bozic et al. 2013: ~50 target
        sites x 1e-9 per base per division = 5e-8).
    initial_fraction : float
        Share of the starting population (pre-existing resistant cells).
    """

    fold_ic50: float
    fitness_cost: float = 0.0
    mutation_rate: float = 5e-8
    initial_fraction: float = 0.0


DEFAULT_TOLERANT = TolerantState()

DEFAULT_RESISTANCE = (
    ResistanceLevel(fold_ic50=3.0, fitness_cost=0.05, mutation_rate=5e-8, initial_fraction=1e-3),
    ResistanceLevel(fold_ic50=10.0, fitness_cost=0.05, mutation_rate=5e-8, initial_fraction=1e-6),
)


@dataclass(frozen=True)
class PopulationModel:
    """A multi-type stochastic birth-death model with Hill pharmacodynamics.

    Attributes
    ----------
    types : tuple of CellType
        The first is the parental (sensitive) type.
    switching : tuple of (str, str, float)
        ``(from, to, rate per day)`` phenotype switches.
    parental_ic50 : float
        Molar IC50 of the parental line in the lab's viability assay (what its
        dose-response fit reports); folds of resistance are relative to it.
    parental_hill_slope : float
        Hill slope of that fit (the planner derives IC10/IC20 from it).
    assay_hours : float
        Duration of the viability assay the IC50s refer to.
    """

    types: tuple[CellType, ...]
    switching: tuple[tuple[str, str, float], ...] = ()
    parental_ic50: float = 1e-6
    parental_hill_slope: float = 1.0
    assay_hours: float = 72.0

    def __post_init__(self) -> None:
        if not self.types:
            msg = "types must hold at least one CellType"
            raise ValueError(msg)
        names = [t.name for t in self.types]
        if len(set(names)) != len(names):
            msg = f"cell type names must be unique, got {names}"
            raise ValueError(msg)
        for t in self.types:
            if t.mutates_to is not None and t.mutates_to not in names:
                msg = f"type {t.name!r} mutates to unknown type {t.mutates_to!r}"
                raise ValueError(msg)
            if t.birth_rate < 0 or t.death_rate < 0 or t.emax < 0:
                msg = f"type {t.name!r}: rates and emax must be non-negative"
                raise ValueError(msg)
        for source, target, rate in self.switching:
            if source not in names or target not in names or source == target:
                msg = f"switch {source!r} -> {target!r} must join two different known types"
                raise ValueError(msg)
            if rate < 0:
                msg = f"switch {source!r} -> {target!r} has a negative rate ({rate})"
                raise ValueError(msg)

    @property
    def type_names(self) -> tuple[str, ...]:
        """Names of the types, in order."""
        return tuple(t.name for t in self.types)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Kind of each type: sensitive, tolerant or resistant."""
        return tuple(t.kind for t in self.types)

    @cached_property
    def _arrays(self) -> dict[str, np.ndarray]:
        names = self.type_names
        k = len(names)
        switch = np.zeros((k, k))
        for source, target, rate in self.switching:
            switch[names.index(source), names.index(target)] += rate
        target_index = np.array(
            [names.index(t.mutates_to) if t.mutates_to else -1 for t in self.types], dtype=np.int64
        )
        fractions = np.array([t.initial_fraction for t in self.types], dtype=float)
        return {
            "b0": np.array([t.birth_rate for t in self.types], dtype=float),
            "d0": np.array([t.death_rate for t in self.types], dtype=float),
            "ic50": np.array([t.ic50 for t in self.types], dtype=float),
            "hill": np.array([t.hill_slope for t in self.types], dtype=float),
            "emax": np.array([t.emax for t in self.types], dtype=float),
            "phi": np.array([t.cytostatic_fraction for t in self.types], dtype=float),
            "switch": switch,
            "mutation_target": target_index,
            "mutation_rate": np.array([t.mutation_rate for t in self.types], dtype=float),
            "fractions": fractions,
        }

    @property
    def initial_fractions(self) -> np.ndarray:
        """Starting share of each type; the parental type takes what the others leave."""
        f = self._arrays["fractions"].copy()
        f[0] = max(0.0, 1.0 - float(f[1:].sum()))
        return f / f.sum()

    @property
    def baseline_rate(self) -> float:
        """Drug-free net growth rate of the parental type, per day."""
        return float(self.types[0].birth_rate - self.types[0].death_rate)

    def drug_effect(self, doses: ArrayLike) -> np.ndarray:
        """``E_k(C)`` per day, shape ``doses.shape + (K,)``.

        Examples
        --------
        >>> m = population_model(ic50=1e-6)
        >>> bool(np.all(m.drug_effect(0.0) == 0))
        True
        """
        a = self._arrays
        c = np.asarray(doses, dtype=float)[..., None]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = np.where(c > 0, (c / a["ic50"]) ** a["hill"], 0.0)
            h = np.where(np.isinf(ratio), 1.0, ratio / (1.0 + ratio))
        return a["emax"] * h

    def rates(self, doses: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Per-cell birth and death rates per day at `doses`, each ``doses.shape + (K,)``."""
        a = self._arrays
        effect = self.drug_effect(doses)
        birth = np.maximum(a["b0"] - a["phi"] * effect, 0.0)
        death = a["d0"] + effect - (a["b0"] - birth)
        return birth, death

    def net_rates(self, doses: ArrayLike) -> np.ndarray:
        """Net growth rate per day of each type at `doses`, ``b0 - d0 - E(C)``.

        Examples
        --------
        >>> m = population_model(ic50=1e-6, doubling_time_hours=24.0)
        >>> round(float(m.net_rates(0.0)[0]), 4)
        0.6931
        """
        birth, death = self.rates(doses)
        return birth - death

    def generator(self, doses: ArrayLike) -> np.ndarray:
        """Matrices ``A`` of the mean dynamics ``dn/dt = A n`` (no crowding).

        Shape ``doses.shape + (K, K)``.

        Columns are the source type: growth on the diagonal, switching and
        mutant daughters flowing from column ``i`` to row ``j``.
        """
        a = self._arrays
        birth, death = self.rates(doses)
        k = len(self.types)
        gen = np.zeros((*birth.shape[:-1], k, k))
        idx = np.arange(k)
        gen[..., idx, idx] = birth - death
        switch = a["switch"]
        gen += switch.T
        gen[..., idx, idx] -= switch.sum(axis=1)
        for i in range(k):
            target = int(a["mutation_target"][i])
            if target >= 0:
                flow = a["mutation_rate"][i] * birth[..., i]
                gen[..., target, i] += flow
                gen[..., i, i] -= flow
        return gen

    def viability(
        self, composition: ArrayLike, doses: ArrayLike, *, hours: float | None = None
    ) -> np.ndarray:
        """Return the expected assay signal at `doses`, percent of the untreated control.

        Live cells after `hours` (default `assay_hours`) from the mean dynamics
        of a population with the given `composition` (counts or shares per type).

        Examples
        --------
        >>> m = population_model(ic50=1e-6)
        >>> round(float(m.viability(m.initial_fractions, [1e-6])[0]), 1)
        50.1
        """
        n0 = np.asarray(composition, dtype=float)
        t = (self.assay_hours if hours is None else hours) / 24.0
        x = np.atleast_1d(np.asarray(doses, dtype=float))
        levels = np.concatenate([[0.0], x.ravel()])
        grown = _expm_batch(self.generator(levels) * t) @ n0
        cells = grown.sum(axis=1)
        return (100.0 * cells[1:] / cells[0]).reshape(x.shape)

    def effective_ic50(self, composition: ArrayLike) -> float:
        """Dose where the expected assay signal of `composition` is 50 % (inf if never).

        Examples
        --------
        >>> m = population_model(ic50=1e-6, tolerant=None, resistance=())
        >>> round(m.effective_ic50([1.0]) * 1e6, 6)
        1.0
        """
        # coarse grid (8 per decade, 1e-4x to 1e6x the parental IC50), then a fine one
        # inside the bracket, then linear interpolation on log dose
        grid = self.parental_ic50 * np.logspace(-4.0, 6.0, 81)
        signal = self.viability(composition, grid)
        if signal[-1] > 50.0:
            return math.inf
        if signal[0] <= 50.0:
            return float(grid[0])
        i = int(np.argmax(signal <= 50.0))
        fine = np.exp(np.linspace(math.log(grid[i - 1]), math.log(grid[i]), 33))
        signal = self.viability(composition, fine)
        j = int(np.argmax(signal <= 50.0))
        lo, hi = math.log(fine[j - 1]), math.log(fine[j])
        s_lo, s_hi = float(signal[j - 1]), float(signal[j])
        return float(math.exp(lo + (hi - lo) * (s_lo - 50.0) / (s_lo - s_hi)))

    def kernel_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Switch matrix, mutation targets and mutation rates for the compiled kernel."""
        a = self._arrays
        return a["switch"], a["mutation_target"], a["mutation_rate"]


def _expm_batch(matrices: np.ndarray) -> np.ndarray:
    """Matrix exponentials of a stack of small matrices (Taylor series with scaling and squaring).

    Examples
    --------
    >>> a = np.array([[[0.0, 1.0], [0.0, 0.0]], [[np.log(2.0), 0.0], [0.0, 0.0]]])
    >>> np.round(_expm_batch(a), 12).tolist()
    [[[1.0, 1.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 1.0]]]
    """
    m = np.asarray(matrices, dtype=float)
    k = m.shape[-1]
    norm = float(np.abs(m).sum(axis=-2).max()) if m.size else 0.0
    squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    a = m / 2.0**squarings
    eye = np.broadcast_to(np.eye(k), m.shape)
    result = eye.copy()
    term = eye.copy()
    for n in range(1, 14):
        term = term @ a / n
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return result


def population_model(
    fits: CurveFits | None = None,
    *,
    index: int = 0,
    ic50: float | None = None,
    hill_slope: float | None = None,
    bottom: float | None = None,
    doubling_time_hours: float = 25.0,
    death_rate: float = 0.05,
    assay_hours: float = 72.0,
    cytostatic_fraction: float = 0.5,
    tolerant: TolerantState | None = DEFAULT_TOLERANT,
    resistance: tuple[ResistanceLevel, ...] = DEFAULT_RESISTANCE,
) -> PopulationModel:
    """Build the S / T / R_k model calibrated to a parental dose-response fit.

    The viability assay measures live cells after `assay_hours` relative to
    the untreated control, ``V(C) = exp(-E(C) t)`` for a pure population, so
    the rate curve is set to reproduce the fit: ``emax = -ln(bottom) / t``
    (the fraction left at saturating dose) and the rate IC50 where
    ``E = ln 2 / t`` falls at the assay IC50:
    ``ic50_rate = IC50 ((1 - H) / H)^(1 / h)`` with ``H = ln 2 / (emax t)``.

    Parameters
    ----------
    fits : CurveFits, optional
        Parental fit (molar doses); `index` picks the curve. Its absolute
        IC50, Hill slope and bottom are used unless given below.
    ic50 : float, optional
        Parental assay IC50, molar (required without `fits`).
    hill_slope : float, optional
        Default 1.
    bottom : float, optional
        Percent of control left at saturating dose, clipped to [1, 45]; default 5.
    doubling_time_hours : float
        Drug-free doubling time of the parental line (net rate ``ln 2 / Td``).
    death_rate : float
        Drug-free death rate per day (birth = net + death).
    assay_hours : float
        Length of the viability assay (72-96 h in practice).
    cytostatic_fraction : float
        Share of the drug effect that slows division rather than kills.
    tolerant : TolerantState or None
        The reversible tolerant state; None for a model without it.
    resistance : tuple of ResistanceLevel
        Heritable levels R1, R2, ... (each acquired from the one below).

    Returns
    -------
    PopulationModel

    Raises
    ------
    ValueError
        If neither `fits` nor `ic50` is given, or a value is out of range.
    resistlab.errors.AnalysisError
        If the fit's IC50 is censored.

    Examples
    --------
    >>> m = population_model(ic50=1e-6)
    >>> m.type_names
    ('S', 'T', 'R1', 'R2')
    >>> round(m.types[0].ic50 / 1e-6, 2)  # rate IC50 above the 72-h assay IC50
    3.32
    """
    if fits is not None:
        from resistlab.errors import AnalysisError

        one = fits.take(index)
        ed = one.effective_dose(50.0)
        if ed.censor[0]:
            msg = (
                f"parental IC50 is censored ({ed.censor[0]} {ed.estimate[0]:.3g}): the fit "
                "cannot calibrate the simulator"
            )
            raise AnalysisError(msg)
        if ic50 is None:
            ic50 = float(ed.estimate[0])
        if hill_slope is None:
            hill_slope = float(one.hill_slope[0])
        if bottom is None:
            bottom = 100.0 * float(one.bottom[0]) / float(one.control_response[0])
    if ic50 is None:
        msg = "population_model needs a parental fit or an ic50"
        raise ValueError(msg)
    hill = 1.0 if hill_slope is None else float(hill_slope)
    floor = 5.0 if bottom is None else float(bottom)
    if not ic50 > 0 or not hill > 0:
        msg = f"ic50 and hill_slope must be positive, got {ic50} and {hill}"
        raise ValueError(msg)
    if not doubling_time_hours > 0 or death_rate < 0 or not assay_hours > 0:
        msg = "doubling_time_hours and assay_hours must be positive and death_rate >= 0"
        raise ValueError(msg)
    floor = min(max(floor, 1.0), 45.0)
    t = assay_hours / 24.0
    emax = -math.log(floor / 100.0) / t
    h_at_ic50 = math.log(2.0) / (emax * t)
    rate_ic50 = ic50 * ((1.0 - h_at_ic50) / h_at_ic50) ** (1.0 / hill)
    growth = math.log(2.0) / (doubling_time_hours / 24.0)

    def make(name: str, kind: Kind, fold: float, relative_growth: float, **kw: object) -> CellType:
        return CellType(
            name=name,
            kind=kind,
            birth_rate=death_rate + growth * relative_growth,
            death_rate=death_rate,
            ic50=rate_ic50 * fold,
            hill_slope=hill,
            emax=emax,
            cytostatic_fraction=cytostatic_fraction,
            **kw,  # type: ignore[arg-type]
        )

    first = "R1" if resistance else None
    u1 = resistance[0].mutation_rate if resistance else 0.0
    types = [make("S", "sensitive", 1.0, 1.0, mutation_rate=u1, mutates_to=first)]
    switching: tuple[tuple[str, str, float], ...] = ()
    if tolerant is not None:
        on, off = tolerant.switch_on, tolerant.switch_off
        share = on / (on + off) if on + off > 0 else 0.0
        types.append(
            make(
                "T",
                "tolerant",
                tolerant.fold_ic50,
                tolerant.relative_growth,
                mutation_rate=u1,
                mutates_to=first,
                initial_fraction=share,
            )
        )
        switching = (("S", "T", on), ("T", "S", off))
    for k, level in enumerate(resistance, start=1):
        nxt = resistance[k] if k < len(resistance) else None
        types.append(
            make(
                f"R{k}",
                "resistant",
                level.fold_ic50,
                1.0 - level.fitness_cost,
                mutation_rate=nxt.mutation_rate if nxt else 0.0,
                mutates_to=f"R{k + 1}" if nxt else None,
                initial_fraction=level.initial_fraction,
            )
        )
    return PopulationModel(
        types=tuple(types),
        switching=switching,
        parental_ic50=float(ic50),
        parental_hill_slope=hill,
        assay_hours=float(assay_hours),
    )


def split_culture(counts: ArrayLike, split_ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Cells put back at a passage: each cell is kept with probability ``1 / split_ratio``.

    Parameters
    ----------
    counts : array_like of int, shape (..., K)
        Cells of each type.
    split_ratio : float
        1:4 is 4.0 (>= 1).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int
        Binomial samples, same shape as `counts`.

    Examples
    --------
    >>> split_culture([4000, 0], 1.0, np.random.default_rng(0)).tolist()
    [4000, 0]
    """
    if not split_ratio >= 1:
        msg = f"split_ratio must be >= 1, got {split_ratio}"
        raise ValueError(msg)
    n = np.asarray(counts, dtype=np.int64)
    if split_ratio == 1:
        return n.copy()
    return rng.binomial(n, 1.0 / split_ratio).astype(np.int64)


@dataclass(frozen=True, eq=False)
class PopulationPaths:
    """Simulated cell numbers over time at a constant dose.

    Attributes
    ----------
    times : ndarray of shape (D,)
        Days.
    counts : ndarray of int, shape (R, D, K)
        Cells of each type in each run at each time.
    type_names : tuple of str
    """

    times: np.ndarray
    counts: np.ndarray
    type_names: tuple[str, ...]

    @property
    def total(self) -> np.ndarray:
        """Total cells, shape (R, D)."""
        return self.counts.sum(axis=2)

    def to_frame(self) -> pd.DataFrame:
        """One row per run and time, one column per type."""
        runs, days, _ = self.counts.shape
        frame = pd.DataFrame(
            {
                "run": np.repeat(np.arange(runs), days),
                "day": np.tile(self.times, runs),
            }
        )
        for k, name in enumerate(self.type_names):
            frame[name] = self.counts[:, :, k].ravel()
        return frame


def simulate_population(
    model: PopulationModel,
    initial: ArrayLike,
    *,
    times: ArrayLike,
    dose: float = 0.0,
    runs: int = 1,
    capacity: float = math.inf,
    crowding_exponent: float = 4.0,
    seed: int | np.random.Generator | None = None,
) -> PopulationPaths:
    """Simulate a culture at a constant dose without passaging.

    Parameters
    ----------
    model : PopulationModel
    initial : array_like of int, shape (K,) or (R, K)
        Starting cells of each type.
    times : array_like of shape (D,)
        Increasing days (from 0) at which to record the counts.
    dose : float
        Molar drug concentration.
    runs : int
        Independent runs (when `initial` is 1-D).
    capacity, crowding_exponent : float
        Cells at confluence and the exponent of the crowding factor
        ``1 - (N / capacity) ** exponent`` on the birth rate (inf: none).
    seed : int or Generator, optional

    Returns
    -------
    PopulationPaths

    Examples
    --------
    >>> m = population_model(ic50=1e-6, tolerant=None, resistance=())
    >>> paths = simulate_population(m, [1000], times=[0, 1, 2], runs=3, seed=1)
    >>> paths.counts.shape
    (3, 3, 1)
    """
    rng = np.random.default_rng(seed)
    k = len(model.types)
    start = np.asarray(initial, dtype=np.int64)
    if start.ndim == 1:
        start = np.tile(start, (runs, 1))
    if start.ndim != 2 or start.shape[1] != k:
        msg = f"initial must have shape ({k},) or (runs, {k}), got {np.shape(initial)}"
        raise ValueError(msg)
    if np.any(start < 0):
        msg = "initial counts must be non-negative"
        raise ValueError(msg)
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0 or t[0] < 0 or np.any(np.diff(t) < 0):
        msg = "times must be a non-empty increasing 1-D sequence of days >= 0"
        raise ValueError(msg)
    counts = np.ascontiguousarray(start.copy())
    n_runs = counts.shape[0]
    birth, death = model.rates(np.full(n_runs, float(dose)))
    switch, target, rate = model.kernel_arrays()
    dead = np.zeros(n_runs)
    active = np.ones(n_runs, dtype=np.bool_)
    out = np.empty((n_runs, t.size, k), dtype=np.int64)
    now = 0.0
    for i, ti in enumerate(t):
        if ti > now:
            _sim_kernel.advance(
                counts,
                dead,
                np.ascontiguousarray(birth),
                np.ascontiguousarray(death),
                switch,
                target,
                rate,
                float(capacity),
                float(crowding_exponent),
                active,
                float(ti - now),
                DT_MAX_DAYS,
                CROWDING_STEP,
                rng,
            )
            now = float(ti)
        out[:, i, :] = counts
    return PopulationPaths(times=t, counts=out, type_names=model.type_names)
