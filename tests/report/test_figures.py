"""Figures: what was drawn, checked against the fits and the data it came from.

Artists carry a ``gid`` ("fit", "band", "points", "vehicle", "ic50", "ic50_ci",
"ic50_text", "ic50_censored", "flag", "flagged_wells", "role_<role>",
"qc_issues", ...), so the tests read back exactly what a figure shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Text
from scipy import stats

from resistlab.dose_response import CurveFits, fit_curves, log_logistic
from resistlab.errors import InputError
from resistlab.report import (
    _curves,
    plot_curve,
    plot_curve_grid,
    plot_overlay,
    plot_plate_heatmap,
    save_figure,
)
from resistlab.report._curves import named
from resistlab.units import format_molar
from resistlab.wells import row_label

DOSES = 1e-5 / 3.0 ** np.arange(9)  # 1.5 nM ... 10 uM, 1:3
REPLICATES = 3
#: truth of the three curves: parental, resistant, and one that never reaches 50 %
TRUTH = {
    "parental": (1.3, 6.0, 100.0, 8e-8),
    "resistant": (1.1, 15.0, 100.0, 9e-7),
    "plateau": (1.0, 62.0, 100.0, 2e-6),
}


@dataclass(frozen=True)
class Study:
    fits: CurveFits
    doses: np.ndarray  # (3, M), vehicle first
    responses: np.ndarray  # (3, M)


@pytest.fixture(scope="module")
def study() -> Study:
    rng = np.random.default_rng(20261121)
    x = np.r_[np.zeros(REPLICATES), np.repeat(DOSES, REPLICATES)]
    doses = np.tile(x, (len(TRUTH), 1))
    mean = np.array([log_logistic(x, **named(p)) for p in TRUTH.values()])
    responses = mean + rng.normal(0.0, 4.0, mean.shape)
    return Study(fit_curves(doses, responses), doses, responses)


@pytest.fixture(scope="module")
def parental_figure(study) -> Figure:
    """The parental curve drawn once, read by several tests (they only read it)."""
    return rendered(plot_curve(study.fits, study.doses, study.responses, index=0))


def rendered(figure: Figure) -> Figure:
    """Draw on an Agg canvas, so layout and text are final."""
    FigureCanvasAgg(figure).draw()
    return figure


def by_gid(artist, gid: str) -> list:
    return [a for a in artist.findobj() if a.get_gid() == gid]


def one(artist, gid: str):
    found = by_gid(artist, gid)
    assert len(found) == 1, f"expected one artist {gid!r}, found {len(found)}"
    return found[0]


def texts(artist) -> list[str]:
    return [t.get_text() for t in artist.findobj(Text)]


def band_limits(polygon: PolyCollection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, lower, upper) of a band polygon drawn along the lower limit and back."""
    vertices = polygon.get_paths()[0].vertices
    n = len(vertices) // 2
    lower, upper = vertices[:n], vertices[n : 2 * n][::-1]
    np.testing.assert_array_equal(lower[:, 0], upper[:, 0])
    return lower[:, 0], lower[:, 1], upper[:, 1]


# --------------------------------------------------------------------------- plot_curve


def test_fitted_line_is_the_model_over_the_tested_range(study, parental_figure):
    fig = parental_figure
    line = one(fig, "fit")
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    f = study.fits
    np.testing.assert_allclose(
        y,
        log_logistic(
            x, hill_slope=f.hill_slope[0], bottom=f.bottom[0], top=f.top[0], ec50=f.ec50[0]
        ),
        rtol=1e-12,
    )
    assert x[0] == pytest.approx(DOSES.min()) and x[-1] == pytest.approx(DOSES.max())
    assert np.all(np.diff(np.log(x)) > 0)


def test_replicates_are_individual_points_and_vehicle_sits_left_of_the_break(
    study, parental_figure
):
    fig = parental_figure
    ax = fig.axes[0]
    points, vehicle = one(ax, "points"), one(ax, "vehicle")
    treated = study.doses[0] > 0
    np.testing.assert_array_equal(points.get_xdata(), study.doses[0][treated])
    np.testing.assert_array_equal(points.get_ydata(), study.responses[0][treated])
    np.testing.assert_array_equal(vehicle.get_ydata(), study.responses[0][~treated])
    vehicle_x = np.unique(vehicle.get_xdata())
    assert vehicle_x.size == 1
    breaks = by_gid(ax, "axis_break")
    assert breaks, "the dose axis should be drawn broken"
    gap_left, gap_right = sorted(breaks[-1].get_xdata())  # the two slanted break marks
    assert ax.get_xlim()[0] < vehicle_x[0] < gap_left < gap_right < DOSES.min()
    assert ax.get_xscale() == "log"
    labels = dict(zip(ax.get_xticks(), (t.get_text() for t in ax.get_xticklabels()), strict=True))
    assert labels[vehicle_x[0]] == "0"


def test_dose_axis_is_labelled_in_molar_units(parental_figure):
    ax = parental_figure.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert {"1 nM", "10 nM", "100 nM", "1 µM", "10 µM"} <= set(labels)
    assert any("nM" in label for label in labels)
    assert ax.get_xlabel() == "Concentration"


def test_doses_in_nanomolar_are_labelled_as_such(study):
    nanomolar = study.doses * 1e9
    fits = fit_curves(nanomolar[0], study.responses[0])
    ax = rendered(plot_curve(fits, nanomolar[0], study.responses[0], index=0, dose_unit="nM")).axes[
        0
    ]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert {"10 nM", "1 µM"} <= set(labels)
    assert "IC50 " + format_molar(fits.effective_dose(50).estimate[0] * 1e-9) in " ".join(texts(ax))


def test_non_molar_dose_unit_labels_the_axis(study):
    micrograms = study.doses[0] * 1e6  # any number, any unit
    fits = fit_curves(micrograms, study.responses[0])
    ax = rendered(
        plot_curve(fits, micrograms, study.responses[0], index=0, dose_unit="µg/mL")
    ).axes[0]
    assert ax.get_xlabel() == "Dose (µg/mL)"
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "1" in labels and "10" in labels
    assert not any("M" in label for label in labels)


def test_band_contains_the_fitted_line(study, parental_figure):
    fig = parental_figure
    x, lower, upper = band_limits(one(fig, "band"))
    line = one(fig, "fit")
    np.testing.assert_array_equal(x, line.get_xdata())
    y = np.asarray(line.get_ydata())
    assert np.all(lower < y) and np.all(y < upper)


def _finite_difference_half_width(fits: CurveFits, i: int, x: float, confidence: float) -> float:
    """t * sqrt(g' Σ g) with g from central differences of log_logistic (not the plotting code)."""
    params = np.array([fits.hill_slope[i], fits.bottom[i], fits.top[i], fits.ec50[i]])
    gradient = np.empty(4)
    for j in range(4):
        step = 1e-6 * max(abs(params[j]), 1e-12)
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] -= step
        gradient[j] = (log_logistic(x, **named(up)) - log_logistic(x, **named(down))) / (2 * step)
    free = np.flatnonzero(fits.free)  # a fixed parameter has no variance
    gradient = gradient[free]
    variance = gradient @ fits.covariance[i][np.ix_(free, free)] @ gradient
    return float(stats.t.ppf(0.5 + confidence / 2, fits.df_resid[i]) * np.sqrt(variance))


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_band_half_width_is_the_delta_method(study, confidence):
    fig = rendered(
        plot_curve(study.fits, study.doses, study.responses, index=1, confidence=confidence)
    )
    x, lower, upper = band_limits(one(fig, "band"))
    for k in (0, 60, 128, 200, len(x) - 1):
        expected = _finite_difference_half_width(study.fits, 1, x[k], confidence)
        assert (upper[k] - lower[k]) / 2 == pytest.approx(expected, rel=1e-5)


def test_band_half_width_with_a_fixed_asymptote(study):
    # LL.3: bottom fixed at 0, its covariance row is 0 and adds nothing
    fits = fit_curves(study.doses[0], study.responses[0], model="ll3")
    fig = rendered(plot_curve(fits, study.doses[0], study.responses[0], index=0))
    x, lower, upper = band_limits(one(fig, "band"))
    for k in (0, 128, len(x) - 1):
        expected = _finite_difference_half_width(fits, 0, x[k], 0.95)
        assert (upper[k] - lower[k]) / 2 == pytest.approx(expected, rel=1e-5)


def test_band_covers_the_true_mean_response_at_its_confidence():
    """Over many simulated curves, the 95 % band holds the true curve ~95 % of the time.

    (Within a well-designed dose range the band is usually *widest* where the
    curve is steepest, near ec50, since ec50's uncertainty moves the response
    most there; a band "narrowest at ec50" is not a property of the delta
    method, so it is not asserted.)
    """
    rng = np.random.default_rng(7)
    n = 400
    x = np.repeat(DOSES, REPLICATES)
    hill = rng.uniform(0.8, 2.0, n)
    bottom = rng.uniform(0.0, 20.0, n)
    ec50 = 10 ** rng.uniform(np.log10(DOSES[6]), np.log10(DOSES[2]), n)
    truth = log_logistic(
        x, hill_slope=hill[:, None], bottom=bottom[:, None], top=100.0, ec50=ec50[:, None]
    )
    fits = fit_curves(x, truth + rng.normal(0.0, 5.0, truth.shape))
    at = np.array([DOSES.min(), 1e-7, DOSES.max()])
    covered = []
    for i in range(n):
        band = _curves.mean_response_band(fits, i, at)
        assert band is not None
        _, lower, upper = band
        true = log_logistic(at, hill_slope=hill[i], bottom=bottom[i], top=100.0, ec50=ec50[i])
        covered.append((lower <= true) & (true <= upper))
    coverage = np.mean(covered, axis=0)
    assert np.all((coverage > 0.90) & (coverage < 0.985)), coverage


def test_exact_data_gives_a_vanishing_band():
    x = np.repeat(DOSES, 2)
    y = log_logistic(x, hill_slope=1.5, bottom=10.0, top=100.0, ec50=1e-7)
    fits = fit_curves(x, y)
    fig = rendered(plot_curve(fits, x, y, index=0))
    _, lower, upper = band_limits(one(fig, "band"))
    assert np.max(upper - lower) < 1e-6


def test_ic50_marker_and_interval_match_effective_dose(study, parental_figure):
    fig = parental_figure
    ic50 = study.fits.effective_dose(50.0)
    marker, bar = one(fig, "ic50"), one(fig, "ic50_ci")
    assert marker.get_xdata()[0] == pytest.approx(ic50.estimate[0])
    assert marker.get_ydata()[0] == pytest.approx(50.0)
    np.testing.assert_allclose(bar.get_xdata(), [ic50.lower[0], ic50.upper[0]])
    np.testing.assert_allclose(bar.get_ydata(), [50.0, 50.0])
    assert ic50.lower[0] < ic50.estimate[0] < ic50.upper[0]
    text = one(fig, "ic50_text").get_text()
    assert text.startswith(f"IC50 {format_molar(ic50.estimate[0])} (95 % CI ")
    assert not by_gid(fig, "flag")


def test_relative_ic50_sits_half_way_between_the_asymptotes(study):
    fig = rendered(
        plot_curve(study.fits, study.doses, study.responses, index=1, ic50_kind="relative")
    )
    f = study.fits
    marker = one(fig, "ic50")
    assert marker.get_xdata()[0] == pytest.approx(f.ec50[1])
    assert marker.get_ydata()[0] == pytest.approx((f.bottom[1] + f.top[1]) / 2)
    assert one(fig, "ic50_text").get_text().startswith("relative IC50")


def test_censored_ic50_is_written_as_above_the_top_dose(study):
    i = list(TRUTH).index("plateau")
    assert study.fits.effective_dose(50.0).censor[i] == ">"
    fig = rendered(plot_curve(study.fits, study.doses, study.responses, index=i))
    text = one(fig, "ic50_censored").get_text()
    assert text == "IC50 > 10 µM (top dose)"
    assert not by_gid(fig, "ic50_ci")
    assert one(fig, "ic50").get_xdata()[0] == pytest.approx(DOSES.max())
    flag = one(fig, "flag").get_text().replace("\n", " ")
    assert flag == f"flag: {study.fits.flags[i]}"


def test_a_curve_that_could_not_be_fitted_shows_its_points_and_why():
    x = np.array([0.0, 1e-8, 1e-7])
    y = np.array([100.0, 80.0, 30.0])
    fits = fit_curves(x, y)
    fig = rendered(plot_curve(fits, x, y, index=0))
    assert not by_gid(fig, "fit") and not by_gid(fig, "band")
    np.testing.assert_array_equal(one(fig, "points").get_ydata(), [80.0, 30.0])
    assert "too few points" in one(fig, "flag").get_text()


def test_band_and_ic50_can_be_turned_off(study):
    fig = rendered(
        plot_curve(study.fits, study.doses, study.responses, index=0, band=False, show_ic50=False)
    )
    for gid in ("band", "ic50", "ic50_ci", "ic50_text"):
        assert not by_gid(fig, gid)
    assert one(fig, "fit")


def test_plot_curve_draws_on_given_axes_and_widens_them_for_a_second_curve(study):
    figure = Figure()
    ax = figure.add_subplot()
    narrow = study.doses[0].copy()
    narrow[narrow > 0] = narrow[narrow > 0] * 100.0  # 150 nM ... 1 mM
    assert plot_curve(study.fits, study.doses, study.responses, index=0, ax=ax, label="a") is figure
    fits_b = fit_curves(narrow, study.responses[1])
    plot_curve(fits_b, narrow, study.responses[1], index=0, ax=ax, label="b")
    rendered(figure)
    low, high = ax.get_xlim()
    assert low < DOSES.min() and high > narrow.max()
    # both curves' vehicle points moved together, to the tick labelled 0, left of both
    vehicle_x = {float(v) for line in by_gid(ax, "vehicle") for v in line.get_xdata()}
    assert len(by_gid(ax, "vehicle")) == 2 and len(vehicle_x) == 1
    (x0,) = vehicle_x
    assert x0 < DOSES.min()
    labels = dict(zip(ax.get_xticks(), (t.get_text() for t in ax.get_xticklabels()), strict=True))
    assert labels[x0] == "0"
    assert [line.get_label() for line in by_gid(ax, "fit")] == ["a", "b"]


def test_plot_curve_rejects_bad_input(study):
    with pytest.raises(IndexError, match="index 3 is out of range for 3"):
        plot_curve(study.fits, study.doses, study.responses, index=3)
    with pytest.raises(ValueError, match="same length"):
        plot_curve(study.fits, study.doses[0][:-1], study.responses[0], index=0)
    with pytest.raises(ValueError, match="ic50_kind"):
        plot_curve(study.fits, study.doses, study.responses, index=0, ic50_kind="median")
    with pytest.raises(ValueError, match="confidence must be"):
        plot_curve(study.fits, study.doses, study.responses, index=0, confidence=95)
    ax = plot_curve(study.fits, study.doses, study.responses, index=0).axes[0]
    with pytest.raises(ValueError, match="cannot add a curve with doses in 'µg/mL'"):
        plot_curve(study.fits, study.doses, study.responses, index=1, ax=ax, dose_unit="µg/mL")


def test_figures_are_built_without_pyplot(study):
    fig = plot_curve(study.fits, study.doses, study.responses, index=0)
    assert fig.canvas.manager is None  # pyplot would have registered a window manager


# --------------------------------------------------------------------------- overlay


@dataclass(frozen=True)
class Fold:
    fold: float
    lower: float
    upper: float
    censor: str = ""


def overlay_input(study: Study, names=("parental", "resistant")):
    return {
        name: (study.fits, list(TRUTH).index(name), study.doses, study.responses) for name in names
    }


def test_overlay_draws_each_line_with_its_ic50_and_the_fold_in_the_title(study):
    fig = rendered(plot_overlay(overlay_input(study), fold=Fold(11.2, 7.41, 16.9)))
    ax = fig.axes[0]
    assert ax.get_title() == "Fold resistance 11.2× (95 % CI 7.41–16.9)"
    lines = by_gid(ax, "fit")
    assert len(lines) == 2 and lines[0].get_color() != lines[1].get_color()
    ic50 = study.fits.effective_dose(50.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith(f"parental: IC50 {format_molar(ic50.estimate[0])} (95 % CI")
    assert legend[1].startswith(f"resistant: IC50 {format_molar(ic50.estimate[1])} (95 % CI")
    markers = by_gid(ax, "ic50")
    assert [m.get_xdata()[0] for m in markers] == pytest.approx(list(ic50.estimate[:2]))
    for marker, line in zip(markers, lines, strict=True):
        assert marker.get_markeredgecolor() == line.get_color()


@pytest.mark.parametrize(
    ("fold", "title"),
    [
        (8.0, "Fold resistance 8×"),
        ((8.0, 5.5, 12.25), "Fold resistance 8× (95 % CI 5.5–12.2)"),
        (Fold(6.2, np.nan, np.nan, ">"), "Fold resistance > 6.2× (an IC50 is censored)"),
        (None, ""),
    ],
)
def test_overlay_fold_forms(study, fold, title):
    fig = plot_overlay(overlay_input(study), fold=fold)
    assert fig.axes[0].get_title() == title


def test_overlay_with_a_censored_line_says_so_in_the_legend(study):
    fig = rendered(plot_overlay(overlay_input(study, ("parental", "resistant", "plateau"))))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[2].startswith("plateau: IC50 > 10 µM (top dose)")
    assert "flag: ic50 > top dose" in legend[2]
    assert len(by_gid(fig, "fit")) == 3


def test_overlay_rejects_empty_and_malformed_input(study):
    with pytest.raises(ValueError, match="empty"):
        plot_overlay({})
    with pytest.raises(ValueError, match="single number"):
        plot_overlay(overlay_input(study), fold=Fold(np.array([1.0, 2.0]), 0.5, 3.0))
    with pytest.raises(TypeError, match="must be"):
        plot_overlay({"parental": (study.fits, 0)})


# --------------------------------------------------------------------------- grid


def test_grid_has_one_panel_per_curve_with_its_own_fit(study):
    labels = list(TRUTH)
    fig = rendered(
        plot_curve_grid(study.fits, study.doses, study.responses, labels=labels, ncols=2)
    )
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == labels
    assert len(fig.axes) == 4 and not fig.axes[3].get_visible()
    f = study.fits
    for i, ax in enumerate(visible):
        line = one(ax, "fit")
        x = np.asarray(line.get_xdata())
        np.testing.assert_allclose(
            line.get_ydata(),
            log_logistic(
                x, hill_slope=f.hill_slope[i], bottom=f.bottom[i], top=f.top[i], ec50=f.ec50[i]
            ),
        )
    assert one(visible[2], "ic50_censored").get_text().startswith("IC50 > 10 µM")
    assert one(visible[2], "flag").get_text() == "flag: ic50 > top dose"


def test_grid_checks_labels(study):
    with pytest.raises(ValueError, match="labels has 2 entries for 3"):
        plot_curve_grid(study.fits, study.doses, study.responses, labels=["a", "b"])


# --------------------------------------------------------------------------- plate heat map


def plate_table(rows: int, cols: int, *, plates=("P1",), reads=("A570",), seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    records = []
    for plate in plates:
        for read in reads:
            for r in range(rows):
                for c in range(cols):
                    role = {0: "blank", 1: "vehicle", cols - 1: "positive_control"}.get(c, "sample")
                    records.append(
                        {
                            "plate": plate,
                            "read": read,
                            "well": f"{row_label(r)}{c + 1}",
                            "row": r,
                            "col": c,
                            "value": rng.uniform(0.05, 1.5),
                            "read_flag": "",
                            "role": role,
                            "concentration": 0.0 if role != "sample" else 1e-9 * c,
                        }
                    )
    table = pd.DataFrame(records)
    flagged = rng.choice(len(table), size=max(3, len(table) // 50), replace=False)
    table.loc[flagged, "read_flag"] = "overflow"
    table.loc[flagged[::2], "value"] = np.nan
    return table


@pytest.fixture(scope="module")
def plate96() -> tuple[pd.DataFrame, Figure]:
    """A 96-well plate and its heat map, drawn once (tests only read them)."""
    table = plate_table(8, 12)
    return table, rendered(plot_plate_heatmap(table))


def centres(collection: Collection) -> set[tuple[int, int]]:
    """(row, col) of the cells the patches of a collection sit on."""
    out = set()
    for path in collection.get_paths():
        x, y = (path.vertices.min(axis=0) + path.vertices.max(axis=0)) / 2
        out.add((round(y), round(x)))
    return out


def wells_where(table: pd.DataFrame, mask) -> set[tuple[int, int]]:
    return set(zip(table.loc[mask, "row"], table.loc[mask, "col"], strict=True))


def test_heatmap_values_and_labels_follow_the_plate_layout(plate96):
    table, fig = plate96
    ax = fig.axes[0]
    image = one(ax, "plate_values")
    values = np.ma.filled(image.get_array(), np.nan)
    assert values.shape == (8, 12)
    expected = np.full((8, 12), np.nan)
    expected[table["row"], table["col"]] = table["value"]
    np.testing.assert_array_equal(values, expected)
    assert [t.get_text() for t in ax.get_yticklabels()] == list("ABCDEFGH")
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(c) for c in range(1, 13)]
    assert ax.get_title(loc="left") == "P1 · A570"


def test_flagged_wells_are_hatched_one_each(plate96):
    table, fig = plate96
    flagged = table["read_flag"] != ""
    hatched = one(fig, "flagged_wells")
    assert hatched.get_hatch()
    assert len(hatched.get_paths()) == int(flagged.sum())
    assert centres(hatched) == wells_where(table, flagged)


def test_control_wells_are_outlined_by_role(plate96):
    table, fig = plate96
    for role in ("vehicle", "blank", "positive_control"):
        outlines = one(fig, f"role_{role}")
        assert centres(outlines) == wells_where(table, table["role"] == role)
    assert not by_gid(fig, "role_sample")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == ["vehicle", "positive control", "blank"]
    assert "read flagged" in legend


@dataclass(frozen=True)
class Issue:  # the shape of resistlab.plates.QCIssue
    plate: str
    read: str
    wells: tuple[str, ...]
    message: str


def test_qc_issues_are_circled_and_listed():
    table = plate_table(8, 12, plates=("P1", "P2"))
    issues = [
        ("P1", "C5", "outlier (robust z = 5.2)"),
        ("P2", "H12", "edge effect"),
        ("P9", "A1", "a plate not shown"),
        Issue("P2", "A570", ("B3", "B4"), "low vehicle CV"),
    ]
    fig = rendered(plot_plate_heatmap(table, qc_issues=issues))
    first, second = (ax for ax in fig.axes if by_gid(ax, "plate_values"))
    assert centres(one(first, "qc_issues")) == {(2, 4)}
    assert centres(one(second, "qc_issues")) == {(7, 11), (1, 2), (1, 3)}
    assert "C5: outlier (robust z = 5.2)" in one(first, "qc_text").get_text()
    assert "B3: low vehicle CV" in one(second, "qc_text").get_text()


def test_one_panel_per_plate_and_read():
    table = plate_table(8, 12, plates=("P1", "P2"), reads=("A570", "A650"))
    fig = plot_plate_heatmap(table)  # the artists are all there before drawing
    titles = [ax.get_title(loc="left") for ax in fig.axes if by_gid(ax, "plate_values")]
    assert titles == ["P1 · A570", "P1 · A650", "P2 · A570", "P2 · A650"]


@pytest.mark.parametrize(("rows", "cols"), [(16, 24), (32, 48)])
def test_384_and_1536_well_plates(rows, cols):
    table = plate_table(rows, cols)
    fig = rendered(plot_plate_heatmap(table, qc_issues=[("P1", "D7", "outlier")]))
    ax = fig.axes[0]
    assert one(ax, "plate_values").get_array().shape == (rows, cols)
    row_labels = [t.get_text() for t in ax.get_yticklabels()]
    assert row_labels[0] == "A" and (rows < 32 or "AA" in row_labels)
    flagged = table["read_flag"] != ""
    assert centres(one(ax, "flagged_wells")) == wells_where(table, flagged)
    assert centres(one(ax, "qc_issues")) == {(3, 6)}


def test_heatmap_parses_wells_when_row_and_col_are_absent():
    table = plate_table(8, 12).drop(columns=["row", "col"])
    fig = plot_plate_heatmap(table, value="concentration")
    values = one(fig, "plate_values").get_array()
    assert values[0, 5] == pytest.approx(5e-9)


def test_heatmap_annotates_values_on_request():
    table = plate_table(8, 12)
    fig = rendered(plot_plate_heatmap(table, annotate=True))
    written = by_gid(fig, "value_text")
    assert len(written) == int(table["value"].notna().sum())


def test_heatmap_rejects_bad_tables():
    table = plate_table(8, 12)
    with pytest.raises(InputError, match="lacks column"):
        plot_plate_heatmap(table.drop(columns=["well"]))
    with pytest.raises(InputError, match="well A1 appears more than once"):
        plot_plate_heatmap(pd.concat([table, table.iloc[:1]]))
    with pytest.raises(InputError, match="'high' is not a number"):
        plot_plate_heatmap(
            table.assign(value=table["value"].astype(object)).replace(
                {"value": {table["value"].iloc[4]: "high"}}
            )
        )
    with pytest.raises(TypeError, match="DataFrame"):
        plot_plate_heatmap(table.to_dict())


# --------------------------------------------------------------------------- saving


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
)
def test_save_figure_writes_the_format_of_the_suffix(study, tmp_path, suffix, magic):
    fig = plot_curve(study.fits, study.doses, study.responses, index=0)
    target = save_figure(fig, tmp_path / f"curve{suffix}")
    assert target.read_bytes().startswith(magic)
    assert os.listdir(tmp_path) == [f"curve{suffix}"]


def test_save_figure_leaves_no_partial_file_when_rendering_fails(study, tmp_path, monkeypatch):
    fig = plot_curve(study.fits, study.doses, study.responses, index=0)
    target = tmp_path / "curve.png"
    target.write_bytes(b"the previous figure")

    def failing_savefig(handle, **kwargs):
        handle.write(b"\x89PNG half a figure")
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", failing_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, target)
    assert target.read_bytes() == b"the previous figure"
    assert os.listdir(tmp_path) == ["curve.png"]
    new = tmp_path / "new.png"
    with pytest.raises(RuntimeError):
        save_figure(fig, new)
    assert not new.exists()
    assert os.listdir(tmp_path) == ["curve.png"]


def test_save_figure_rejects_unknown_formats_and_missing_folders(study, tmp_path):
    fig = plot_curve(study.fits, study.doses, study.responses, index=0)
    with pytest.raises(ValueError, match=r"use a \.png, \.svg or \.pdf suffix"):
        save_figure(fig, tmp_path / "curve.jpg")
    with pytest.raises(FileNotFoundError):
        save_figure(fig, tmp_path / "missing" / "curve.png")
    assert isinstance(save_figure(fig, str(tmp_path / "curve.PNG")), Path)


def test_rising_curve_annotations_move_to_the_empty_corners():
    x = np.r_[np.zeros(3), np.repeat(DOSES, 3)]
    y = log_logistic(x, hill_slope=-1.4, bottom=2.0, top=95.0, ec50=3e-7) + np.random.default_rng(
        3
    ).normal(0, 3, x.size)
    fits = fit_curves(x, y)
    # a stimulation curve: the absolute IC50 is censored "<" (below 50 % already at the
    # lowest dose), so the midpoint is the relative EC50
    assert fits.effective_dose(50).censor[0] == "<"
    fig = rendered(plot_curve(fits, x, y, index=0, ic50_kind="relative"))
    text = one(fig, "ic50_text")
    assert text.get_position()[0] < 0.5 and text.get_horizontalalignment() == "left"
    marker = one(fig, "ic50")
    assert marker.get_ydata()[0] == pytest.approx((fits.bottom[0] + fits.top[0]) / 2)
    assert marker.get_xdata()[0] == pytest.approx(fits.ec50[0])
    assert 1e-7 < marker.get_xdata()[0] < 1e-6
