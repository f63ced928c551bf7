"""Write the example study's RNA-seq counts: parental vs Defactinib-resistant MDA-MB-231.

    .venv/bin/python examples/make_rnaseq.py

Three libraries per line (prepared on three days, one parental and one
resistant each day), counted by featureCounts against GENCODE (Ensembl ids
with versions). Counts are negative binomial around gene means drawn once,
with DESeq2's typical mean-dispersion trend (0.04 + 1.2 / mean) and gene-wise
scatter, and library sizes that vary 0.7-1.4x.

The resistant line carries the biology the mechanism layer should find:
RTK upregulation with bypass of FAK Y397 (ERBB2, ERBB3 and EGFR up; AXL newly
expressed from near zero), STAT3 hyperactivation (its target genes up), and a
background of unrelated changes (5 % of genes). FAK itself (PTK2) is
unchanged. ``truth.csv`` lists every planted log2 fold change.
"""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "rnaseq"
SEED = 20240611
N_GENES = 12000

SAMPLES = [
    ("MDA-MB-231_rep1", "parental", "day1"),
    ("MDA-MB-231_rep2", "parental", "day2"),
    ("MDA-MB-231_rep3", "parental", "day3"),
    ("MDA-MB-231-DefR_rep1", "resistant", "day1"),
    ("MDA-MB-231-DefR_rep2", "resistant", "day2"),
    ("MDA-MB-231-DefR_rep3", "resistant", "day3"),
]

#: Planted changes in the resistant line: symbol -> (parental mean count, log2 fold change).
BIOLOGY = {
    # RTK upregulation / bypass of FAK Y397
    "ERBB2": (400.0, 2.3),
    "ERBB3": (150.0, 1.6),
    "EGFR": (2500.0, 1.2),
    "AXL": (0.3, 9.5),  # newly expressed: ~0.3 -> ~220 counts
    # STAT3 hyperactivation: canonical targets
    "SOCS3": (300.0, 1.8),
    "BCL3": (250.0, 1.4),
    "JUNB": (900.0, 1.1),
    "MYC": (1200.0, 1.0),
    "BCL2L1": (500.0, 1.2),
    "MCL1": (2000.0, 0.9),
    "BIRC5": (700.0, 1.3),
    "CCND1": (1500.0, 1.0),
    "VEGFA": (600.0, 1.1),
    "HIF1A": (1800.0, 0.8),
    "TIMP1": (3000.0, 1.0),
    "ICAM1": (350.0, 1.5),
    # FAK itself unchanged
    "PTK2": (1500.0, 0.0),
}


def _gene_table(rng: np.random.Generator) -> pd.DataFrame:
    with (
        resources.files("resistlab.rnaseq")
        .joinpath("data/ensembl2symbol.csv.gz")
        .open("rb") as handle
    ):
        table = pd.read_csv(handle, compression="gzip")
    table = table.drop_duplicates("symbol").sort_values("ensembl_id").reset_index(drop=True)
    planted = table[table["symbol"].isin(BIOLOGY)]
    others = table[~table["symbol"].isin(BIOLOGY)]
    chosen = others.iloc[np.sort(rng.choice(len(others), N_GENES - len(planted), replace=False))]
    genes = pd.concat([planted, chosen]).sort_values("ensembl_id").reset_index(drop=True)
    genes["version"] = rng.integers(1, 20, size=len(genes))
    return genes


def simulate(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts (genes x samples, featureCounts layout) and the planted truth."""
    genes = _gene_table(rng)
    n = len(genes)
    mean = np.exp(rng.normal(4.5, 2.2, size=n))
    low = rng.random(n) < 0.15  # genes barely expressed in these cells
    mean[low] = rng.uniform(0.0, 0.5, size=int(low.sum()))
    lfc = np.zeros(n)
    background = rng.random(n) < 0.05
    lfc[background] = rng.normal(0.0, 1.0, size=int(background.sum()))
    for symbol, (base, change) in BIOLOGY.items():
        idx = np.flatnonzero(genes["symbol"].to_numpy() == symbol)[0]
        mean[idx] = base
        lfc[idx] = change
    disp = (0.04 + 1.2 / np.maximum(mean, 0.1)) * np.exp(rng.normal(0.0, 0.35, size=n))
    size_factor = rng.uniform(0.7, 1.4, size=len(SAMPLES))
    resistant = np.array([cond == "resistant" for _, cond, _ in SAMPLES])
    mu = mean[:, None] * size_factor[None, :] * np.where(resistant, 2.0 ** lfc[:, None], 1.0)
    shape = 1.0 / disp[:, None]
    counts = rng.poisson(rng.gamma(shape, mu / shape))
    chrom = rng.choice([str(c) for c in range(1, 23)] + ["X"], size=n)
    start = rng.integers(10_000, 240_000_000, size=n)
    length = rng.integers(600, 9000, size=n)
    frame = pd.DataFrame(
        {
            "Geneid": [
                f"{e}.{v}" for e, v in zip(genes["ensembl_id"], genes["version"], strict=True)
            ],
            "Chr": chrom,
            "Start": start,
            "End": start + length * 3,
            "Strand": rng.choice(["+", "-"], size=n),
            "Length": length,
        }
    )
    for j, (name, _, _) in enumerate(SAMPLES):
        frame[f"/data/aligned/{name}.Aligned.sortedByCoord.out.bam"] = counts[:, j]
    truth = pd.DataFrame(
        {
            "gene": genes["ensembl_id"],
            "symbol": genes["symbol"],
            "log2_fold_change": lfc,
            "parental_mean": mean,
            "planted": genes["symbol"].isin(BIOLOGY).to_numpy() | background,
        }
    )
    return frame, truth[truth["planted"]].drop(columns="planted")


def main() -> None:
    """Write featureCounts.txt, samples.csv and truth.csv under examples/rnaseq."""
    rng = np.random.default_rng(SEED)
    frame, truth = simulate(rng)
    OUT.mkdir(exist_ok=True)
    header = (
        '# Program:featureCounts v2.0.3; Command:"featureCounts" "-T" "8" "-p" '
        '"--countReadPairs" "-s" "2" "-a" "gencode.v44.annotation.gtf" "-o" '
        '"featureCounts.txt" ' + " ".join(f'"{c}"' for c in frame.columns[6:]) + "\n"
    )
    text = header + frame.to_csv(sep="\t", index=False, lineterminator="\n")
    with gzip.GzipFile(OUT / "featureCounts.txt.gz", "wb", compresslevel=9, mtime=0) as out:
        out.write(text.encode())
    pd.DataFrame(SAMPLES, columns=["sample", "condition", "batch"]).assign(
        cell_line=lambda d: np.where(d["condition"] == "parental", "MDA-MB-231", "MDA-MB-231-DefR")
    ).to_csv(OUT / "samples.csv", index=False)
    truth.to_csv(OUT / "truth.csv", index=False, float_format="%.6g")
    print(f"wrote {OUT}: {len(frame)} genes x {len(SAMPLES)} samples, {len(truth)} planted changes")


if __name__ == "__main__":
    main()
