"""Campaign simulator speed: one 6-month campaign of a 10^7-cell culture, and a 1,000-run ensemble.

    make bench            # or: .venv/bin/python benchmarks/bench_simulate.py [--runs 1000] [--all]

Timed after one warm-up run (numba compiles, or loads its cache, on first use):

* a 6-month campaign (26 weeks) in a flask that holds 10^7 cells, run by the
  decision rules (passages, vials, escalations), median of several seeds; and
  the population stepping alone (10^7 cells, 182 days, no passaging), which is
  what the compiled kernel costs;
* a 1,000-run ensemble of the default strategy (x2 from the IC20 to 5x the
  parental IC50), with runs per second; ``--all`` adds the four default
  strategies (4,000 runs) and prints their comparison table.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import pandas as pd

from resistlab.campaign.simulate import (
    LabProtocol,
    default_strategies,
    population_model,
    simulate_campaign,
    simulate_ensemble,
    simulate_population,
)


def gillespie_birth_death(
    birth: float, death: float, cells: int, days: float, rng: np.random.Generator
) -> float:
    """Simulate a linear birth-death process event by event; return cell-days simulated."""
    n, t, cell_days = cells, 0.0, 0.0
    while n > 0:
        total = (birth + death) * n
        step = rng.exponential(1.0 / total)
        if t + step > days:
            cell_days += n * (days - t)
            break
        cell_days += n * step
        t += step
        n += 1 if rng.random() < birth / (birth + death) else -1
    return cell_days


def _cell_days(cells: float, days: float, *, net: float) -> float:
    """Cell-days of a culture held at `cells` (a confluent flask) for `days`."""
    return cells * days if net == 0 else cells * (math.exp(net * days) - 1) / net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs per strategy")
    parser.add_argument("--repeats", type=int, default=10, help="single campaigns timed")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--all", action="store_true", help="also the four default strategies")
    args = parser.parse_args()

    model = population_model(ic50=1e-6)
    six_months = LabProtocol(max_weeks=26.0, flask_capacity=1e7)
    simulate_campaign(protocol=six_months, seed=0)  # warm-up: compile / load the kernels
    simulate_ensemble(default_strategies()[:1], runs=2, seed=0)

    times, passages = [], []
    for seed in range(args.repeats):
        start = time.perf_counter()
        run = simulate_campaign(protocol=six_months, model=model, seed=args.seed + seed)
        times.append(time.perf_counter() - start)
        passages.append(run.outcome.passages)
    print(
        f"6-month campaign, 1e7-cell flask: {1e3 * statistics.median(times):.1f} ms "
        f"(median of {args.repeats}; {statistics.median(passages):.0f} passages, "
        "one or two rules calls each)"
    )

    start = time.perf_counter()
    simulate_population(
        model,
        np.round(1e7 * model.initial_fractions).astype(int),
        times=np.arange(183.0),
        capacity=1e7,
        seed=args.seed,
    )
    stepping = time.perf_counter() - start
    print(f"population stepping alone, 1e7 cells x 182 days: {1e3 * stepping:.1f} ms")

    # the peer: an exact Gillespie direct-method simulation (one event at a time), the
    # textbook way to simulate a birth-death culture; it is timed on a small culture
    # and compared by cell-days simulated per second
    b, d, cells, days = math.log(2.0) + 0.05, 0.05, 2_000, 7.0
    start = time.perf_counter()
    peer_cell_days = gillespie_birth_death(b, d, cells, days, np.random.default_rng(args.seed))
    peer = time.perf_counter() - start
    ours_cell_days = _cell_days(1e7, 182.0, net=0.0)
    print(
        f"Gillespie direct method (Python loop), {cells} cells x {days:g} days: {peer:.2f} s; "
        f"cell-days/s ours {ours_cell_days / stepping:.3g} vs Gillespie "
        f"{peer_cell_days / peer:.3g} ({ours_cell_days / stepping / (peer_cell_days / peer):.0f}x)"
    )

    strategy = default_strategies()[:1]
    start = time.perf_counter()
    result = simulate_ensemble(strategy, runs=args.runs, model=model, seed=args.seed)
    elapsed = time.perf_counter() - start
    print(
        f"{args.runs}-run ensemble ({strategy[0].name}): {elapsed:.1f} s, "
        f"{args.runs / elapsed:.0f} runs/s"
    )
    columns = [
        "strategy",
        "weeks_to_target_median",
        "weeks_to_target_p05",
        "weeks_to_target_p95",
        "p_culture_lost",
        "fold_resistance_median",
    ]
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(result.to_frame()[columns].round(2).to_string(index=False))

    if args.all:
        start = time.perf_counter()
        result = simulate_ensemble(runs=args.runs, model=model, seed=args.seed)
        elapsed = time.perf_counter() - start
        total = args.runs * len(result.strategies)
        print(
            f"\n{len(result.strategies)} default strategies x {args.runs} runs: {elapsed:.1f} s, "
            f"{total / elapsed:.0f} runs/s"
        )
        summary = result.to_frame()[
            [
                *columns,
                "p_target_reached",
                "p_reversible",
                "fold_on_drug_median",
                "tolerant_fraction_median",
            ]
        ]
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(summary.round(2).to_string(index=False))


if __name__ == "__main__":
    main()
