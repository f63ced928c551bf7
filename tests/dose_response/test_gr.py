"""GR values and metrics: GRmetrics' published toy example, known truth, conventions, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.typing import ArrayLike

from resistlab.dose_response.gr import GRMetrics, _trim_mean, gr_metrics, gr_values
from resistlab.errors import InputError

KEYS = ["cell_line", "agent", "perturbation", "replicate", "time"]
CONCENTRATIONS = 10.0 ** np.arange(-3.0, 1.01, 0.5)  # 9 doses, half-log steps


def counts_from_gr(gr: np.ndarray, control: float = 800.0, time0: float = 100.0) -> np.ndarray:
    """Invert the GR formula: end-point counts giving these GR values."""
    return time0 * 2.0 ** (np.log2(1.0 + gr) * np.log2(control / time0))


def case_a_table(concentrations: np.ndarray, gr: np.ndarray, **keys: object) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **keys,
            "concentration": concentrations,
            "cell_count": counts_from_gr(gr),
            "cell_count__ctrl": 800.0,
            "cell_count__time0": 100.0,
        }
    )


def sigmoid(c: np.ndarray, gr_inf: ArrayLike, gec50: ArrayLike, hill: ArrayLike) -> np.ndarray:
    gr_inf, gec50, hill = np.asarray(gr_inf), np.asarray(gec50), np.asarray(hill)
    return gr_inf + (1.0 - gr_inf) / (1.0 + (c / gec50) ** hill)


def relative_difference(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    ours = np.asarray(ours, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    equal = ours == theirs  # covers matching infinities
    with np.errstate(invalid="ignore"):
        return np.where(equal, 0.0, np.abs(ours - theirs) / np.abs(theirs))


# --- gr_values ----------------------------------------------------------------------------


def test_gr_values_of_known_growth():
    # controls grew 4x (two doublings); treated wells: no effect, stasis, half the cells, a doubling
    gr = gr_values([400.0, 100.0, 50.0, 200.0], 400.0, 100.0)
    np.testing.assert_allclose(gr, [1.0, 0.0, 2**-0.5 - 1.0, 2**0.5 - 1.0], rtol=1e-15)


def test_gr_values_broadcast_and_propagate_nan():
    counts = np.array([[150.0, np.nan], [300.0, 120.0]])
    gr = gr_values(counts, np.array([[300.0], [600.0]]), 100.0)
    assert gr.shape == (2, 2)
    assert np.isnan(gr[0, 1])
    np.testing.assert_allclose(gr[0, 0], 2 ** (np.log2(1.5) / np.log2(3.0)) - 1.0)


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (([100.0, 0.0], 400.0, 100.0), r"counts must be positive.*index 1 has 0.0"),
        (([100.0, 50.0], [400.0, -1.0], 100.0), r"control_counts must be positive.*index 1"),
        (([100.0], 400.0, np.inf), r"time0_counts must be positive and finite.*index 0"),
        (([100.0, 90.0], [400.0, 100.0], 100.0), r"index 1: the controls did not grow"),
    ],
)
def test_gr_values_rejects_bad_counts(args, pattern):
    with pytest.raises(InputError, match=pattern):
        gr_values(*args)


# --- GRmetrics reference: toy example of Hafner et al. (R implementation) -------------------


@pytest.fixture
def toy(reference_dir):
    folder = reference_dir / "dose_response" / "gr"
    table = pd.read_csv(folder / "toy_example_input1.tsv", sep="\t")
    return folder, table, gr_metrics(table, keys=KEYS)


@pytest.mark.reference
def test_gr_values_match_grmetrics(toy):
    folder, table, result = toy
    expected = pd.read_csv(folder / "R_input1_GRvalues.tsv", sep="\t")
    joined = result.values.merge(
        expected, on=[*KEYS, "concentration"], suffixes=("", "_R"), validate="1:1"
    )
    assert len(joined) == len(table) == 1008
    np.testing.assert_allclose(joined["GR"], joined["GR_R"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        joined["log10_concentration"], joined["log10_concentration_R"], atol=1e-12
    )


@pytest.mark.reference
def test_gr_metrics_match_grmetrics(toy):
    folder, _, result = toy
    expected = pd.read_csv(folder / "R_input1_GRmetrics.tsv", sep="\t")
    ours = result.to_frame()
    joined = ours.merge(expected, on=KEYS, suffixes=("", "_R"), validate="1:1")
    assert len(joined) == len(result) == 112
    # flat / sigmoid calls identical (100 sigmoid, 12 flat)
    assert (joined["fit"] == joined["fit_R"]).all()
    assert (joined["fit"] == "sigmoid").sum() == 100
    sig = (joined["fit"] == "sigmoid").to_numpy()
    # observed metrics for every experiment
    np.testing.assert_allclose(joined["GRmax"], joined["GRmax_R"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(joined["GR_AOC"], joined["GR_AOC_R"], rtol=0, atol=1e-6)
    # fitted metrics of sigmoid fits (5 of them have GR50 = inf: GRinf > 0.5)
    for ours_col, r_col, tol in [
        ("GR50", "GR50_R", 1e-3),
        ("GEC50", "GEC50_R", 1e-3),
        ("GRinf", "GRinf_R", 1e-3),
        ("h_GR", "Hill", 1e-3),
        ("pval", "pval_R", 1e-3),
    ]:
        diff = relative_difference(joined[ours_col], joined[r_col])[sig]
        assert diff.max() < tol, (ours_col, diff.max())
    assert np.isinf(joined.loc[sig, "GR50"]).sum() == 5
    np.testing.assert_allclose(joined.loc[sig, "r2"], joined.loc[sig, "r2_R"], atol=1e-6)
    # flat fits: GEC50 0, Hill 0.01, GRinf = mean GR, GR50 = +inf (all means > 0.5)
    flat = joined.loc[~sig]
    assert (flat["GEC50"] == 0).all()
    assert (flat["h_GR"] == 0.01).all()
    assert np.isposinf(flat["GR50"]).all()
    assert np.isposinf(flat["GR50_R"]).all()
    np.testing.assert_allclose(flat["GRinf"], flat["GRinf_R"], atol=1e-12)
    np.testing.assert_allclose(flat["GRinf"], flat["flat_fit"], atol=1e-12)
    # p-values of flat calls are not compared: on flat data both R (drc) and the kernel stop
    # at different local optima of the sigmoid (R's r2 is negative for 6 of the 12)
    assert (flat["pval"] >= 0.05).all()


@pytest.mark.reference
def test_case_c_layout_gives_case_a_results(toy):
    _, table, result = toy
    treated = table.drop(columns=["cell_count__ctrl", "cell_count__time0"])
    controls = table.drop_duplicates(["cell_line", "perturbation", "replicate", "time"])
    time0 = table.drop_duplicates(["cell_line", "perturbation", "replicate"])
    rows = [treated]
    # three replicate wells per control and time-zero count: the trimmed mean is their middle
    for scale in (0.9, 1.0, 1.3):
        rows.append(
            controls.assign(
                agent="-", concentration=0.0, cell_count=controls["cell_count__ctrl"] * scale
            )
        )
        rows.append(
            time0.assign(
                agent="-",
                concentration=0.0,
                time=0,
                cell_count=time0["cell_count__time0"] * scale,
            )
        )
    long = pd.concat(rows, ignore_index=True).drop(
        columns=["cell_count__ctrl", "cell_count__time0"]
    )
    long = long.sample(frac=1.0, random_state=1)  # order must not matter
    case_c = gr_metrics(long, keys=KEYS)
    assert case_c.keys == result.keys
    pd.testing.assert_frame_equal(case_c.experiments, result.experiments)
    np.testing.assert_allclose(case_c.gec50, result.gec50, rtol=1e-9)
    np.testing.assert_allclose(case_c.gr_aoc, result.gr_aoc, rtol=1e-12)
    assert (case_c.fit == result.fit).all()


# --- known truth ----------------------------------------------------------------------------


def simulate(rng: np.random.Generator, n: int, noise: float):
    """n experiments, 9 doses x 3 replicates, two dilution series; GR from known parameters."""
    gr_inf = rng.uniform(-0.5, 0.3, n)
    hill = rng.uniform(0.8, 2.5, n)
    series = np.where(np.arange(n) % 2 == 0, 1.0, 1e-3)  # top doses 10 and 0.01
    doses = np.repeat(CONCENTRATIONS, 3)[None, :] * series[:, None]
    gec50 = series * 10 ** rng.uniform(-2.5, 0.5, n)
    gr = sigmoid(doses, gr_inf[:, None], gec50[:, None], hill[:, None])
    counts = counts_from_gr(gr) * np.exp(rng.normal(0.0, noise, gr.shape))
    table = pd.DataFrame(
        {
            "cell_line": np.repeat([f"line{i:02d}" for i in range(n)], doses.shape[1]),
            "concentration": doses.ravel(),
            "cell_count": counts.ravel(),
            "cell_count__ctrl": 800.0,
            "cell_count__time0": 100.0,
        }
    )
    return table, gr_inf, gec50, hill


def test_exact_counts_recover_parameters(rng):
    table, gr_inf, gec50, hill = simulate(rng, 20, noise=0.0)
    result = gr_metrics(table)
    assert result.sigmoid.all()
    np.testing.assert_allclose(result.gec50, gec50, rtol=1e-6)
    np.testing.assert_allclose(result.gr_inf, gr_inf, atol=1e-7)
    np.testing.assert_allclose(result.h_gr, hill, rtol=1e-6)
    gr50 = gec50 * ((1 - gr_inf) / (0.5 - gr_inf) - 1) ** (1 / hill)
    np.testing.assert_allclose(result.gr50, gr50, rtol=1e-6)


def test_noisy_counts_recover_parameters(rng):
    table, gr_inf, gec50, hill = simulate(rng, 60, noise=0.05)
    result = gr_metrics(table)
    assert result.sigmoid.all()
    assert np.median(np.abs(np.log10(result.gec50 / gec50))) < 0.05
    assert np.median(np.abs(result.gr_inf - gr_inf)) < 0.03
    assert np.median(np.abs(result.h_gr / hill - 1)) < 0.15


def two_ranges() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A shallow curve tested at 1/1000 the doses of a steep one."""
    low = case_a_table(CONCENTRATIONS * 1e-3, sigmoid(CONCENTRATIONS, 0.3, 1e4, 0.4), agent="a")
    high = case_a_table(CONCENTRATIONS, sigmoid(CONCENTRATIONS, -0.2, 0.1, 1.5), agent="b")
    return low, high


def test_mixed_ranges_fit_as_each_alone():
    low, high = two_ranges()
    both = gr_metrics(pd.concat([low, high], ignore_index=True), p_cutoff=1.0)
    alone = [gr_metrics(low, p_cutoff=1.0), gr_metrics(high, p_cutoff=1.0)]
    for i, single in enumerate(alone):
        np.testing.assert_allclose(both.gec50[i], single.gec50[0], rtol=1e-12)
        np.testing.assert_allclose(both.h_gr[i], single.h_gr[0], rtol=1e-12)
        np.testing.assert_allclose(both.fits.rss[i], single.fits.rss[0], rtol=1e-12)
    assert both.fits.ec50.shape == (2,)
    assert len(both.fits.flags) == 2
    assert both.gec50[1] == pytest.approx(0.1, rel=1e-6)


def test_gec50_may_reach_100x_beyond_the_tested_range():
    # GRmetrics bounds GEC50 to [min c / 100, max c * 100]: the shallow curve's true GEC50
    # (10, i.e. 1000 x the top dose) is out of reach, so the fit sits on its own bound (1.0),
    # not on a bound derived from the other experiment's range
    low, high = two_ranges()
    both = gr_metrics(pd.concat([low, high], ignore_index=True), p_cutoff=1.0)
    assert both.gec50[0] == pytest.approx(0.01 * 100, rel=1e-9)
    assert "GEC50 at its bound" in both.flags()[0]


# --- conventions --------------------------------------------------------------------------


def test_flat_curves_follow_grmetrics_conventions(rng):
    wobble = 0.02 * rng.standard_normal(CONCENTRATIONS.size)
    growing = case_a_table(CONCENTRATIONS, 0.8 + wobble, agent="inactive")
    toxic = case_a_table(CONCENTRATIONS, -0.3 + wobble, agent="toxic")
    result = gr_metrics(pd.concat([growing, toxic], ignore_index=True))
    assert result.fit.tolist() == ["flat", "flat"]
    assert (result.p_value >= 0.05).all()
    np.testing.assert_array_equal(result.gec50, [0.0, 0.0])
    np.testing.assert_array_equal(result.h_gr, [0.01, 0.01])
    np.testing.assert_allclose(result.gr_inf, [0.8 + wobble.mean(), -0.3 + wobble.mean()])
    np.testing.assert_array_equal(result.gr50, [np.inf, -np.inf])
    np.testing.assert_allclose(result.predict([1e-3, 1.0]), result.gr_inf[:, None] * [1, 1])


def test_p_cutoff_one_forces_the_sigmoid():
    steps = np.arange(CONCENTRATIONS.size)
    weak = 0.85 - 0.005 * steps + 0.03 * np.cos(2.5 * steps)  # a faint trend, p ~ 0.12
    table = case_a_table(CONCENTRATIONS, weak)
    default = gr_metrics(table)
    forced = gr_metrics(table, p_cutoff=1.0)
    assert default.fit.tolist() == ["flat"]
    assert 0.05 < default.p_value[0] < 0.5
    assert forced.fit.tolist() == ["sigmoid"]
    assert forced.gec50[0] > 0
    assert forced.h_gr[0] != 0.01


def test_grmax_and_aoc_use_observed_means():
    c = np.repeat([0.01, 0.1, 1.0, 10.0], 2)
    gr = np.array([1.0, 1.0, 0.6, 0.8, 0.1, 0.3, 0.4, 0.2])  # means 1, 0.7, 0.2, 0.3
    result = gr_metrics(case_a_table(c, gr))
    # lowest mean of the two highest doses, not the single lowest well (0.1) or the last mean
    assert result.gr_max[0] == pytest.approx(0.2)
    # trapezoids of 1 - mean over log10 dose, divided by the 3 decades tested
    area = (1 - 0.85) + (1 - 0.45) + (1 - 0.25)
    assert result.gr_aoc[0] == pytest.approx(area / 3.0)


def test_gr_50_beyond_reach_is_infinite():
    # GRinf = 0.6 > 0.5: the curve never crosses 0.5
    result = gr_metrics(case_a_table(CONCENTRATIONS, sigmoid(CONCENTRATIONS, 0.6, 0.03, 2.0)))
    assert result.fit[0] == "sigmoid"
    assert result.gr50[0] == np.inf
    assert result.gr_inf[0] == pytest.approx(0.6, abs=1e-6)


def test_cap_clips_gr_values():
    gr = sigmoid(CONCENTRATIONS, -0.5, 0.1, 1.0)
    table = case_a_table(CONCENTRATIONS, gr)
    table.loc[0, "cell_count"] = 2000.0  # grew faster than the controls: GR > 1
    raw = gr_metrics(table).values["GR"]
    capped = gr_metrics(table, cap=True).values["GR"]
    assert raw[0] > 1.0
    assert capped[0] == 1.0
    np.testing.assert_array_equal(capped[1:], raw[1:])  # GR > -1 always: nothing to clip below


def test_result_frames():
    gr = sigmoid(CONCENTRATIONS, -0.1, 0.2, 1.3)
    table = pd.concat(
        [case_a_table(CONCENTRATIONS, gr, cell_line=line, time=72) for line in ("B", "A")],
        ignore_index=True,
    )
    result = gr_metrics(table)
    assert isinstance(result, GRMetrics)
    assert result.keys == ("cell_line", "time")
    frame = result.to_frame()
    assert frame["cell_line"].tolist() == ["A", "B"]  # sorted by keys
    expected = ["GR50", "GRmax", "GR_AOC", "GEC50", "GRinf", "h_GR", "r2", "pval", "fit"]
    assert list(frame.columns[:11]) == ["cell_line", "time", *expected]
    assert len(result.values) == len(table)
    assert set(result.values["experiment"]) == {0, 1}
    assert result.values.loc[0, "experiment"] == 1  # line "B" is the second experiment
    assert result.predict(CONCENTRATIONS).shape == (2, CONCENTRATIONS.size)
    np.testing.assert_allclose(result.predict(CONCENTRATIONS)[0], gr, atol=1e-7)
    # the input is left as it was
    assert list(table.columns) == [
        "cell_line",
        "time",
        "concentration",
        "cell_count",
        "cell_count__ctrl",
        "cell_count__time0",
    ]


def test_missing_counts_are_left_out():
    gr = sigmoid(CONCENTRATIONS, -0.1, 0.2, 1.3)
    table = case_a_table(CONCENTRATIONS, gr)
    complete = gr_metrics(table)
    table.loc[4, "cell_count"] = np.nan
    result = gr_metrics(table)
    assert np.isnan(result.values.loc[4, "GR"])
    assert result.n_obs[0] == CONCENTRATIONS.size - 1
    np.testing.assert_allclose(result.gec50, complete.gec50, rtol=1e-6)  # exact data


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5.0], 5.0),
        ([1.0, 3.0], 2.0),  # k = 0.5: round down, keep both
        ([1.0, 2.0, 9.0], 2.0),  # k = 0.75 -> 1: the median
        ([1.0, 2.0, 4.0, 9.0], 3.0),
        ([1.0, 2.0, 3.0, 4.0, 100.0], 3.0),
        ([1.0, 2.0, 3.0, 5.0, 8.0, 100.0], 4.5),  # k = 1.5: round down, drop one each end
        ([1.0, np.nan, 3.0], 2.0),
    ],
)
def test_trim_mean_follows_grmetrics(values, expected):
    assert _trim_mean(np.array(values)) == pytest.approx(expected)


# --- errors ---------------------------------------------------------------------------------


def test_errors_name_the_column_and_row():
    table = case_a_table(CONCENTRATIONS, sigmoid(CONCENTRATIONS, 0.0, 0.1, 1.0), agent="x")
    with pytest.raises(InputError, match=r"missing column\(s\) \['cell_count'\]"):
        gr_metrics(table.drop(columns="cell_count"))
    with pytest.raises(InputError, match="has a 'cell_count__ctrl' column but no"):
        gr_metrics(table.drop(columns="cell_count__time0"))
    with pytest.raises(InputError, match=r"missing column\(s\) \['batch'\]"):
        gr_metrics(table, keys=["agent", "batch"])
    with pytest.raises(InputError, match="keys must not include"):
        gr_metrics(table, keys=["agent", "concentration"])
    zero_dose = table.copy()
    zero_dose.loc[3, "concentration"] = 0.0
    with pytest.raises(InputError, match=r"row 3, column 'concentration'.*positive"):
        gr_metrics(zero_dose)
    bad_count = table.copy()
    bad_count.loc[5, "cell_count__time0"] = 0.0
    with pytest.raises(InputError, match=r"row 5, column 'cell_count__time0'.*positive"):
        gr_metrics(bad_count)
    no_growth = table.copy()
    no_growth.loc[2, "cell_count__ctrl"] = 100.0
    with pytest.raises(InputError, match="row 2: 'cell_count__ctrl' equals"):
        gr_metrics(no_growth)
    with pytest.raises(TypeError, match="DataFrame"):
        gr_metrics(table.to_dict())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="p_cutoff"):
        gr_metrics(table, p_cutoff=0.0)


def test_case_c_errors():
    treated = pd.DataFrame(
        {
            "cell_line": "A",
            "agent": "x",
            "time": 72,
            "concentration": CONCENTRATIONS,
            "cell_count": 300.0,
        }
    )
    time0 = pd.DataFrame(
        {"cell_line": ["A"], "agent": ["-"], "time": [0], "concentration": [0.0], "cell_count": 100}
    )
    ctrl = time0.assign(time=72, cell_count=800)
    ok = gr_metrics(pd.concat([treated, time0, ctrl], ignore_index=True))
    assert ok.values["GR"].iloc[0] == pytest.approx(2 ** (np.log2(3) / 3) - 1)
    with pytest.raises(InputError, match=r"no control \(concentration 0, time > 0\).*'A'"):
        gr_metrics(pd.concat([treated, time0], ignore_index=True))
    with pytest.raises(InputError, match=r"no time-zero \(time == 0\) counts"):
        gr_metrics(pd.concat([treated, ctrl], ignore_index=True))
    with pytest.raises(InputError, match="treatment_keys"):
        gr_metrics(pd.concat([treated, time0, ctrl]), treatment_keys=("drug",))
    with pytest.raises(InputError, match="case C needs a time column"):
        gr_metrics(treated.drop(columns="time"))
