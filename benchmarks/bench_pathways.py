"""Pathway-layer speed: GSEA prerank against GSEApy in the same run, plus ORA and PROGENy.

    .venv/bin/python benchmarks/bench_pathways.py           # the goal run
    .venv/bin/python benchmarks/bench_pathways.py --quick   # a smoke run, goal not judged

GSEA: 50 gene sets of 15-300 genes, 1,000 permutations, on a 20,000-gene
ranking (normal statistics, a third of the sets shifted up or down), with
``resistlab.rnaseq.gsea.gsea_prerank`` and, when ``import gseapy`` works,
``gseapy.prerank`` (same sets, same permutations, ``threads`` = the number of
CPUs numba uses). Ours is timed after a warm-up call (numba compiles, or
loads its cache), best of 3; GSEApy best of 2. The goal: ours well under
2 s on 2 cores. The run also reports the largest ES difference and the
Pearson correlation of NES between the two tools.

ORA: a 500-gene list against the 801 shipped WikiPathways sets, universe
20,000 genes. PROGENy: one contrast (``pathway_activity``, 20,000 genes) and
12 samples (``sample_activity``, 20,000 genes x 12 samples).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numba
import numpy as np
import pandas as pd

from resistlab.io.genesets import load_gene_sets
from resistlab.rnaseq.gsea import gsea_prerank
from resistlab.rnaseq.ora import over_representation
from resistlab.rnaseq.progeny import pathway_activity, progeny_model, sample_activity

GOAL_SECONDS = 2.0


def best_of(repeats: int, run: Callable[[], object]) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def gsea_inputs(n_genes: int, n_sets: int, seed: int = 2005) -> tuple[pd.Series, dict]:
    rng = np.random.default_rng(seed)
    genes = np.array([f"G{i}" for i in range(n_genes)])
    ranking = pd.Series(rng.normal(size=n_genes), index=genes)
    sets = {}
    for j in range(n_sets):
        members = rng.choice(n_genes, size=int(rng.integers(15, 300)), replace=False)
        if j % 3 == 0:
            ranking.iloc[members] += rng.choice([-0.5, 0.5])
        sets[f"SET_{j:02d}"] = list(genes[members])
    return ranking, sets


def real_symbol_universe(n_genes: int, seed: int = 7) -> list[str]:
    """`n_genes` symbols: every WikiPathways gene, padded with placeholders."""
    wiki = load_gene_sets("wikipathways").genes
    rng = np.random.default_rng(seed)
    chosen = list(rng.permutation(wiki)[:n_genes])
    chosen += [f"PAD{i}" for i in range(n_genes - len(chosen))]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    args = parser.parse_args()
    permutations = 100 if args.quick else 1000
    n_genes, n_sets = (5000, 10) if args.quick else (20_000, 50)
    threads = numba.get_num_threads()
    rows: list[tuple[str, str, float]] = []

    ranking, sets = gsea_inputs(n_genes, n_sets)
    gsea_prerank(ranking, sets, permutations=10)  # warm-up: numba compile or cache load
    ours_s, ours = best_of(3, lambda: gsea_prerank(ranking, sets, permutations=permutations))
    label = f"GSEA prerank, {n_sets} sets x {permutations} perms, {n_genes:,} genes"
    rows.append((label, "resistlab", ours_s))
    try:
        import gseapy
    except ImportError:
        gseapy = None
    if gseapy is not None:

        def run_gseapy() -> object:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return gseapy.prerank(
                    rnk=ranking,
                    gene_sets=sets,
                    permutation_num=permutations,
                    threads=threads,
                    seed=1,
                    outdir=None,
                    no_plot=True,
                )

        theirs_s, theirs = best_of(2, run_gseapy)
        rows.append((label, f"GSEApy {gseapy.__version__}", theirs_s))
        mine = ours.to_frame().set_index("term")  # type: ignore[attr-defined]
        other = theirs.res2d.set_index("Term").loc[mine.index]  # type: ignore[attr-defined]
        es_gap = float(np.abs(mine["es"] - other["ES"].astype(float)).max())
        nes_r = float(np.corrcoef(mine["nes"], other["NES"].astype(float))[0, 1])

    universe = real_symbol_universe(20_000)
    wiki = load_gene_sets("wikipathways")
    query = list(np.random.default_rng(3).choice(universe, size=500, replace=False))
    ora_s, _ = best_of(3, lambda: over_representation(query, wiki, universe=universe))
    rows.append(("ORA, 500 genes x 801 WikiPathways, universe 20,000", "resistlab", ora_s))

    model = progeny_model()
    rng = np.random.default_rng(11)
    stat = pd.Series(rng.normal(size=20_000), index=pd.Index(universe))
    stat = stat.add(3.0 * model["MAPK"], fill_value=0.0)
    act_s, _ = best_of(3, lambda: pathway_activity(stat))
    rows.append(("PROGENy pathway_activity, 1 contrast, ~20,000 genes", "resistlab", act_s))
    expression = pd.DataFrame(
        rng.normal(8.0, 1.0, size=(len(stat), 12)),
        index=stat.index,
        columns=[f"s{i}" for i in range(12)],
    )
    samp_s, _ = best_of(3, lambda: sample_activity(expression))
    rows.append(("PROGENy sample_activity, ~20,000 genes x 12 samples", "resistlab", samp_s))

    width = max(len(r[0]) for r in rows)
    print(f"numba threads: {threads}{'  (quick run: goal not judged)' if args.quick else ''}")
    print(f"{'task':<{width}}  {'tool':<14} {'seconds':>8}")
    for task, tool, seconds in rows:
        print(f"{task:<{width}}  {tool:<14} {seconds:8.3f}")
    if gseapy is not None:
        print(f"GSEApy / resistlab time ratio: {theirs_s / ours_s:.1f}x")
        print(f"max |ES difference| {es_gap:.1e}; Pearson r of NES {nes_r:.5f}")
    else:
        print("GSEApy not installed: no comparison (pip install gseapy)")
    if not args.quick:
        verdict = "met" if ours_s < GOAL_SECONDS else "NOT met"
        print(f"goal (< {GOAL_SECONDS:.0f} s for GSEA prerank): {verdict}")


if __name__ == "__main__":
    main()
