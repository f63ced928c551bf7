"""Differential-expression speed and memory: ResistLab against PyDESeq2 and R DESeq2, in one run.

    make bench            # or: .venv/bin/python benchmarks/bench_rnaseq.py
    .venv/bin/python benchmarks/bench_rnaseq.py --quick   # 6,000 genes, goals not judged
    .venv/bin/python benchmarks/bench_rnaseq.py --no-r --no-pydeseq2 --profile

Data: the 60,000-gene x 12-sample synthetic matrix of ../shared/reference
(``rnaseq/synthetic/syn60k_12_*``, 6 A vs 6 B, about 31k all-zero genes, 10 %
DE). Without ../shared a comparable negative-binomial matrix is generated
with a fixed seed (gene means resampled from a gamma, about 31,000 all-zero
genes, 10 % DE). ``--quick`` uses its first 6,000 genes.

Each tool runs in its own subprocess on the same CSV files, timed inside the
subprocess after the data are read; peak memory is the subprocess's peak RSS
(``os.wait4`` rusage, ru_maxrss) and, because PyDESeq2 forks joblib/loky
workers whose memory ru_maxrss does not add up, the peak of the summed PSS
of the whole process tree, sampled every 0.1 s from /proc:

* ResistLab: ``deseq(counts, meta, "~ condition", reference={"condition": "A"})``
  then ``.results(("condition", "B", "A"))``, after one warm-up of the same
  calls on the first 2,000 genes (numba compiles its kernels, or loads its
  cache; that time is reported, not counted);
* PyDESeq2 (when importable): ``DeseqDataSet(counts=samples x genes, ...,
  design="~condition", n_cpus=...)``, ``.deseq2()``, then ``DeseqStats(dds,
  contrast=["condition", "B", "A"], alpha=0.1).summary()``, prints silenced;
* R DESeq2 (when ``Rscript`` is on PATH): ``DESeq()`` + ``results()`` timed
  with ``system.time`` inside R (reading the CSV and building the
  DESeqDataSet not counted; ``parallel = FALSE``, DESeq2's default).

Then the pathway step on our Wald statistics, in one more subprocess:
``gsea_prerank`` with the 50 largest shipped WikiPathways sets x 1,000
permutations, ``over_representation`` of the padj < 0.1 genes against all
801 WikiPathways sets, and PROGENy ``pathway_activity``. The synthetic genes
have no symbols, so the first expressed genes (file order) are given the
sorted WikiPathways genes, then the PROGENy footprint genes not in
WikiPathways, as their names; the rest keep their synthetic ids.

The issue's goals: ours within 1.5x of R's time, at least 3x faster than
PyDESeq2, peak memory under 1 GB, the pathway step under 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCE = Path(
    os.environ.get(
        "RESISTLAB_REFERENCE_DIR", Path(__file__).resolve().parents[2] / "shared" / "reference"
    )
)
SYNTHETIC = REFERENCE / "rnaseq" / "synthetic"
GOAL_R_RATIO = 1.5  # ours / R time at most
GOAL_SPEEDUP = 3.0  # PyDESeq2 / ours time at least
GOAL_RSS_MB = 1024.0  # peak RSS under 1 GB
GOAL_PATHWAY_S = 10.0
WARMUP_GENES = 2_000
QUICK_GENES = 6_000

OURS = """
import json, sys, time
import pandas as pd
from resistlab.rnaseq import deseq

counts_csv, meta_csv, out_csv, out_json, warm_genes, profile = sys.argv[1:7]
counts = pd.read_csv(counts_csv, index_col=0)
meta = pd.read_csv(meta_csv, index_col=0)


def run(c):
    fit = deseq(c, meta, "~ condition", reference={"condition": "A"})
    return fit.results(("condition", "B", "A"))


start = time.perf_counter()
run(counts.iloc[: int(warm_genes)])  # warm-up: numba compiles or loads its cache
warmup = time.perf_counter() - start
if profile == "1":
    import cProfile, pstats

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    res = run(counts)
    profiler.disable()
    seconds = time.perf_counter() - start
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
else:
    start = time.perf_counter()
    res = run(counts)
    seconds = time.perf_counter() - start
res.table.to_csv(out_csv)
with open(out_json, "w") as fh:
    json.dump({"seconds": seconds, "warmup": warmup}, fh)
"""

PYDESEQ2 = """
import contextlib, io, json, sys, time, warnings
import pandas as pd
import pydeseq2
from pydeseq2.dds import DeseqDataSet
from pydeseq2.ds import DeseqStats

counts_csv, meta_csv, out_csv, out_json, n_cpus = sys.argv[1:6]
counts = pd.read_csv(counts_csv, index_col=0).T  # samples x genes
meta = pd.read_csv(meta_csv, index_col=0).loc[counts.index]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        dds = DeseqDataSet(
            counts=counts, metadata=meta, design="~condition", n_cpus=int(n_cpus), quiet=True
        )
        dds.deseq2()
        ds = DeseqStats(
            dds, contrast=["condition", "B", "A"], alpha=0.1, n_cpus=int(n_cpus), quiet=True
        )
        ds.summary()
        seconds = time.perf_counter() - start
ds.results_df.to_csv(out_csv)
with open(out_json, "w") as fh:
    json.dump({"seconds": seconds, "version": pydeseq2.__version__}, fh)
"""

R_SCRIPT = """
suppressPackageStartupMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.csv(args[1], row.names = 1, check.names = FALSE))
meta <- read.csv(args[2], row.names = 1)
meta <- meta[colnames(counts), , drop = FALSE]
meta$condition <- factor(meta$condition, levels = c("A", "B"))
dds <- DESeqDataSetFromMatrix(counts, meta, ~ condition)
elapsed <- system.time({
  dds <- DESeq(dds, quiet = TRUE)
  res <- results(dds, contrast = c("condition", "B", "A"))
})[["elapsed"]]
write.csv(as.data.frame(res), args[3])
writeLines(c(format(elapsed, digits = 10), as.character(packageVersion("DESeq2"))), args[4])
"""

PATHWAYS = """
import json, sys, time
import numpy as np
import pandas as pd
from resistlab.io.genesets import load_gene_sets
from resistlab.rnaseq import gsea_prerank, over_representation, pathway_activity, progeny_model

de_csv, out_json = sys.argv[1:3]
de = pd.read_csv(de_csv, index_col=0)

rng = np.random.default_rng(0)  # warm-up: numba compiles or loads the GSEA kernels
toy = pd.Series(rng.normal(size=500), index=[f"T{i}" for i in range(500)])
start = time.perf_counter()
gsea_prerank(toy, {"a": list(toy.index[:30]), "b": list(toy.index[100:140])}, permutations=10)
warmup = time.perf_counter() - start

times = {}
start = time.perf_counter()
wiki = load_gene_sets("wikipathways")
model = progeny_model()
symbols = list(wiki.genes)
symbols += sorted(set(model.index) - set(symbols))
expressed = de.index[de["baseMean"] > 0]
n_mapped = min(len(symbols), len(expressed))
mapping = dict(zip(expressed[:n_mapped], symbols[:n_mapped]))
de.index = pd.Index([mapping.get(g, g) for g in de.index])
sizes = wiki.sizes()
largest = sorted(sizes.index, key=lambda name: (-sizes[name], name))[:50]
times["load + map"] = time.perf_counter() - start

t0 = time.perf_counter()
stat = de["stat"].dropna()
gsea = gsea_prerank(stat, {name: wiki[name] for name in largest}, permutations=1000, seed=0)
times["GSEA"] = time.perf_counter() - t0

t0 = time.perf_counter()
tested = de.index[de["padj"].notna()]
hits = de.index[de["padj"] < 0.1]
ora = over_representation(hits, wiki, universe=tested)
times["ORA"] = time.perf_counter() - t0

t0 = time.perf_counter()
act = pathway_activity(de["stat"])
times["PROGENy"] = time.perf_counter() - t0
seconds = time.perf_counter() - start

gsea_frame = gsea.to_frame()
with open(out_json, "w") as fh:
    json.dump(
        {
            "seconds": seconds,
            "warmup": warmup,
            "parts": times,
            "mapped": n_mapped,
            "ranked": int(len(stat)),
            "gsea_sets": int(len(gsea_frame)),
            "gsea_fdr_lt_0.25": int((gsea_frame["fdr"] < 0.25).sum()),
            "ora_hits": int(len(hits)),
            "ora_universe": int(len(tested)),
            "ora_sets": int(len(ora.to_frame())),
        },
        fh,
    )
"""


# --- data -----------------------------------------------------------------------------------


def generated_counts(seed: int = 60_012) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A 60,000 x 12 NB matrix like the shared one: about 31,000 all-zero genes, 10 % DE."""
    rng = np.random.default_rng(seed)
    n_genes, n_zero = 60_000, 29_600  # plus ~1,400 low-mean genes all-zero by chance
    samples = [f"s{i}" for i in range(1, 13)]
    condition = np.array(["A"] * 6 + ["B"] * 6)
    mean = np.zeros(n_genes)
    expressed = rng.permutation(n_genes)[: n_genes - n_zero]
    # a gamma "library" of gene means (shape < 1: most genes low, a long tail), resampled
    library = rng.gamma(0.4, 100.0, 5_000) + 0.05
    mean[expressed] = rng.choice(library, size=expressed.size, replace=True)
    lfc = np.zeros(n_genes)
    de = rng.choice(expressed, size=n_genes // 10, replace=False)
    lfc[de] = rng.choice([-1.0, 1.0], de.size) * rng.gamma(2.0, 0.6, de.size)
    dispersion = (0.02 + 1.5 / np.maximum(mean, 1e-3)) * rng.lognormal(0.0, 0.5, n_genes)
    size_factor = rng.lognormal(0.0, 0.2, 12)
    mu = mean[:, None] * size_factor[None, :] * 2.0 ** (lfc[:, None] * (condition == "B"))
    size = 1.0 / dispersion[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(mu > 0, size / (size + mu), 1.0)
    counts = rng.negative_binomial(np.broadcast_to(size, mu.shape), p)
    genes = [f"gene{i}" for i in range(1, n_genes + 1)]
    frame = pd.DataFrame(counts, index=genes, columns=samples)
    meta = pd.DataFrame({"condition": condition}, index=pd.Index(samples, name="sample"))
    return frame, meta


def load_data(quick: bool) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    counts_path = SYNTHETIC / "syn60k_12_counts.csv.gz"
    meta_path = SYNTHETIC / "syn60k_12_metadata.csv"
    if counts_path.exists() and meta_path.exists():
        counts = pd.read_csv(counts_path, index_col=0)
        meta = pd.read_csv(meta_path, index_col=0)
        source = str(counts_path.parent / "syn60k_12_*")
    else:
        counts, meta = generated_counts()
        source = "generated (../shared absent): NB, fixed seed 60012"
    if quick:
        counts = counts.iloc[:QUICK_GENES]
        source += f", first {QUICK_GENES:,} genes (--quick)"
    return counts, meta, source


# --- subprocess with peak memory --------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _tree_pss_kb(root: int) -> int:
    """Summed PSS (kB) of `root` and every descendant, from /proc/*/smaps_rollup."""
    tree = _children()
    todo, total = [root], 0
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


class TreeSampler(threading.Thread):
    """Peak summed PSS of a process tree, sampled every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self.halt = threading.Event()
        self.enabled = Path("/proc/self/smaps_rollup").exists()

    def run(self) -> None:
        while self.enabled and not self.halt.is_set():
            self.peak_kb = max(self.peak_kb, _tree_pss_kb(self.pid))
            self.halt.wait(self.interval)


def run_measured(cmd: list[str], log: Path) -> dict[str, float]:
    """Run `cmd`; exit code, wall seconds, peak RSS (MB) and sampled tree PSS (MB)."""
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        sampler.halt.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "code": proc.returncode,
        "wall": time.perf_counter() - start,
        "rss_mb": usage.ru_maxrss / 1024.0,  # Linux: kB
        "pss_mb": sampler.peak_kb / 1024.0 if sampler.enabled else float("nan"),
    }


def failed(name: str, run: dict[str, float], log: Path) -> bool:
    if run["code"] == 0:
        return False
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    print(f"{name} failed (exit {run['code']}):\n{textwrap.indent(tail, '    ')}")
    return True


# --- agreement --------------------------------------------------------------------------------


def agreement(ours: pd.DataFrame, other: pd.DataFrame, base_col: str = "baseMean") -> str:
    other = other.reindex(ours.index)
    keep = (other[base_col] > 10) & ours["log2FoldChange"].notna()
    keep &= other["log2FoldChange"].notna()
    delta = (ours.loc[keep, "log2FoldChange"] - other.loc[keep, "log2FoldChange"]).abs()
    a = set(ours.index[ours["padj"] < 0.1])
    b = set(other.index[other["padj"] < 0.1])
    jaccard = len(a & b) / len(a | b) if a | b else float("nan")
    return (
        f"max |delta LFC| {delta.max():.2e} ({int(keep.sum()):,} genes); "
        f"padj < 0.1: {len(a):,} vs {len(b):,} genes, Jaccard {jaccard:.4f}"
    )


def verdict(ok: bool, judged: bool) -> str:
    if not judged:
        return "not judged, --quick"
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_GENES:,} genes")
    parser.add_argument("--no-r", action="store_true", help="skip R DESeq2")
    parser.add_argument("--no-pydeseq2", action="store_true", help="skip PyDESeq2")
    parser.add_argument("--n-cpus", type=int, default=2, help="PyDESeq2's n_cpus (default 2)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile our timed run, print the top functions"
    )
    args = parser.parse_args()
    judged = not args.quick

    counts, meta, source = load_data(args.quick)
    n_zero = int((counts.sum(axis=1) == 0).sum())
    groups = meta["condition"].value_counts().sort_index()
    print(
        f"# ResistLab RNA-seq benchmark  ({os.cpu_count()} cores, numpy {np.__version__}, "
        f"pandas {pd.__version__})"
    )
    print(f"data: {source}")
    print(
        f"      {counts.shape[0]:,} genes x {counts.shape[1]} samples "
        f"({' vs '.join(f'{n} {g}' for g, n in groups.items())}), {n_zero:,} all-zero genes"
    )

    rows: list[tuple[str, float, float, float, float]] = []  # tool, s, rss, pss, wall
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_rnaseq_") as tmp_name:
        tmp = Path(tmp_name)
        counts_csv, meta_csv = tmp / "counts.csv", tmp / "metadata.csv"
        counts.to_csv(counts_csv)
        meta.to_csv(meta_csv)
        # (no child named after a package it imports: its folder comes first on sys.path)
        for name, code in (("ours.py", OURS), ("peer.py", PYDESEQ2), ("pathways.py", PATHWAYS)):
            (tmp / name).write_text(code)
        (tmp / "deseq2.R").write_text(R_SCRIPT)

        def at(*names: str) -> list[str]:
            return [str(tmp / name) for name in names]

        # ours
        log = tmp / "ours.log"
        run = run_measured(
            [
                sys.executable,
                *at("ours.py", "counts.csv", "metadata.csv", "ours.csv", "ours.json"),
                str(WARMUP_GENES),
                "1" if args.profile else "0",
            ],
            log,
        )
        if failed("ResistLab", run, log):
            sys.exit(1)
        info = json.loads((tmp / "ours.json").read_text())
        ours_s, ours_rss = info["seconds"], run["rss_mb"]
        ours_res = pd.read_csv(tmp / "ours.csv", index_col=0)
        label = "resistlab deseq+results" + (" (cProfile on)" if args.profile else "")
        rows.append((label, ours_s, run["rss_mb"], run["pss_mb"], run["wall"]))
        notes.append(
            f"resistlab: timed after a warm-up deseq+results on the first {WARMUP_GENES:,} "
            f"genes (numba compile or cache load, {info['warmup']:.2f} s, not counted); "
            "single-threaded"
        )
        profile_text = log.read_text() if args.profile else ""

        # PyDESeq2
        py_s = py_res = None
        if args.no_pydeseq2:
            notes.append("PyDESeq2: skipped (--no-pydeseq2)")
        else:
            log = tmp / "pydeseq2.log"
            run = run_measured(
                [
                    sys.executable,
                    *at("peer.py", "counts.csv", "metadata.csv", "py.csv", "py.json"),
                    str(args.n_cpus),
                ],
                log,
            )
            if not failed("PyDESeq2", run, log):
                info = json.loads((tmp / "py.json").read_text())
                py_s = info["seconds"]
                py_res = pd.read_csv(tmp / "py.csv", index_col=0)
                label = f"PyDESeq2 {info['version']} (n_cpus={args.n_cpus})"
                rows.append((label, py_s, run["rss_mb"], run["pss_mb"], run["wall"]))

        # R DESeq2
        r_s = r_res = None
        rscript = shutil.which("Rscript")
        if args.no_r:
            notes.append("R DESeq2: skipped (--no-r)")
        elif rscript is None:
            notes.append("R DESeq2: skipped (Rscript not on PATH)")
        else:
            log = tmp / "r.log"
            run = run_measured(
                [
                    rscript,
                    "--vanilla",
                    *at("deseq2.R", "counts.csv", "metadata.csv", "r.csv", "r.txt"),
                ],
                log,
            )
            if not failed("R DESeq2", run, log):
                elapsed, version = (tmp / "r.txt").read_text().split()[:2]
                r_s = float(elapsed)
                r_res = pd.read_csv(tmp / "r.csv", index_col=0)
                label = f"R DESeq2 {version} (system.time)"
                rows.append((label, r_s, run["rss_mb"], run["pss_mb"], run["wall"]))

        # pathway step on our Wald statistics
        log = tmp / "pathways.log"
        run = run_measured(
            [sys.executable, *at("pathways.py", "ours.csv", "pathways.json")],
            log,
        )
        path_s = None
        if not failed("pathway step", run, log):
            info = json.loads((tmp / "pathways.json").read_text())
            path_s = info["seconds"]
            label = "pathway step (GSEA+ORA+PROGENy)"
            rows.append((label, path_s, run["rss_mb"], run["pss_mb"], run["wall"]))
            parts = ", ".join(f"{k} {v:.2f}" for k, v in info["parts"].items())
            notes.append(
                f"pathway step: {parts} s; warm-up (GSEA numba compile or cache load) "
                f"{info['warmup']:.2f} s, not counted"
            )
            notes.append(
                f"  symbols: the first {info['mapped']:,} expressed genes (file order) renamed "
                "to the sorted WikiPathways genes, then the PROGENy genes not in WikiPathways "
                "(synthetic ids have no symbols)"
            )
            notes.append(
                f"  GSEA: 50 largest WikiPathways sets x 1,000 permutations on "
                f"{info['ranked']:,} Wald stats ({info['gsea_sets']} sets scored, "
                f"{info['gsea_fdr_lt_0.25']} with FDR < 0.25); ORA: {info['ora_hits']:,} "
                f"padj < 0.1 genes, universe {info['ora_universe']:,}, "
                f"{info['ora_sets']} sets; PROGENy: 14 pathways"
            )

    width = max(len(r[0]) for r in rows)
    print(
        f"\n{'tool':<{width}}  {'seconds':>8}  {'peak RSS MB':>11}  {'tree PSS MB':>11}"
        f"  {'process s':>9}"
    )
    for tool, seconds, rss, pss, wall in rows:
        print(f"{tool:<{width}}  {seconds:8.2f}  {rss:11.0f}  {pss:11.0f}  {wall:9.1f}")
    print(
        "(seconds: timed inside the process, data already read; peak RSS: the process's "
        "ru_maxrss; tree PSS: summed PSS of the process and its workers, sampled every 0.1 s; "
        "process s: the whole subprocess, interpreter start and CSV read included)"
    )
    for note in notes:
        print(note)

    print("\nGoals (issue):")
    if py_s is not None:
        speedup = py_s / ours_s
        print(
            f"  ours vs PyDESeq2: {speedup:.2f}x faster   "
            f"(goal >= {GOAL_SPEEDUP:.0f}x: {verdict(speedup >= GOAL_SPEEDUP, judged)})"
        )
    else:
        print("  ours vs PyDESeq2: not measured")
    if r_s is not None:
        ratio = ours_s / r_s
        print(
            f"  ours / R time: {ratio:.2f}   "
            f"(goal <= {GOAL_R_RATIO}: {verdict(ratio <= GOAL_R_RATIO, judged)})"
        )
    else:
        print("  ours / R time: not measured")
    print(
        f"  ours peak RSS: {ours_rss:.0f} MB   "
        f"(goal < {GOAL_RSS_MB:.0f} MB: {verdict(ours_rss < GOAL_RSS_MB, judged)})"
    )
    if path_s is not None:
        print(
            f"  pathway step: {path_s:.2f} s   "
            f"(goal < {GOAL_PATHWAY_S:.0f} s: {verdict(path_s < GOAL_PATHWAY_S, judged)})"
        )

    if r_res is not None or py_res is not None:
        print("\nAgreement on this run (genes with the peer's baseMean > 10 for LFC):")
    if r_res is not None:
        print(f"  ours vs R DESeq2: {agreement(ours_res, r_res)}")
    if py_res is not None:
        print(f"  ours vs PyDESeq2: {agreement(ours_res, py_res)}")
    if profile_text:
        print("\ncProfile of our timed run (ours.py):")
        print(profile_text)


if __name__ == "__main__":
    main()
