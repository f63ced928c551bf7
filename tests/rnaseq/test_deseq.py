"""Differential expression against R DESeq2 1.38 and against seeded truth.

Reference outputs: ../shared/reference/rnaseq/deseq2_1.38.3 (pasilla, the
PyDESeq2 synthetic set, the 60k x 12 set), the PyDESeq2 test outputs, and
tests/data/rnaseq/deseq2 (made by tests/reference/deseq2_references.R: 3 or
fewer residual degrees of freedom, a paired design, an LRT, a contrast of two
non-reference levels, outlier replacement).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resistlab.errors import AnalysisError, InputError
from resistlab.rnaseq.deseq import DESeqFit, deseq

DATA = Path(__file__).resolve().parents[1] / "data" / "rnaseq" / "deseq2"


def _agreement(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, float]:
    """The issue's agreement figures for one results table against R's."""
    theirs = theirs.loc[ours.index]
    bm = theirs["baseMean"] > 10
    dlfc = (ours["log2FoldChange"] - theirs["log2FoldChange"]).abs()[bm]
    sig_r = theirs["padj"] < 0.1
    tiny = 1e-300  # padj underflows to 0 for the strongest genes, in R too
    ratio = np.log10(np.maximum(ours.loc[sig_r, "padj"], tiny)) / np.log10(
        np.maximum(theirs.loc[sig_r, "padj"], tiny)
    )
    a = set(ours.index[ours["padj"] < 0.1])
    b = set(theirs.index[theirs["padj"] < 0.1])
    na_mismatch = (ours["padj"].isna() != theirs["padj"].isna()).sum()
    return {
        "lfc_p99": float(np.nanpercentile(dlfc, 99)) if len(dlfc) else 0.0,
        "padj_rel": float(np.nanmedian(np.abs(ratio - 1))) if sig_r.any() else 0.0,
        "jaccard": len(a & b) / len(a | b) if a | b else 1.0,
        "padj_na_mismatch": int(na_mismatch),
    }


def _assert_agrees(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    got = _agreement(ours, theirs)
    assert got["lfc_p99"] <= 1e-3, got
    assert got["padj_rel"] <= 0.01, got
    assert got["jaccard"] >= 0.99, got
    # the same independent-filtering cutoff: the same genes filtered (padj NA)
    assert got["padj_na_mismatch"] == 0, got


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, index_col=0)


# --- ../shared/reference/rnaseq/deseq2_1.38.3 -------------------------------------------


def _shared_case(root: Path, name: str) -> tuple[pd.DataFrame, pd.DataFrame, str, dict, tuple]:
    rna = root / "rnaseq"
    if name == "pasilla":
        counts = _read(rna / "pasilla" / "pasilla_counts.csv")
        meta = _read(rna / "pasilla" / "pasilla_metadata.csv")
        return (
            counts,
            meta,
            "~ type + condition",
            {"condition": "untreated"},
            ("condition", "treated", "untreated"),
        )
    if name == "pydeseq2_synth":
        counts = _read(rna / "pydeseq2_testdata" / "datasets" / "synthetic" / "test_counts.csv")
        meta = _read(rna / "pydeseq2_testdata" / "datasets" / "synthetic" / "test_metadata.csv")
        return counts, meta, "~ condition", {"condition": "A"}, ("condition", "B", "A")
    counts = _read(rna / "synthetic" / "syn60k_12_counts.csv.gz")
    meta = _read(rna / "synthetic" / "syn60k_12_metadata.csv")
    return counts, meta, "~ condition", {"condition": "A"}, ("condition", "B", "A")


@pytest.mark.reference
@pytest.mark.parametrize("name", ["pasilla", "pydeseq2_synth", "syn60k_12"])
def test_agrees_with_deseq2_on_shared_references(reference_dir: Path, name: str) -> None:
    counts, meta, design, reference, contrast = _shared_case(reference_dir, name)
    fit = deseq(counts, meta, design, reference=reference)
    ref = reference_dir / "rnaseq" / "deseq2_1.38.3"
    gz = "" if name == "pydeseq2_synth" else ".gz"
    sf = _read(ref / f"{name}_R_sf.csv").iloc[:, 0].loc[fit.samples].to_numpy()
    assert fit.size_factors is not None
    np.testing.assert_allclose(fit.size_factors, sf, rtol=1e-6)
    disp_gz = ".gz" if name == "syn60k_12" else ""
    disp = _read(ref / f"{name}_R_disp.csv{disp_gz}").iloc[:, 0].loc[fit.genes].to_numpy()
    np.testing.assert_allclose(fit.dispersion, disp, rtol=1e-4)
    res = fit.results(contrast).table
    _assert_agrees(res, _read(ref / f"{name}_R_res.csv{gz}"))


# --- tests/data/rnaseq/deseq2 (R script in tests/reference) ----------------------------


def _local_case(root: Path | None, name: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    if name == "outliers":
        counts = _read(DATA / "outliers_counts.csv.gz")
        meta = _read(DATA / "outliers_metadata.csv")
        return counts, meta, {"design": "~ condition", "contrast": ("condition", "B", "A")}
    assert root is not None
    rna = root / "rnaseq"
    pasilla = _read(rna / "pasilla" / "pasilla_counts.csv")
    pmeta = _read(rna / "pasilla" / "pasilla_metadata.csv")
    syn = _read(rna / "synthetic" / "syn60k_12_counts.csv.gz").iloc[:3000]
    if name == "pasilla_df3":
        keep = [s for s in pmeta.index if s != "untreated4"]
        return (
            pasilla[keep],
            pmeta.loc[keep],
            {
                "design": "~ type + condition",
                "reference": {"condition": "untreated"},
                "contrast": ("condition", "treated", "untreated"),
            },
        )
    if name == "paired3_df2":
        cols = list(syn.columns[[0, 1, 2, 6, 7, 8]])
        meta = pd.DataFrame(
            {"condition": ["A"] * 3 + ["B"] * 3, "pair": ["p1", "p2", "p3"] * 2}, index=cols
        )
        return (
            syn[cols],
            meta,
            {"design": "~ pair + condition", "contrast": ("condition", "B", "A")},
        )
    if name == "pasilla_lrt":
        return (
            pasilla,
            pmeta,
            {
                "design": "~ type + condition",
                "reduced": "~ type",
                "reference": {"condition": "untreated"},
                "contrast": ("condition", "treated", "untreated"),
            },
        )
    meta = pd.DataFrame({"dose": ["none"] * 4 + ["low"] * 4 + ["high"] * 4}, index=syn.columns)
    return (
        syn,
        meta,
        {"design": "~ dose", "reference": {"dose": "none"}, "contrast": ("dose", "high", "low")},
    )


def _run_local(root: Path | None, name: str) -> tuple[DESeqFit, pd.DataFrame]:
    counts, meta, spec = _local_case(root, name)
    fit = deseq(
        counts,
        meta,
        spec["design"],
        reference=spec.get("reference"),
        reduced=spec.get("reduced"),
    )
    return fit, fit.results(spec["contrast"]).table


@pytest.mark.reference
@pytest.mark.parametrize("name", ["pasilla_df3", "paired3_df2", "pasilla_lrt", "dose3_high_vs_low"])
def test_agrees_with_deseq2_on_further_designs(reference_dir: Path, name: str) -> None:
    fit, res = _run_local(reference_dir, name)
    info = pd.read_csv(DATA / f"{name}_info.csv", index_col=0, dtype=str)["value"]
    assert fit.prior_var == pytest.approx(float(info["dispPriorVar"].strip()), rel=1e-6)
    disp = _read(DATA / f"{name}_disp.csv.gz")
    np.testing.assert_allclose(fit.dispersion, disp.loc[fit.genes, "dispersion"], rtol=1e-4)
    _assert_agrees(res, _read(DATA / f"{name}_res.csv.gz"))


def test_simulated_prior_variance_is_used_with_few_residual_df() -> None:
    """3 pairs (2 residual df): DESeq2's prior variance is a point of its simulation grid."""
    rng = np.random.default_rng(5)
    mu = rng.gamma(1.5, 200.0, size=(800, 1)) * np.ones((1, 6))
    counts = pd.DataFrame(rng.negative_binomial(8, 8 / (8 + mu)), columns=list("abcdef"))
    meta = pd.DataFrame(
        {"condition": ["P"] * 3 + ["R"] * 3, "pair": ["1", "2", "3"] * 2}, index=counts.columns
    )
    fit = deseq(counts, meta, "~ pair + condition")
    grid = np.linspace(0, 8, 1000)
    assert fit.prior_var >= 0.25
    assert fit.prior_var == 0.25 or np.min(np.abs(grid - fit.prior_var)) < 1e-12


def test_outlier_replacement_agrees_with_deseq2() -> None:
    fit, res = _run_local(None, "outliers")
    flags = _read(DATA / "outliers_replace.csv.gz")
    np.testing.assert_array_equal(fit.replaced, flags["replace"].to_numpy(bool))
    assert fit.replaced.sum() > 10
    np.testing.assert_allclose(fit.max_cooks, flags["maxCooks"], rtol=1e-6, equal_nan=True)
    _assert_agrees(res, _read(DATA / "outliers_res.csv.gz"))


# --- PyDESeq2's test outputs (DESeq2 1.34; 1.38 reproduces them) -----------------------


@pytest.mark.reference
@pytest.mark.parametrize(
    ("folder", "design", "name"),
    [
        ("multi_factor", "~ group + condition", None),
        ("continuous", "~ group + condition + measurement", "measurement"),
        ("wide", "~ group + condition", None),
    ],
)
def test_pydeseq2_reference_designs(
    reference_dir: Path, folder: str, design: str, name: str | None
) -> None:
    base = reference_dir / "rnaseq" / "pydeseq2_testdata"
    data = base / "tests" / "data" / folder
    synthetic = base / "datasets" / "synthetic"
    counts_file = data / "test_counts.csv"
    counts = _read(counts_file if counts_file.exists() else synthetic / "test_counts.csv")
    meta_file = data / "test_metadata.csv"
    meta = _read(meta_file if meta_file.exists() else synthetic / "test_metadata.csv")
    fit = deseq(counts, meta, design, reference={"condition": "A"})
    res = (fit.results(name=name) if name else fit.results(("condition", "B", "A"))).table
    ref = _read(data / "r_test_res.csv").loc[res.index]
    for col in ("log2FoldChange", "lfcSE", "pvalue", "padj"):
        np.testing.assert_allclose(res[col], ref[col], rtol=1e-6, atol=1e-10)
    disp = _read(data / "r_test_dispersions.csv").iloc[:, 0].to_numpy()
    np.testing.assert_allclose(fit.dispersion, disp, rtol=1e-6)


# --- seeded truth ---------------------------------------------------------------------


def _planted(rng: np.random.Generator, n_genes: int = 2000, n_per: int = 4):
    mean = rng.gamma(1.2, 150.0, size=n_genes)
    lfc = np.zeros(n_genes)
    lfc[:100] = rng.choice([-2.0, 2.0], size=100)
    sf = rng.uniform(0.6, 1.6, size=2 * n_per)
    mu = mean[:, None] * sf[None, :]
    mu[:, n_per:] *= 2.0 ** lfc[:, None]
    size = 1 / (0.04 + 1 / mean)[:, None]
    counts = rng.negative_binomial(size, size / (size + mu))
    samples = [f"s{i}" for i in range(2 * n_per)]
    meta = pd.DataFrame({"condition": ["parental"] * n_per + ["resistant"] * n_per}, index=samples)
    return pd.DataFrame(counts, columns=samples), meta, lfc, sf


def test_planted_fold_changes_are_recovered(rng: np.random.Generator) -> None:
    counts, meta, lfc, sf = _planted(rng)
    fit = deseq(counts, meta, "~ condition")
    res = fit.results(("condition", "resistant", "parental")).table
    # size factors recover the planted library sizes up to a common scale
    ratio = fit.size_factors / sf
    assert np.std(np.log(ratio)) < 0.05
    hits = res["padj"] < 0.1
    assert hits.iloc[:100].mean() > 0.9  # power on 4x changes
    assert hits.iloc[100:].mean() < 0.01  # false positives among nulls
    true = np.abs(res["log2FoldChange"].iloc[:100] - lfc[:100])
    assert np.median(true) < 0.2


def test_contrast_direction_and_reference_level(rng: np.random.Generator) -> None:
    counts, meta, _, _ = _planted(rng, n_genes=400)
    fit = deseq(counts, meta, "~ condition")
    up = fit.results(("condition", "resistant", "parental")).table
    down = fit.results(("condition", "parental", "resistant")).table
    np.testing.assert_allclose(up["log2FoldChange"], -down["log2FoldChange"])
    np.testing.assert_allclose(up["pvalue"], down["pvalue"])


# --- bad input ------------------------------------------------------------------------


def _small() -> tuple[pd.DataFrame, pd.DataFrame]:
    counts = pd.DataFrame(
        {"a": [5, 10, 0, 7], "b": [6, 12, 1, 9], "c": [20, 3, 4, 5], "d": [22, 4, 2, 6]},
        index=["g1", "g2", "g3", "g4"],
    )
    meta = pd.DataFrame({"condition": ["P", "P", "R", "R"]}, index=list("abcd"))
    return counts, meta


def test_non_integer_count_names_gene_and_sample() -> None:
    counts, meta = _small()
    counts = counts.astype(float)
    counts.loc["g2", "c"] = 3.5
    with pytest.raises(InputError, match=r"gene 'g2', sample 'c'.*integer"):
        deseq(counts, meta)


def test_sample_missing_from_sheet_is_named() -> None:
    counts, meta = _small()
    with pytest.raises(InputError, match=r"\['d'\].*missing from the sample sheet"):
        deseq(counts, meta.drop(index="d"))


def test_duplicated_gene_is_named() -> None:
    counts, meta = _small()
    counts.index = ["g1", "g2", "g2", "g4"]
    with pytest.raises(InputError, match=r"duplicated gene id.*g2"):
        deseq(counts, meta)


def test_design_not_full_rank_names_the_column() -> None:
    counts, meta = _small()
    meta["batch"] = ["x", "x", "y", "y"]
    with pytest.raises(InputError, match=r"not full rank.*condition_R_vs_P"):
        deseq(counts, meta, "~ batch + condition")


def test_contrast_with_absent_level_is_named(rng: np.random.Generator) -> None:
    counts, meta, _, _ = _planted(rng, n_genes=300)
    fit = deseq(counts, meta)
    with pytest.raises(InputError, match=r"'resistnt' is not a level of 'condition'"):
        fit.results(("condition", "resistnt", "parental"))


def test_no_replicates_is_an_analysis_error() -> None:
    counts, meta = _small()
    meta["condition"] = list("wxyz")
    with pytest.raises(AnalysisError, match="no replicates"):
        deseq(counts, meta)


@pytest.mark.slow
@pytest.mark.reference
def test_r_script_regenerates_every_reference(reference_dir: Path, tmp_path: Path) -> None:
    """tests/reference/deseq2_references.R reproduces the shared and the local references."""
    import os
    import shutil
    import subprocess

    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not on PATH (Debian: apt-get install r-base-core r-bioc-deseq2)")
    check = subprocess.run(["Rscript", "-e", "library(DESeq2)"], capture_output=True, check=False)
    if check.returncode != 0:
        pytest.skip("R package DESeq2 not installed (Debian: r-bioc-deseq2)")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DESEQ2_OUT": str(tmp_path), "DESEQ2_SHARED": "1"}
    subprocess.run(
        ["Rscript", "tests/reference/deseq2_references.R", str(reference_dir / "rnaseq")],
        cwd=root,
        env=env,
        capture_output=True,
        check=True,
    )
    shared = reference_dir / "rnaseq" / "deseq2_1.38.3"
    pairs = [(shared / f.name, f) for f in (tmp_path / "shared").iterdir()]
    pairs += [(DATA / f.name, f) for f in tmp_path.glob("*.csv*")]
    assert len(pairs) >= 9 + 15
    for stored, made in pairs:
        a = pd.read_csv(stored, index_col=0)
        b = pd.read_csv(made, index_col=0)
        assert a.shape == b.shape, stored.name
        numeric = a.select_dtypes("number").columns
        np.testing.assert_allclose(
            a[numeric].to_numpy(float), b[numeric].to_numpy(float), rtol=1e-9, err_msg=stored.name
        )
