"""Count-matrix quality control: PCA against DESeq2's plotPCA, outlier rules on seeded data.

Reference: tests/data/rnaseq/pasilla_plotpca*.csv, made by
tests/reference/deseq2_plotpca.R (DESeq2 1.38 ``plotPCA`` on the blind
``varianceStabilizingTransformation`` of the pasilla counts).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resistlab.errors import AnalysisError, InputError
from resistlab.rnaseq import qc as qc_module
from resistlab.rnaseq.normalization import size_factors
from resistlab.rnaseq.qc import CountQC, QCWarning, count_qc
from resistlab.rnaseq.transform import variance_stabilizing_transformation

DATA = Path(__file__).resolve().parents[1] / "data" / "rnaseq"


def simulate(
    seed: int,
    *,
    per_group: int = 4,
    n_groups: int = 2,
    n_genes: int = 2000,
    dispersion: float = 0.1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Negative-binomial counts of `n_groups` groups that differ in 10 % of genes."""
    rng = np.random.default_rng(seed)
    base = rng.lognormal(4.0, 1.8, n_genes)
    columns, labels = [], []
    for g in range(n_groups):
        lfc = np.zeros(n_genes)
        if g:
            changed = rng.choice(n_genes, n_genes // 10, replace=False)
            lfc[changed] = rng.normal(0.0, 1.5, changed.size)
        for _ in range(per_group):
            mu = base * 2.0**lfc * rng.uniform(0.6, 1.6)
            columns.append(rng.negative_binomial(1 / dispersion, 1 / (1 + dispersion * mu)))
            labels.append(f"group{g}")
    names = [f"s{i}" for i in range(len(columns))]
    counts = pd.DataFrame(
        np.column_stack(columns), index=[f"G{i:04d}" for i in range(n_genes)], columns=names
    )
    return counts, pd.DataFrame({"condition": labels}, index=names)


def scramble(counts: pd.DataFrame, sample: str, seed: int) -> pd.DataFrame:
    """Replace one library by random counts: its own counts dealt to random genes."""
    out = counts.copy()
    out[sample] = np.random.default_rng(seed).permutation(out[sample].to_numpy())
    return out


# --- PCA and correlation ---------------------------------------------------------------


@pytest.mark.reference
def test_pca_matches_deseq2_plotpca(reference_dir: Path) -> None:
    pasilla = reference_dir / "rnaseq" / "pasilla"
    counts = pd.read_csv(pasilla / "pasilla_counts.csv", index_col=0)
    meta = pd.read_csv(pasilla / "pasilla_metadata.csv", index_col=0)
    theirs = pd.read_csv(DATA / "pasilla_plotpca.csv", index_col="sample")
    percent = pd.read_csv(DATA / "pasilla_plotpca_percentvar.csv", index_col="component")

    qc = count_qc(counts, samples=meta, group="condition")

    assert qc.transform == "vst"
    assert qc.n_top == 500
    for pc in ("PC1", "PC2"):
        ours = qc.pca.loc[theirs.index, pc]
        sign = np.sign(ours @ theirs[pc])  # a component's sign is arbitrary
        # our blind VST agrees with DESeq2's to ~7e-4 (log2); the scores span ~20 units
        assert np.max(np.abs(sign * ours - theirs[pc])) < 0.05
        assert abs(qc.variance_explained[pc] - percent.loc[pc, "percentVar"]) < 0.5
    # the two conditions separate on PC1, as in the DESeq2 vignette
    pc1 = qc.pca["PC1"]
    assert np.sign(pc1[meta["condition"] == "treated"]).nunique() == 1
    assert qc.outliers == ()


def test_pca_is_prcomp_on_the_most_variable_genes() -> None:
    counts, _ = simulate(1)
    vst = variance_stabilizing_transformation(counts)
    qc = count_qc(counts, vst=vst, n_top=300)

    variance = vst.var(axis=1, ddof=1)
    top = variance.sort_values(ascending=False, kind="stable").index[:300]
    assert list(qc.loadings.index) == list(top)
    x = vst.loc[top].T.to_numpy()
    centred = x - x.mean(axis=0)
    # scores are the centred data projected on orthonormal loadings
    np.testing.assert_allclose(qc.pca.to_numpy(), centred @ qc.loadings.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(
        qc.loadings.T.to_numpy() @ qc.loadings.to_numpy(), np.eye(7), atol=1e-9
    )
    # N - 1 components; variance as prcomp's sdev^2, in percent of the total
    assert list(qc.pca.columns) == [f"PC{k}" for k in range(1, 8)]
    sdev2 = np.linalg.svd(centred, compute_uv=False) ** 2 / (x.shape[0] - 1)
    np.testing.assert_allclose(qc.variance_explained, 100 * sdev2[:7] / sdev2.sum())
    assert qc.variance_explained.sum() == pytest.approx(100.0)
    assert np.all(np.diff(qc.variance_explained) <= 0)
    # sign convention: each component's largest loading is positive
    loadings = qc.loadings.to_numpy()
    assert np.all(loadings[np.argmax(np.abs(loadings), axis=0), np.arange(7)] > 0)


def test_correlation_is_pearson_over_the_top_genes() -> None:
    counts, _ = simulate(2)
    vst = variance_stabilizing_transformation(counts)
    qc = count_qc(counts, vst=vst, n_top=200)
    top = vst.loc[qc.loadings.index]
    np.testing.assert_allclose(qc.correlation.to_numpy(), np.corrcoef(top.T.to_numpy()))
    assert list(qc.correlation.index) == list(counts.columns)
    assert qc.transform == "given"


def test_blind_vst_is_the_default() -> None:
    counts, _ = simulate(3)
    default = count_qc(counts)
    given = count_qc(counts, vst=variance_stabilizing_transformation(counts))
    pd.testing.assert_frame_equal(default.pca, given.pca)
    assert default.transform == "vst"


# --- per-sample measures ---------------------------------------------------------------


def test_per_sample_measures() -> None:
    counts, _ = simulate(4, n_genes=400)
    counts.loc[counts["s2"] < 10, "s2"] = 0  # fewer genes detected
    qc = count_qc(counts)
    assert qc.outliers == ()
    t = qc.table
    np.testing.assert_array_equal(t["library_size"], counts.sum(axis=0))
    assert t["library_size"].dtype == np.int64
    np.testing.assert_array_equal(t["detected_genes"], (counts > 0).sum(axis=0))
    s2 = counts["s2"].sort_values(ascending=False)
    assert t.loc["s2", "top100_percent"] == pytest.approx(100 * s2.iloc[:100].sum() / s2.sum())
    np.testing.assert_allclose(t["size_factor"], size_factors(counts.to_numpy()))
    for s in counts.columns:
        others = qc.correlation.loc[s].drop(s)
        assert t.loc[s, "median_correlation"] == pytest.approx(others.median())
    assert t["group_distance"].isna().all()


def test_to_frame_has_one_row_per_sample() -> None:
    counts, sheet = simulate(5)
    qc = count_qc(counts, samples=sheet, group="condition")
    frame = qc.to_frame()
    assert list(frame["sample"]) == list(counts.columns)
    assert list(frame.columns[:3]) == ["sample", "group", "library_size"]
    assert list(frame.columns[-2:]) == ["outlier", "outlier_reason"]
    assert {"detected_genes", "top100_percent", "size_factor", "PC1", "PC2"} <= set(frame)
    assert frame["outlier"].dtype == bool
    assert list(frame["group"]) == list(sheet["condition"])
    assert list(qc.groups) == list(sheet["condition"])


def test_inputs_are_not_modified() -> None:
    counts, sheet = simulate(6)
    before, sheet_before = counts.copy(), sheet.copy()
    qc = count_qc(counts, samples=sheet, group="condition")
    pd.testing.assert_frame_equal(counts, before)
    pd.testing.assert_frame_equal(sheet, sheet_before)
    with pytest.raises(AttributeError):
        qc.n_top = 3  # type: ignore[misc]


# --- outlier rules -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("group", [None, "condition"])
def test_clean_data_flags_no_sample(seed: int, group: str | None) -> None:
    counts, sheet = simulate(100 + seed, per_group=3 + seed % 3, dispersion=(0.05, 0.2)[seed % 2])
    qc = count_qc(counts, samples=sheet, group=group)
    assert qc.outliers == ()
    assert (qc.table["outlier_reason"] == "").all()


def test_scrambled_library_is_flagged_for_low_correlation() -> None:
    counts, _ = simulate(7)
    bad = scramble(counts, "s5", seed=8)
    qc = count_qc(bad)
    assert qc.outliers == ("s5",)
    reason = qc.table.loc["s5", "outlier_reason"]
    assert reason.startswith("low correlation: median correlation ")
    assert "with the other samples is below" in reason
    value, cutoff = (float(v) for v in re.findall(r"-?\d\.\d{3}", reason)[:2])
    assert value == pytest.approx(qc.table.loc["s5", "median_correlation"], abs=5e-4)
    assert value < cutoff
    assert "small library" not in reason  # its library is as large as ever


def test_scrambled_library_is_far_from_its_group() -> None:
    counts, sheet = simulate(9, per_group=3)
    bad = scramble(counts, "s1", seed=10)
    qc = count_qc(bad, samples=sheet, group="condition")
    assert qc.outliers == ("s1",)
    reason = qc.table.loc["s1", "outlier_reason"]
    assert "far from its group: distance" in reason
    assert "group 'group0'" in reason
    # its partners in the group of three are not implicated
    assert qc.table.loc[["s0", "s2"], "outlier_reason"].eq("").all()
    d = qc.table["group_distance"]
    assert d["s1"] > 1.5 * d.median()


def test_swapped_label_is_far_from_its_group() -> None:
    counts, sheet = simulate(11, per_group=5, dispersion=0.05)
    swapped = sheet.copy()
    swapped.loc["s0", "condition"] = "group1"  # s0 belongs to group0
    qc = count_qc(counts, samples=swapped, group="condition")
    assert "s0" in qc.outliers
    assert "far from its group" in qc.table.loc["s0", "outlier_reason"]
    # without the (wrong) groups, nothing is unusual
    assert count_qc(counts).outliers == ()


def test_tiny_library_is_flagged() -> None:
    counts, _ = simulate(12)
    rng = np.random.default_rng(13)
    small = counts.copy()
    small["s3"] = rng.binomial(counts["s3"].to_numpy(), 0.05)  # 1 read in 20 sequenced
    qc = count_qc(small)
    assert "s3" in qc.outliers
    reason = qc.table.loc["s3", "outlier_reason"]
    median = np.median(small.sum(axis=0))
    assert reason.startswith(f"small library: {small['s3'].sum():,} counts, below 1/5")
    assert f"median library size {median:,.0f}" in reason
    assert f"cutoff {median / 5:,.0f}" in reason


def test_empty_library_is_set_aside() -> None:
    counts, _ = simulate(14)
    empty = counts.copy()
    empty["s2"] = 0
    qc = count_qc(empty)
    assert qc.table.loc["s2", "outlier_reason"] == "empty library: no counts"
    assert qc.pca.loc["s2"].isna().all()
    assert qc.correlation.loc["s2"].isna().all()
    assert qc.pca.drop(index="s2").notna().all().all()
    assert qc.outliers == ("s2",)


def test_small_groups_are_not_judged_within_group() -> None:
    counts, sheet = simulate(15, per_group=2, n_groups=3)
    qc = count_qc(counts, samples=sheet, group="condition")
    assert qc.table["group_distance"].isna().all()
    assert qc.table["median_correlation"].isna().all()
    assert qc.outliers == ()


def test_failed_vst_falls_back_to_log_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    counts, _ = simulate(16, n_genes=300)

    def fail(_counts: pd.DataFrame) -> pd.DataFrame:
        raise AnalysisError("parametric dispersion trend did not converge")

    monkeypatch.setattr(qc_module, "variance_stabilizing_transformation", fail)
    with pytest.warns(QCWarning, match=r"did not converge\); quality control uses log2"):
        qc = count_qc(counts)
    assert qc.transform == "log2"
    sf = size_factors(counts.to_numpy())
    logged = np.log2(counts / sf + 1)
    top = logged.loc[qc.loadings.index]
    np.testing.assert_allclose(qc.correlation.to_numpy(), np.corrcoef(top.T.to_numpy()))


# --- bad input ---------------------------------------------------------------------------


def test_bad_input_is_named() -> None:
    counts, sheet = simulate(17, n_genes=200)
    with pytest.raises(InputError, match="group='condition' needs the sample sheet"):
        count_qc(counts, group="condition")
    with pytest.raises(InputError, match="group 'batch' is not a column"):
        count_qc(counts, samples=sheet, group="batch")
    with pytest.raises(InputError, match=r"sample\(s\) \['s7'\] of the count matrix are missing"):
        count_qc(counts, samples=sheet.drop(index="s7"), group="condition")
    negative = counts.copy()
    negative.iloc[3, 1] = -1
    with pytest.raises(InputError, match=r"gene 'G0003', sample 's1': count .*-1"):
        count_qc(negative)
    with pytest.raises(InputError, match="counts has 1 sample"):
        count_qc(counts[["s0"]])
    with pytest.raises(InputError, match=r"vst lacks sample\(s\) \['s4'\]"):
        count_qc(counts, vst=np.log2(counts + 1).drop(columns="s4"))
    with pytest.raises(TypeError, match="counts must be a DataFrame"):
        count_qc(counts.to_numpy())  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="only 1 sample"):
        count_qc(counts[["s0", "s1"]].assign(s1=0))


def test_result_type() -> None:
    counts, _ = simulate(18, n_genes=300)
    assert isinstance(count_qc(counts), CountQC)
