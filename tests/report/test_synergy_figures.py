"""Combination figures: what was drawn, checked against the matrices and scores given.

Artists carry a ``gid`` ("well_value", "no_value", "matrix", "synergy_area",
"wells", "additivity", "combinations", "additive_line", ...), so the tests
read back exactly what a figure shows.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from resistlab.report import save_figure
from resistlab.report.synergy_figures import (
    MIN_SYNERGY_RANGE,
    _filled,
    _interpolated,
    _log_positions,
    plot_fa_ci,
    plot_isobologram,
    plot_response_heatmap,
    plot_synergy_contour,
    plot_synergy_heatmap,
    synergy_surface_html,
)
from resistlab.synergy import DoseMatrices, matrices_from_frame
from resistlab.units import format_molar

#: Block "R": 5 ruxolitinib x 6 defactinib doses (non-square), 2 replicates, one well
#: missing in both; block "S": 3 x 3, one replicate (padded to 5 x 6).
DOSES1 = np.array([0.0, 0.1, 0.3, 1.0, 3.0]) * 1e-6
DOSES2 = np.array([0.0, 0.01, 0.03, 0.1, 0.3, 1.0]) * 1e-6
MISSING = (2, 4)


def _surface(rows: int, cols: int) -> np.ndarray:
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    return np.round(7.3 * i + 9.1 * j + 0.37 * i * j, 2)


@pytest.fixture(scope="module")
def matrices() -> DoseMatrices:
    records = []
    truth = _surface(5, 6)
    for shift in (-1.0, 1.0):
        for i, c1 in enumerate(DOSES1):
            for j, c2 in enumerate(DOSES2):
                if (i, j) == MISSING:
                    continue
                records.append(("R", "ruxolitinib", "defactinib", c1, c2, truth[i, j] + shift))
    small = np.array([[0.0, 12.0, 30.0], [21.0, 40.0, 61.0], [48.0, 70.0, 104.0]])
    for i, c1 in enumerate([0.0, 5e-8, 5e-7]):
        for j, c2 in enumerate([0.0, 1e-8, 1e-7]):
            records.append(("S", "Stattic", "defactinib", c1, c2, small[i, j]))
    frame = pd.DataFrame(
        records, columns=["block_id", "drug1", "drug2", "conc1", "conc2", "response"]
    )
    return matrices_from_frame(frame, kind="inhibition", conc_unit=None, default_unit="M")


@pytest.fixture(scope="module")
def scores(matrices) -> np.ndarray:
    """Synergy scores (B, R, C): 0 on the monotherapies, a synergy peak, some antagonism."""
    out = np.full(matrices.mean_response.shape, np.nan)
    r = np.zeros((5, 6))
    r[1:, 1:] = [
        [1.5, -3.2, 4.0, 2.2, -0.5],
        [6.1, 12.4, 18.9, 9.0, 1.1],
        [3.3, 15.7, 22.6, 14.1, -2.0],
        [-4.4, -8.8, 2.5, -1.0, -12.3],
    ]
    r[MISSING] = np.nan
    out[0] = r
    out[1, :3, :3] = [[0, 0, 0], [0, 5.5, -2.25], [0, -7.0, 3.0]]
    return out


def _texts(figure: Figure, gid: str) -> list:
    return [t for t in figure.axes[0].texts if t.get_gid() == gid]


def _artist(figure: Figure, gid: str, kind: str = "lines"):
    found = [a for a in getattr(figure.axes[0], kind) if a.get_gid() == gid]
    assert len(found) == 1, f"expected one {gid!r}, found {len(found)}"
    return found[0]


def _render(figure: Figure) -> None:
    FigureCanvasAgg(figure).draw()


# --------------------------------------------------------------------------- heat maps


def test_response_heatmap_annotates_every_well_with_its_mean(matrices):
    figure = plot_response_heatmap(matrices, block="R")
    _render(figure)
    ax = figure.axes[0]
    mean = matrices.mean_response[0]
    shown = {
        (round(t.get_position()[1]), round(t.get_position()[0])): t
        for t in _texts(figure, "well_value")
    }
    assert len(shown) == 5 * 6 - 1
    for (i, j), text in shown.items():
        assert float(text.get_text()) == pytest.approx(mean[i, j], abs=0.05)
        assert text.get_text() == f"{mean[i, j]:.1f}"
    (missing,) = _texts(figure, "no_value")
    assert missing.get_position() == (MISSING[1], MISSING[0])
    image = ax.get_images()[0]
    np.testing.assert_array_equal(image.get_array().filled(np.nan), mean)
    assert (image.norm.vmin, image.norm.vmax) == (0.0, 100.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", *map(format_molar, DOSES2[1:])]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", *map(format_molar, DOSES1[1:])]
    assert ax.get_xlabel() == "defactinib" and ax.get_ylabel() == "ruxolitinib"
    # drug 1 increases upwards: row 0 (dose 0) at the bottom
    assert image.origin == "lower"


def test_response_heatmap_selects_a_block_and_trims_its_padding(matrices):
    by_position = plot_response_heatmap(matrices, block=1)
    by_id = plot_response_heatmap(matrices, block="S")
    for figure in (by_position, by_id):
        image = figure.axes[0].get_images()[0]
        assert image.get_array().shape == (3, 3)
        values = sorted(float(t.get_text()) for t in _texts(figure, "well_value"))
        assert values == [0.0, 12.0, 21.0, 30.0, 40.0, 48.0, 61.0, 70.0, 104.0]
    colorbar = by_id.axes[1]
    assert colorbar.get_ylabel() == "% inhibition"
    with pytest.raises(ValueError, match="no block 'X'"):
        plot_response_heatmap(matrices, block="X")
    with pytest.raises(IndexError, match="out of range"):
        plot_response_heatmap(matrices, block=2)


def test_synergy_heatmap_is_centred_red_for_synergy_and_annotated(matrices, scores):
    figure = plot_synergy_heatmap(matrices, scores, block=0, title="Bliss synergy")
    _render(figure)
    image = figure.axes[0].get_images()[0]
    norm = image.norm
    assert norm.vmin == -norm.vmax
    assert norm.vmax == 25.0  # largest |score| 22.6 rounded up to 25
    centre = image.cmap(norm(0.0))
    assert min(centre[:3]) > 0.9  # white at 0
    red, blue = image.cmap(norm(20.0)), image.cmap(norm(-20.0))
    assert red[0] > red[2] and blue[2] > blue[0]
    shown = {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
        for t in _texts(figure, "well_value")
    }
    expected = scores[0]
    assert len(shown) == np.isfinite(expected).sum()
    for (i, j), text in shown.items():
        assert text == f"{expected[i, j]:.1f}"
    assert figure.axes[0].get_title(loc="left") == "Bliss synergy"
    (subtitle,) = _texts(figure, "subtitle")
    combination = np.nanmean(expected[1:, 1:])
    assert f"mean over combination wells {combination:.2f}" in subtitle.get_text()


def test_synergy_heatmap_range_never_below_the_minimum_and_vmax_is_respected(matrices, scores):
    figure = plot_synergy_heatmap(matrices, scores, block="S")
    norm = figure.axes[0].get_images()[0].norm
    assert (norm.vmin, norm.vmax) == (-MIN_SYNERGY_RANGE, MIN_SYNERGY_RANGE)
    figure = plot_synergy_heatmap(matrices, scores, block="R", vmax=15.0)
    norm = figure.axes[0].get_images()[0].norm
    assert (norm.vmin, norm.vmax) == (-15.0, 15.0)
    with pytest.raises(ValueError, match="vmax must be a positive number"):
        plot_synergy_heatmap(matrices, scores, vmax=0.0)


def test_synergy_heatmap_outlines_the_area(matrices, scores):
    figure = plot_synergy_heatmap(matrices, scores, block="R", area=(2, 2))
    outline = _artist(figure, "synergy_area", "patches")
    assert outline.get_xy() == (1.5, 1.5)  # column 2, row 2, cell edges at -0.5
    assert outline.get_width() == 3 and outline.get_height() == 3
    (subtitle,) = _texts(figure, "subtitle")
    window = scores[0, 2:5, 2:5]
    assert f"most synergistic 3×3 area (outlined) {np.nanmean(window):.2f}" in subtitle.get_text()
    with pytest.raises(ValueError, match="does not fit in the 5x6 matrix"):
        plot_synergy_heatmap(matrices, scores, block="R", area=(3, 0))
    assert not [
        p
        for p in plot_synergy_heatmap(matrices, scores).axes[0].patches
        if p.get_gid() == "synergy_area"
    ]


def test_synergy_heatmap_accepts_one_blocks_scores_and_rejects_other_shapes(matrices, scores):
    figure = plot_synergy_heatmap(matrices, scores[1, :3, :3], block="S")
    np.testing.assert_array_equal(
        figure.axes[0].get_images()[0].get_array().filled(np.nan), scores[1, :3, :3]
    )
    with pytest.raises(ValueError, match=r"synergy has shape \(4, 4\)"):
        plot_synergy_heatmap(matrices, np.zeros((4, 4)), block="S")
    with pytest.raises(TypeError, match="DoseMatrices"):
        plot_synergy_heatmap(scores, scores)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- landscapes


def test_log_positions_put_dose_zero_one_step_below():
    np.testing.assert_allclose(_log_positions(DOSES2), np.log10([10**-8.5, *DOSES2[1:]]))
    np.testing.assert_allclose(_log_positions(np.array([0.0, 1e-6])), [-7.0, -6.0])


def test_interpolation_fills_gaps_keeps_the_corners_and_does_not_overshoot(scores):
    values = scores[0]
    filled = _filled(values)
    i, j = MISSING
    neighbours = [values[i - 1, j], values[i + 1, j], values[i, j - 1], values[i, j + 1]]
    assert filled[MISSING] == pytest.approx(np.mean(neighbours))
    x, y = _log_positions(DOSES2), _log_positions(DOSES1)
    fine_x, fine_y, z = _interpolated(x, y, values)
    assert z.min() >= np.nanmin(values) - 1e-9 and z.max() <= np.nanmax(values) + 1e-9
    corners = z[[0, 0, -1, -1], [0, -1, 0, -1]]
    np.testing.assert_allclose(corners, values[[0, 0, -1, -1], [0, -1, 0, -1]])
    assert fine_x[0] == x[0] and fine_y[-1] == y[-1]


def test_synergy_contour_draws_wells_at_log_doses_on_a_centred_scale(matrices, scores):
    figure = plot_synergy_contour(matrices, scores, block="R")
    _render(figure)
    ax = figure.axes[0]
    wells = _artist(figure, "wells")
    x, y = np.meshgrid(_log_positions(DOSES2), _log_positions(DOSES1))
    measured = np.isfinite(scores[0])
    np.testing.assert_allclose(wells.get_xdata(), x[measured])
    np.testing.assert_allclose(wells.get_ydata(), y[measured])
    missing = _artist(figure, "missing_wells")
    assert missing.get_xdata().tolist() == [x[MISSING]]
    filled = next(c for c in ax.collections if c.get_gid() == "landscape")
    assert filled.norm.vmin == -filled.norm.vmax == -25.0
    np.testing.assert_allclose(filled.levels, -filled.levels[::-1])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", *map(format_molar, DOSES2[1:])]


# --------------------------------------------------------------------------- 3D surface


def _plot_call(html: str, div_id: str) -> tuple[list, dict]:
    call = re.search(rf'Plotly\.newPlot\(\s*"{re.escape(div_id)}",\s*', html)
    assert call is not None, "no Plotly.newPlot call for the div"
    decoder = json.JSONDecoder()
    rest = html[call.end() :]
    traces, end = decoder.raw_decode(rest)
    layout, _ = decoder.raw_decode(rest[end:].lstrip(", \n"))
    return traces, layout


def test_surface_html_is_a_plotly_div_holding_the_scores(matrices, scores):
    pytest.importorskip("plotly")
    html = synergy_surface_html(
        matrices, scores, block="R", include_plotlyjs=False, full_html=False, div_id="bliss-R"
    )
    assert '<div id="bliss-R" class="plotly-graph-div"' in html
    assert "<html" not in html and len(html) < 200_000  # no plotly.js inlined
    traces, layout = _plot_call(html, "bliss-R")
    surface = traces[0]
    assert surface["type"] == "surface"
    expected = [[None if np.isnan(v) else v for v in row] for row in scores[0].tolist()]
    assert surface["z"] == expected
    np.testing.assert_allclose(surface["x"], _log_positions(DOSES2))
    assert (surface["cmin"], surface["cmax"]) == (-25.0, 25.0)
    assert layout["scene"]["xaxis"]["ticktext"] == ["0", *map(format_molar, DOSES2[1:])]
    assert layout["scene"]["yaxis"]["title"]["text"] == "ruxolitinib"
    wells = traces[1]
    assert sorted(wells["z"]) == sorted(scores[0][np.isfinite(scores[0])].tolist())


def test_surface_html_is_self_contained_without_network(matrices, scores):
    pytest.importorskip("plotly")
    html = synergy_surface_html(matrices, scores, block="S", div_id="s")
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert not re.search(r"<script[^>]*\bsrc=", html)  # nothing fetched
    assert len(html) > 1_000_000  # plotly.js inlined
    traces, _ = _plot_call(html, "s")
    assert traces[0]["z"] == [[0, 0, 0], [0, 5.5, -2.25], [0, -7.0, 3.0]]
    with pytest.raises(TypeError, match="nothing is fetched online"):
        synergy_surface_html(matrices, scores, include_plotlyjs="cdn")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- isobologram


COMBOS = np.array([[5e-7, 4e-7], [2.5e-7, 8e-7], [2e-7, 2.2e-6]])


def test_isobologram_line_joins_the_single_agent_icx(tmp_path):
    figure = plot_isobologram(1e-6, 2e-6, COMBOS, level=50, drug1="rux", drug2="def")
    _render(figure)
    line = _artist(figure, "additivity")
    assert line.get_xdata().tolist() == [1e-6, 0.0]
    assert line.get_ydata().tolist() == [0.0, 2e-6]
    points = _artist(figure, "combinations", "collections")
    np.testing.assert_array_equal(points.get_offsets(), COMBOS)
    loewe = COMBOS[:, 0] / 1e-6 + COMBOS[:, 1] / 2e-6
    np.testing.assert_allclose(points.get_array(), loewe)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "rux (µM)" and ax.get_ylabel() == "def (µM)"
    labels = [t.get_text() for t in ax.texts if t.get_text().startswith("IC50")]
    assert labels == ["IC50 1 µM", "IC50 2 µM"]
    # CI < 1 is red (synergy), CI > 1 blue
    cmap, norm = points.get_cmap(), points.norm
    assert norm(1.0) == pytest.approx(0.5)
    assert cmap(norm(0.5))[0] > cmap(norm(0.5))[2] and cmap(norm(2.0))[2] > cmap(norm(2.0))[0]
    save_figure(figure, tmp_path / "isobologram.png")


def test_isobologram_normalised_axes_and_given_ci():
    figure = plot_isobologram(1e-6, 2e-6, COMBOS, ci=[0.5, 0.7, 1.4], normalized=True, level=75)
    line = _artist(figure, "additivity")
    assert line.get_xdata().tolist() == [1.0, 0.0] and line.get_ydata().tolist() == [0.0, 1.0]
    points = _artist(figure, "combinations", "collections")
    np.testing.assert_allclose(points.get_offsets(), COMBOS / [1e-6, 2e-6])
    np.testing.assert_allclose(points.get_array(), [0.5, 0.7, 1.4])
    assert figure.axes[0].get_xlabel() == "Drug 1 (dose / IC75)"
    assert [t.get_text() for t in _texts(figure, "ci_label")] == ["0.5", "0.7", "1.4"]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0.0, 1e-6, COMBOS), {}, "d1_x must be a positive dose"),
        ((1e-6, np.nan, COMBOS), {}, "d2_x must be a positive dose"),
        ((1e-6, 1e-6, [1e-6, 2e-6]), {}, r"combos must have shape \(N, 2\)"),
        ((1e-6, 1e-6, [[-1e-6, 2e-6]]), {}, "negative dose"),
        ((1e-6, 1e-6, COMBOS), {"ci": [1.0]}, "ci has 1 values for 3 combinations"),
    ],
)
def test_isobologram_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_isobologram(*args, **kwargs)


# --------------------------------------------------------------------------- Fa-CI


def test_fa_ci_plot_has_a_log_axis_and_the_additivity_line(tmp_path):
    fa = np.array([0.2, 0.5, 0.8, 0.95, np.nan])
    ci = np.array([1.4, 0.8, 0.45, 0.3, 0.5])
    grid = np.linspace(0.05, 0.95, 19)
    figure = plot_fa_ci(
        fa, ci, ci_interval=(ci * 0.8, ci * 1.2), curve=(grid, 1.2 - grid), labels=list("abcde")
    )
    _render(figure)
    ax = figure.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlim() == (0.0, 1.0)
    line = _artist(figure, "additive_line")
    assert list(line.get_ydata()) == [1.0, 1.0]
    points = _artist(figure, "combinations")
    np.testing.assert_array_equal(points.get_xdata(), fa[:4])
    np.testing.assert_array_equal(points.get_ydata(), ci[:4])
    np.testing.assert_allclose(_artist(figure, "ci_curve").get_ydata(), 1.2 - grid)
    low, high = ax.get_ylim()
    assert low == pytest.approx(1 / high) and low < 0.3 * 0.8 and high > 1.4 * 1.2
    assert [t.get_text() for t in _texts(figure, "point_label")] == list("abcd")
    save_figure(figure, tmp_path / "fa_ci.png")


@pytest.mark.parametrize(
    ("fa", "ci", "match"),
    [
        ([20, 50], [1.0, 0.5], r"fa must be fractions in \[0, 1\].*divide percentages by 100"),
        ([0.2, 0.5], [1.0, 0.0], "ci must be positive"),
        ([0.2, 0.5], [1.0], "fa has 2 values and ci 1"),
    ],
)
def test_fa_ci_rejects_bad_input(fa, ci, match):
    with pytest.raises(ValueError, match=match):
        plot_fa_ci(fa, ci)


# --------------------------------------------------------------------------- composition


def test_figures_draw_on_given_axes_and_save(matrices, scores, tmp_path):
    figure = Figure(figsize=(11, 8), layout="constrained")
    axes = figure.subplots(2, 2)
    assert plot_response_heatmap(matrices, ax=axes[0, 0]) is figure
    assert plot_synergy_heatmap(matrices, scores, ax=axes[0, 1], area=(1, 1)) is figure
    assert plot_synergy_contour(matrices, scores, ax=axes[1, 0]) is figure
    assert plot_fa_ci([0.3, 0.6], [1.2, 0.6], ax=axes[1, 1]) is figure
    path = save_figure(figure, tmp_path / "panel.png")
    assert path.stat().st_size > 10_000
