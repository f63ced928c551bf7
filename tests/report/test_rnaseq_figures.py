"""RNA-seq figures: what was drawn, checked against the results, QC and fits given.

Artists carry a ``gid`` ("genes", "called", "clipped", "highlight:<name>",
"label", "samples", "outliers", "correlation", "gene_wise", "trend", ...), so
the tests read back exactly what a figure shows.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from scipy import stats
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from resistlab.report import save_figure
from resistlab.report._style import WARNING_COLOR
from resistlab.report.rnaseq_figures import (
    DOWN_COLOR,
    HIGHLIGHT_COLORS,
    UP_COLOR,
    correlation_figure,
    dispersion_figure,
    gsea_figure,
    library_figure,
    ma_figure,
    pca_figure,
    volcano_figure,
)
from resistlab.rnaseq import DESeqFit, deseq, gsea_prerank
from resistlab.rnaseq._rcompat import p_adjust_bh
from resistlab.rnaseq.qc import CountQC, count_qc

RTKS = ["EGFR", "ERBB2", "ERBB3", "MET", "AXL"]
STAT3_TARGETS = ["SOCS3", "BCL3", "JUNB", "MYC", "NOT_MEASURED"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """DESeq2-style results for 3,000 genes: 150 up, 100 down, some without p-values."""
    rng = np.random.default_rng(31)
    n = 3000
    genes = [*RTKS, *STAT3_TARGETS[:-1], *(f"G{i:04d}" for i in range(n - 9))]
    lfc = rng.normal(0.0, 0.35, n)
    lfc[:150] = rng.normal(2.2, 0.8, 150)  # the RTKs, STAT3 targets and more: up
    lfc[150:250] = rng.normal(-2.0, 0.7, 100)
    lfc_se = rng.uniform(0.15, 0.5, n)
    stat = lfc / lfc_se
    pvalue = 2 * stats.norm.sf(np.abs(stat))
    pvalue[[3, 160]] = 0.0  # underflow, as DESeq2 gives for the strongest genes
    base_mean = rng.lognormal(5.0, 2.0, n)
    pvalue[-40:] = np.nan  # Cook's outliers / all-zero genes: no p-value
    base_mean[-10:] = 0.0
    lfc[-10:] = np.nan
    padj = p_adjust_bh(pvalue)
    return pd.DataFrame(
        {
            "baseMean": base_mean,
            "log2FoldChange": lfc,
            "lfcSE": lfc_se,
            "stat": stat,
            "pvalue": pvalue,
            "padj": padj,
        },
        index=genes,
    )


def simulate_counts(seed: int, n_genes: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    base = rng.lognormal(4.5, 1.5, n_genes)
    lfc = np.zeros(n_genes)
    lfc[:60] = rng.normal(0.0, 2.0, 60)
    columns = []
    for g in range(2):
        for _ in range(4):
            mu = base * 2.0 ** (lfc * g) * rng.uniform(0.7, 1.4)
            columns.append(rng.negative_binomial(10, 10 / (10 + mu)))
    names = ["par1", "par2", "par3", "par4", "res1", "res2", "res3", "res4"]
    counts = pd.DataFrame(
        np.column_stack(columns), index=[f"G{i:04d}" for i in range(n_genes)], columns=names
    )
    sheet = pd.DataFrame({"condition": ["parental"] * 4 + ["resistant"] * 4}, index=names)
    return counts, sheet


@pytest.fixture(scope="module")
def fit() -> DESeqFit:
    counts, sheet = simulate_counts(41)
    return deseq(counts, sheet, "~ condition", reference={"condition": "parental"})


@pytest.fixture(scope="module")
def qc() -> CountQC:
    """Eight samples in two groups; res2 scrambled, par3 a tenth of a library."""
    counts, sheet = simulate_counts(42, n_genes=1500)
    rng = np.random.default_rng(43)
    counts["res2"] = rng.permutation(counts["res2"].to_numpy())
    counts["par3"] = rng.binomial(counts["par3"].to_numpy(), 0.1)
    return count_qc(counts, samples=sheet, group="condition")


def _collections(ax: Axes, gid: str) -> list[PathCollection]:
    return [c for c in ax.collections if c.get_gid() == gid]


def _points(ax: Axes, gid: str) -> np.ndarray:
    found = [c.get_offsets() for c in _collections(ax, gid)]
    return np.concatenate(found) if found else np.empty((0, 2))


def _texts(ax: Axes, gid: str) -> list:
    return [t for t in ax.texts if t.get_gid() == gid]


def _legend(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def _render(figure: Figure) -> None:
    FigureCanvasAgg(figure).draw()


# --------------------------------------------------------------------------- volcano


def test_volcano_draws_every_gene_with_a_p_value(table: pd.DataFrame) -> None:
    figure = volcano_figure(table, alpha=0.05, lfc_threshold=1.0)
    _render(figure)
    ax = figure.axes[0]
    shown = table["log2FoldChange"].notna() & table["pvalue"].notna()
    drawn = np.concatenate([_points(ax, "genes"), _points(ax, "clipped")])
    assert len(drawn) == shown.sum()
    # every finite point where it belongs: (LFC, -log10 p)
    plain = _points(ax, "genes")
    expected = table[shown & (table["pvalue"] > 0)]
    np.testing.assert_allclose(np.sort(plain[:, 0]), np.sort(expected["log2FoldChange"].to_numpy()))
    np.testing.assert_allclose(
        np.sort(plain[:, 1]), np.sort(-np.log10(expected["pvalue"].to_numpy()))
    )
    # p = 0 sits at the top as a triangle
    clipped = _points(ax, "clipped")
    assert len(clipped) == 2
    assert np.all(clipped[:, 1] > plain[:, 1].max())
    called = shown & (table["padj"] < 0.05) & (table["log2FoldChange"].abs() >= 1.0)
    up = int((called & (table["log2FoldChange"] > 0)).sum())
    down = int((called & (table["log2FoldChange"] < 0)).sum())
    assert _legend(ax)[:3] == [
        f"up ({up})",
        f"down ({down})",
        f"not called ({shown.sum() - up - down})",
    ]
    colours = [
        to_hex(c.get_facecolor()[0]) for c in _collections(ax, "genes") if len(c.get_offsets())
    ]
    assert UP_COLOR.lower() in colours and DOWN_COLOR.lower() in colours
    # thresholds: |LFC| = 1 and the largest p-value with padj < alpha
    verticals = sorted(
        line.get_xdata()[0] for line in ax.lines if line.get_gid() == "lfc_threshold"
    )
    assert verticals == [-1.0, 1.0]
    (fdr_line,) = [line for line in ax.lines if line.get_gid() == "fdr_line"]
    largest = table.loc[table["padj"] < 0.05, "pvalue"].max()
    assert fdr_line.get_ydata()[0] == pytest.approx(-np.log10(largest))


def test_volcano_highlights_gene_groups_in_the_legend(table: pd.DataFrame) -> None:
    figure = volcano_figure(
        table, highlight={"RTKs": RTKS, "STAT3 targets": STAT3_TARGETS}, label=0
    )
    ax = figure.axes[0]
    legend = _legend(ax)
    assert "RTKs (5)" in legend
    assert "STAT3 targets (4 of 5)" in legend  # one is not in the table
    for k, (name, genes) in enumerate((("RTKs", RTKS), ("STAT3 targets", STAT3_TARGETS[:-1]))):
        (collection,) = _collections(ax, f"highlight:{name}")
        got = collection.get_offsets()
        np.testing.assert_allclose(
            np.sort(got[:, 0]), np.sort(table.loc[genes, "log2FoldChange"].to_numpy())
        )
        finite = table.loc[genes, "pvalue"].to_numpy() > 0  # MET's p = 0 sits at the top
        np.testing.assert_allclose(
            np.sort(got[:, 1])[: finite.sum()],
            np.sort(-np.log10(table.loc[genes, "pvalue"].to_numpy()[finite])),
        )
        assert to_hex(collection.get_facecolor()[0]) == HIGHLIGHT_COLORS[k].lower()
    # called members of the groups are named even with label=0
    labelled = {t.get_text() for t in _texts(ax, "label")}
    called = table.index[(table["padj"] < 0.1) & (table["log2FoldChange"].abs() >= 1)]
    assert labelled == {g for g in RTKS + STAT3_TARGETS if g in called}


def test_volcano_labels_the_top_genes_by_padj_without_overlap(table: pd.DataFrame) -> None:
    figure = volcano_figure(table, label=8)
    _render(figure)
    ax = figure.axes[0]
    labels = _texts(ax, "label")
    called = table[(table["padj"] < 0.1) & (table["log2FoldChange"].abs() >= 1)]
    top = called.sort_values(["padj", "pvalue"], kind="stable").index[:8]
    assert [t.get_text() for t in labels] == list(top)
    boxes = [t.get_window_extent() for t in labels]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    axes_box = ax.get_window_extent()
    assert all(axes_box.contains(b.x0, b.y0) and axes_box.contains(b.x1, b.y1) for b in boxes)


def test_volcano_takes_deseq_results_and_checks_input(fit: DESeqFit) -> None:
    res = fit.results(("condition", "resistant", "parental"))
    figure = volcano_figure(res, lfc_threshold=0.0)
    ax = figure.axes[0]
    (subtitle,) = _texts(ax, "subtitle")
    assert subtitle.get_text().startswith("condition resistant vs parental: ")
    assert not [line for line in ax.lines if line.get_gid() == "lfc_threshold"]
    assert len(_points(ax, "genes")) == res.table["pvalue"].notna().sum()
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        volcano_figure(res, alpha=1.5)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['padj'\]"):
        volcano_figure(res.table.drop(columns="padj"))
    with pytest.raises(TypeError, match="results must be DEResults or its table"):
        volcano_figure(res.table.to_numpy())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- MA


def test_ma_draws_genes_with_counts_and_clips_at_the_edge(table: pd.DataFrame) -> None:
    figure = ma_figure(table, alpha=0.1)
    _render(figure)
    ax = figure.axes[0]
    shown = (table["baseMean"] > 0) & table["log2FoldChange"].notna()
    lfc = table.loc[shown, "log2FoldChange"]
    limit = 1.1 * np.quantile(lfc.abs(), 0.99)
    assert ax.get_ylim() == pytest.approx((-limit, limit))
    assert ax.get_xscale() == "log"
    inside = np.concatenate([_points(ax, "genes"), _points(ax, "called")])
    clipped = _points(ax, "clipped")
    assert len(inside) + len(clipped) == shown.sum()
    assert len(clipped) == (lfc.abs() > limit).sum() > 0
    np.testing.assert_allclose(np.abs(clipped[:, 1]), limit)
    # triangles point out of the range: up at the top, down at the bottom
    for collection in _collections(ax, "clipped"):
        ys = collection.get_offsets()[:, 1]
        if len(ys):
            vertices = collection.get_paths()[0].vertices
            apex = vertices[np.isclose(vertices[:, 0], 0.0), 1][0]
            assert np.all(np.sign(ys) == np.sign(apex))
    called = (
        shown & (table["padj"] < 0.1) & (lfc.abs() <= limit).reindex(table.index, fill_value=False)
    )
    assert len(_points(ax, "called")) == called.sum()
    assert f"padj < 0.1 ({int((shown & (table['padj'] < 0.1)).sum())})" in _legend(ax)


def test_ma_respects_a_given_range() -> None:
    frame = pd.DataFrame(
        {
            "baseMean": [5.0, 50.0, 500.0],
            "log2FoldChange": [3.0, -0.5, -4.0],
            "padj": [0.01, 0.6, 0.02],
        }
    )
    ax = ma_figure(frame, ylim=2.0).axes[0]
    clipped = _points(ax, "clipped")
    assert sorted(clipped[:, 1]) == [-2.0, 2.0]
    with pytest.raises(ValueError, match="ylim must be positive"):
        ma_figure(frame, ylim=0.0)


# --------------------------------------------------------------------------- QC


def test_pca_axes_carry_the_variance_of_the_qc(qc: CountQC) -> None:
    figure = pca_figure(qc)
    _render(figure)
    ax = figure.axes[0]
    var = qc.variance_explained
    assert ax.get_xlabel() == f"PC1: {var['PC1']:.1f}% variance"
    assert ax.get_ylabel() == f"PC2: {var['PC2']:.1f}% variance"
    drawn = _points(ax, "samples")
    np.testing.assert_allclose(
        np.sort(drawn, axis=0), np.sort(qc.pca[["PC1", "PC2"]].to_numpy(), axis=0)
    )
    legend = _legend(ax)
    assert legend == ["parental (4)", "resistant (4)", "outlier"]
    ringed = _points(ax, "outliers")
    assert set(qc.outliers) == {"res2", "par3"}
    np.testing.assert_allclose(
        np.sort(ringed, axis=0), np.sort(qc.pca.loc[list(qc.outliers), ["PC1", "PC2"]], axis=0)
    )
    labels = {t.get_text(): t for t in _texts(ax, "label")}
    assert set(labels) == set(qc.table.index)
    assert labels["res2"].get_color() == WARNING_COLOR
    assert labels["par1"].get_color() != WARNING_COLOR


def test_pca_other_components_and_groupings(qc: CountQC) -> None:
    ax = pca_figure(qc, components=(1, 3), label=False).axes[0]
    assert ax.get_ylabel() == f"PC3: {qc.variance_explained['PC3']:.1f}% variance"
    assert {t.get_text() for t in _texts(ax, "label")} == set(qc.outliers)
    batches = {s: ("A" if i % 2 else "B") for i, s in enumerate(qc.table.index)}
    ax = pca_figure(qc, group=batches).axes[0]
    assert _legend(ax)[:2] == ["B (4)", "A (4)"]
    with pytest.raises(ValueError, match="group 'batch' is not the grouping of this QC"):
        pca_figure(qc, group="batch")
    with pytest.raises(ValueError, match="components must be two numbers from 1 to 7"):
        pca_figure(qc, components=(1, 8))


def _heat_axes(figure: Figure) -> Axes:
    (ax,) = [a for a in figure.axes if any(i.get_gid() == "correlation" for i in a.images)]
    return ax


def test_correlation_heatmap_is_clustered_and_labelled(qc: CountQC) -> None:
    figure = correlation_figure(qc)
    _render(figure)
    ax = _heat_axes(figure)
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert sorted(names) == sorted(qc.table.index)
    image = ax.images[0].get_array()
    np.testing.assert_allclose(image, qc.correlation.loc[names, names].to_numpy())
    # the order is scipy's average-linkage clustering of 1 - r
    distance = squareform(1.0 - qc.correlation.to_numpy(), checks=False)
    linkage = hierarchy.optimal_leaf_ordering(
        hierarchy.linkage(distance, method="average"), distance
    )
    expected = [qc.table.index[i] for i in hierarchy.leaves_list(linkage)]
    assert names == expected
    assert len(_texts(ax, "cell_value")) == 64
    assert any(a.get_ylabel() == "Pearson r" for a in figure.axes)  # colour bar
    outliers = {t.get_text() for t in ax.get_xticklabels() if t.get_color() == WARNING_COLOR}
    assert outliers == set(qc.outliers)
    assert any(line.get_gid() == "dendrogram" for a in figure.axes for line in a.lines)


def test_library_bars_show_sizes_and_detected_genes(qc: CountQC) -> None:
    figure = library_figure(qc)
    _render(figure)
    lib_ax, det_ax = figure.axes[:2]
    widths = [p.get_width() for p in lib_ax.containers[0]]
    np.testing.assert_allclose(widths, qc.table["library_size"] / 1e6)
    np.testing.assert_allclose(
        [p.get_width() for p in det_ax.containers[0]], qc.table["detected_genes"]
    )
    (cutoff,) = [line for line in lib_ax.lines if line.get_gid() == "cutoff"]
    assert cutoff.get_xdata()[0] == pytest.approx(np.median(qc.table["library_size"]) / 5e6)
    names = [t.get_text() for t in lib_ax.get_yticklabels()]
    assert names == list(qc.table.index)
    flagged = {t.get_text() for t in lib_ax.get_yticklabels() if t.get_color() == WARNING_COLOR}
    assert flagged == set(qc.outliers)
    assert "1/5 of median" in _legend(det_ax)


def test_qc_figures_need_a_count_qc() -> None:
    for function in (pca_figure, correlation_figure, library_figure):
        with pytest.raises(TypeError, match="qc must be a CountQC"):
            function(pd.DataFrame())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- dispersions


def test_dispersion_plot_is_deseq2s_plotdispests(fit: DESeqFit) -> None:
    figure = dispersion_figure(fit)
    _render(figure)
    ax = figure.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    used = (fit.base_mean > 0) & np.isfinite(fit.disp_gene_est)
    gene_wise = np.concatenate([_points(ax, "gene_wise"), _points(ax, "gene_wise_below")])
    assert len(gene_wise) == used.sum()
    final = np.concatenate([_points(ax, "final"), _points(ax, "final_outlier")])
    np.testing.assert_allclose(np.sort(final[:, 1]), np.sort(fit.dispersion[used]))
    assert len(_points(ax, "final_outlier")) == fit.disp_outlier[used].sum()
    (trend,) = [line for line in ax.lines if line.get_gid() == "trend"]
    x, y = trend.get_data()
    np.testing.assert_allclose(y, fit.trend(np.asarray(x)))
    assert to_hex(trend.get_color()) == UP_COLOR.lower()  # the red line
    assert to_hex(_collections(ax, "gene_wise")[0].get_facecolor()[0]) == "#000000"
    assert _legend(ax)[:3] == ["gene-wise estimate", "fitted trend", "final estimate"]


# --------------------------------------------------------------------------- GSEA


def test_gsea_figure_draws_the_running_sum_and_hits() -> None:
    rng = np.random.default_rng(51)
    genes = [f"G{i}" for i in range(1000)]
    ranking = pd.Series(rng.normal(size=1000), index=genes)
    members = list(rng.choice(genes, 40, replace=False))
    ranking[members] += 1.5
    result = gsea_prerank(ranking, {"resistance up": members}, permutations=100)
    figure = gsea_figure(result, "resistance up")
    _render(figure)
    es_ax, hit_ax, rank_ax = figure.axes
    (line,) = [line for line in es_ax.lines if line.get_gid() == "running_sum"]
    np.testing.assert_allclose(line.get_ydata(), result.running_sum("resistance up"))
    (es_line,) = [line for line in es_ax.lines if line.get_gid() == "es"]
    assert es_line.get_ydata()[0] == pytest.approx(result.es[0])
    (hits,) = [c for c in hit_ax.collections if c.get_gid() == "hits"]
    assert len(hits.get_segments()) == 40
    positions = sorted(seg[0][0] for seg in hits.get_segments())
    ranked = list(result.ranking.index)
    assert positions == sorted(ranked.index(g) for g in members)
    assert es_ax.get_title(loc="left") == "resistance up"
    assert {c.get_gid() for c in rank_ax.collections} >= {"ranking_up", "ranking_down"}
    with pytest.raises(KeyError, match="was not tested"):
        gsea_figure(result, "other")


# --------------------------------------------------------------------------- rendering


def test_every_figure_saves_as_png(
    tmp_path: Path, table: pd.DataFrame, fit: DESeqFit, qc: CountQC
) -> None:
    ranking = table["stat"].dropna()
    result = gsea_prerank(ranking, {"up": list(ranking.index[:60])}, permutations=50)
    figures = {
        "volcano": volcano_figure(table, highlight={"RTKs": RTKS}),
        "ma": ma_figure(table),
        "pca": pca_figure(qc),
        "correlation": correlation_figure(qc),
        "library": library_figure(qc),
        "dispersion": dispersion_figure(fit),
        "gsea": gsea_figure(result, "up"),
    }
    for name, figure in figures.items():
        path = save_figure(figure, tmp_path / f"{name}.png", dpi=80)
        assert path.stat().st_size > 5_000
