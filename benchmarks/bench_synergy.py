"""Synergy scoring speed: HSA, Bliss, Loewe and ZIP (fits included) against peers, in one run.

    make bench            # or: .venv/bin/python benchmarks/bench_synergy.py [--matrices 2000]
    .venv/bin/python benchmarks/bench_synergy.py --quick   # a smoke run, goals not judged

ResistLab scores every block of a batch at once: the single-agent curves of
all blocks in one ``fit_curves`` call, Loewe solved for all wells together,
ZIP's row and column refits as one more batch of LL.4 fits with per-curve
fixed levels. Timed after a warm-up (numba compiles, or loads its cache).

Peers timed in the same process on a subsample of the same matrices:

* the ``synergy`` package (djwooten) Bliss, HSA, Loewe and ZIP, when
  ``import synergy`` works (it is not a ResistLab dependency);
* a straightforward per-matrix ZIP with ``scipy.optimize.curve_fit``: the two
  single-agent LL.4 fits, then one fit per row and per column with the
  zero-dose level fixed, in Python loops, as SynergyFinder (drc, per curve)
  and the synergy package do.

Then the bootstrap goal: ``bootstrap_synergy`` with 1,000 replicates of 100
matrices of 3 replicates, each model timed end to end (the data scored, the
replicates resampled, all 100,000 resamples scored in one batch call, the
intervals and p-values). The peers have no batch bootstrap: their time is
their per-matrix speed above times the 100,000 resamples.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from resistlab.dose_response import log_logistic
from resistlab.synergy.data import DoseMatrices
from resistlab.synergy.models import bliss, hsa, loewe, zip_score
from resistlab.synergy.summary import bootstrap_synergy

DOSES = np.r_[0.0, 1e-9 * 3.0 ** np.arange(7)]  # 8 x 8: control + 7 doses, 1:3 from 1 nM
GOAL = 5_000.0  # matrices per second, all four models with fits, 2 cores
BOOT_GOAL = 30.0  # seconds: 1,000 bootstrap replicates of 100 matrices, all four models, 2 cores
MODELS = (("hsa", hsa), ("bliss", bliss), ("loewe", loewe), ("zip", zip_score))


def synthetic(n: int, replicates: int = 1, seed: int = 2015) -> DoseMatrices:
    """Realistic 8 x 8 blocks: two LL.4 agents, Bliss plus a synergy bump, 3 % noise."""
    rng = np.random.default_rng(seed)
    lo, hi = np.log10(DOSES[1]), np.log10(DOSES[-1])

    def agent() -> np.ndarray:
        hill = rng.lognormal(np.log(1.2), 0.35, n)
        top = rng.uniform(55.0, 100.0, n)
        ec50 = 10 ** rng.uniform(lo - 0.3, hi + 0.3, n)
        return log_logistic(
            DOSES[None, :],
            hill_slope=-hill[:, None],
            bottom=0.0,
            top=top[:, None],
            ec50=ec50[:, None],
        )

    y1, y2 = agent()[:, :, None], agent()[:, None, :]
    surface = y1 + y2 - y1 * y2 / 100.0
    # synergy (or antagonism) strongest in the middle of the matrix
    amplitude = rng.normal(0.0, 10.0, n)[:, None, None]
    bump = np.outer(np.sin(np.linspace(0, np.pi, 8)), np.sin(np.linspace(0, np.pi, 8)))
    surface = surface + amplitude * bump[None] * (100.0 - surface) / 100.0
    response = surface[:, None] + rng.normal(0.0, 3.0, (n, replicates, 8, 8))
    conc = np.tile(DOSES, (n, 1))
    ids = tuple(f"m{i}" for i in range(n))
    return DoseMatrices(ids, ("A",) * n, ("B",) * n, conc, conc.copy(), response)


def score_all(m: DoseMatrices) -> dict[str, float]:
    """Seconds per model for the whole batch."""
    out = {}
    for name, model in (("hsa", hsa), ("bliss", bliss), ("loewe", loewe), ("zip", zip_score)):
        t0 = time.perf_counter()
        model(m)
        out[name] = time.perf_counter() - t0
    return out


def bootstrap_all(m: DoseMatrices, n_boot: int) -> dict[str, float]:
    """Seconds per model of `bootstrap_synergy` on the whole batch."""
    out = {}
    for name, model in MODELS:
        t0 = time.perf_counter()
        bootstrap_synergy(m, model, n_boot=n_boot, seed=0)
        out[name] = time.perf_counter() - t0
    return out


# --- the in-run peer: ZIP one matrix at a time with scipy ------------------------------------


def _ll4(x, b, c, d, log_e):
    with np.errstate(over="ignore", divide="ignore"):
        return c + (d - c) / (1.0 + np.exp(b * (np.log(x) - log_e)))


def _fit(x, y, fixed_c=None):
    """LL.4 by curve_fit (fixed zero-dose level when given); fitted values at x."""
    x = np.where(x == 0, 1e-19, x)  # SynergyFinder's fake zero dose (1e-10 nM)
    guess_e = np.log(np.median(x[x > 1e-18]))
    try:
        if fixed_c is None:
            p, _ = curve_fit(_ll4, x, y, p0=[-1.0, y.min(), y.max(), guess_e], maxfev=2000)
            return _ll4(x, *p)
        p, _ = curve_fit(
            lambda xx, b, d, log_e: _ll4(xx, b, fixed_c, d, log_e),
            x,
            y,
            p0=[-1.0, y.max(), guess_e],
            maxfev=2000,
        )
        return _ll4(x, p[0], fixed_c, p[1], p[2])
    except (RuntimeError, OptimizeWarning, ValueError):
        return y.copy()


def scipy_zip(m: DoseMatrices) -> np.ndarray:
    """Per-matrix ZIP delta with per-curve curve_fit loops; returns block means."""
    means = np.empty(len(m))
    y = m.mean_response
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b in range(len(m)):
            c1, c2, mat = m.conc1[b], m.conc2[b], y[b]
            f1 = _fit(c1, mat[:, 0])
            f2 = _fit(c2, mat[0, :])
            rows = np.array([_fit(c2[1:], mat[i, 1:], fixed_c=f1[i]) for i in range(1, 8)])
            cols = np.array([_fit(c1[1:], mat[1:, j], fixed_c=f2[j]) for j in range(1, 8)]).T
            ref = f1[1:, None] + f2[None, 1:] - f1[1:, None] * f2[None, 1:] / 100.0
            means[b] = np.mean((rows + cols) / 2.0 - ref)
    return means


def synergy_package(m: DoseMatrices) -> dict[str, float] | None:
    """Seconds per matrix of the synergy package's models, or None if not installed."""
    try:
        from synergy.combination import HSA, ZIP, Bliss, Loewe
        from synergy.single import Hill
    except ImportError:
        return None
    d1 = np.repeat(m.conc1[0], 8)
    d2 = np.tile(m.conc2[0], 8)
    out = {}
    failures: dict[str, int] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, cls in (("bliss", Bliss), ("hsa", HSA), ("loewe", Loewe), ("zip", ZIP)):
            t0 = time.perf_counter()
            for b in range(len(m)):
                effect = 1.0 - m.mean_response[b].ravel() / 100.0  # E0 = 1, as the package
                # fitted Hill single agents, as our models fit theirs; a fit that fails
                # (scipy's maxfev) counts, as it would for a user
                try:
                    cls(drug1_model=Hill, drug2_model=Hill).fit(d1, d2, effect)
                except (RuntimeError, ValueError):
                    failures[name] = failures.get(name, 0) + 1
            out[name] = (time.perf_counter() - t0) / len(m)
    for name, count in failures.items():
        print(f"synergy package {name}: {count} of {len(m)} fits failed")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrices", type=int, default=2_000)
    parser.add_argument("--replicates", type=int, default=1)
    parser.add_argument("--peer-matrices", type=int, default=20)
    parser.add_argument("--boot-matrices", type=int, default=100)
    parser.add_argument("--boot-replicates", type=int, default=1_000)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="200 matrices, 5 peer matrices, 100 bootstrap replicates",
    )
    args = parser.parse_args()
    if args.quick:
        args.matrices, args.peer_matrices, args.boot_replicates = 200, 5, 100

    import numba

    print(
        f"# ResistLab synergy benchmark  ({numba.get_num_threads()} threads, "
        f"{os.cpu_count()} cores, numpy {np.__version__})"
    )
    m = synthetic(args.matrices, args.replicates)
    score_all(m.take(np.arange(min(100, len(m)))))  # compile / load the kernel cache

    runs = [score_all(m) for _ in range(3)]
    best = {name: min(r[name] for r in runs) for name in runs[0]}
    total = min(sum(r.values()) for r in runs)
    rate = args.matrices / total
    print(
        f"\n{args.matrices:,} synthetic 8 x 8 matrices x {args.replicates} replicate(s): "
        "HSA, Bliss, Loewe, ZIP (single-agent and ZIP refits included), best of 3"
    )
    print(f"{'model':<10}{'seconds':>10}{'matrices/s':>14}")
    for name, seconds in best.items():
        print(f"{name:<10}{seconds:>10.3f}{args.matrices / seconds:>14,.0f}")
    verdict = "not judged, --quick" if args.quick else ("met" if rate >= GOAL else "NOT met")
    print(f"{'all four':<10}{total:>10.3f}{rate:>14,.0f}   (goal >= {GOAL:,.0f}/s: {verdict})")

    k = min(args.peer_matrices, args.matrices)
    sub = m.take(np.arange(k))
    t0 = time.perf_counter()
    peer_means = scipy_zip(sub)
    peer_s = (time.perf_counter() - t0) / k
    ours_zip = args.matrices / best["zip"]
    ours_means = zip_score(sub).mean_synergy()
    print(f"\nPeers on the first {k} matrices:")
    print(f"{'peer':<36}{'matrices/s':>12}{'ours / peer':>14}")
    print(
        f"{'scipy curve_fit loop, ZIP':<36}{1 / peer_s:>12,.1f}{ours_zip * peer_s:>14,.0f}"
        f"   (block means: median |ours - peer| "
        f"{np.nanmedian(np.abs(ours_means - peer_means)):.2f} points)"
    )
    package = synergy_package(sub)
    if package is None:
        print("synergy package not installed: peer skipped")
    else:
        for name, seconds in package.items():
            ours = args.matrices / best[name]
            print(f"{'synergy ' + name:<36}{1 / seconds:>12,.1f}{ours * seconds:>14,.0f}")

    n_boot = args.boot_replicates
    boot = synthetic(args.boot_matrices, replicates=3)
    bootstrap_all(boot.take(np.arange(min(5, len(boot)))), 10)  # warm-up
    seconds = bootstrap_all(boot, n_boot)
    resamples = len(boot) * n_boot
    total = sum(seconds.values())
    print(
        f"\nBootstrap: {n_boot:,} replicates of {len(boot)} synthetic 8 x 8 matrices x 3 "
        f"replicates ({resamples:,} resamples per model), bootstrap_synergy, one run"
    )
    print(f"{'model':<10}{'seconds':>10}{'resamples/s':>14}")
    for name, time_s in seconds.items():
        print(f"{name:<10}{time_s:>10.2f}{resamples / time_s:>14,.0f}")
    goal_size = args.boot_matrices == 100 and n_boot == 1_000
    verdict = ("met" if total < BOOT_GOAL else "NOT met") if goal_size else "not judged, other size"
    print(
        f"{'all four':<10}{total:>10.2f}{4 * resamples / total:>14,.0f}   "
        f"(goal < {BOOT_GOAL:.0f} s for 1,000 x 100: {verdict})"
    )
    peers = [("scipy curve_fit loop, ZIP", "zip", peer_s)]
    peers += [("synergy " + name, name, s) for name, s in (package or {}).items()]
    print(f"Peers, {resamples:,} resamples at their per-matrix speed above (extrapolated):")
    print(f"{'peer':<36}{'seconds':>12}{'ours / peer':>14}")
    for label, name, per_matrix in peers:
        theirs = resamples * per_matrix
        print(f"{label:<36}{theirs:>12,.0f}{theirs / seconds[name]:>14,.0f}")


if __name__ == "__main__":
    main()
