"""R's numerics reproduced: every expected value was printed by R 4.2.2.

The values come from ``tests/reference/r_compat.R`` (stored in
``tests/data/rnaseq/r_compat.json``), so these tests run without R; the last
test re-runs the script when ``Rscript`` is available.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from resistlab.rnaseq._rcompat import (
    RRandom,
    _loess_kd_vertices,
    _prior_var_kl_divergences,
    _seed_state,
    filtered_p,
    hist_density,
    loess_fit_predict,
    lowess,
    mad,
    p_adjust_bh,
    quantile7,
    r_mean,
    r_median,
    r_seq,
    r_sum,
    simulated_prior_variance,
    trimmed_mean,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "reference" / "r_compat.R"
DATA = ROOT / "tests" / "data" / "rnaseq" / "r_compat.json"
REF = json.loads(DATA.read_text())


def arr(values) -> np.ndarray:
    """A JSON list (``null`` = R's NA) as a float array."""
    return np.array([np.nan if v is None else v for v in np.atleast_1d(values)], dtype=float)


def assert_same(actual, expected) -> None:
    """Bit-for-bit equality, NaN where R had NA."""
    np.testing.assert_array_equal(np.asarray(actual, dtype=float), arr(expected))


def signed32(words: np.ndarray) -> list[int]:
    return [int(w) - (1 << 32) if w >= (1 << 31) else int(w) for w in words]


# ---- random numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("case", REF["rng"]["states"], ids=lambda c: f"seed{c['seed']}")
def test_set_seed_state_matches_r(case):
    state, pos = _seed_state(int(case["seed"]))
    assert int(pos[0]) == case["position"]
    assert signed32(state[:6]) == case["words"]
    assert signed32(state[-1:]) == [case["last"]]


@pytest.mark.parametrize(
    ("key", "draw"),
    [
        ("runif", lambda r: r.runif(10000)),
        ("rnorm", lambda r: r.rnorm(10000)),
        ("rexp", lambda r: r.rexp(10000)),
    ],
)
def test_uniform_normal_exponential_streams_match_r(key, draw):
    values = draw(RRandom(2))
    expected = REF["rng"][key]
    assert_same(values[:20], expected["first"])
    assert r_sum(values) == expected["sum"]


def test_parameterised_draws_match_r():
    assert_same(RRandom(2).runif(5, -3.0, 4.0), REF["rng"]["runif_ab"])
    assert_same(RRandom(2).rnorm(5, 10.0, 3.0), REF["rng"]["rnorm_ms"])
    assert_same(RRandom(2).rexp(5, 3.0), REF["rng"]["rexp_rate"])


@pytest.mark.parametrize("case", REF["rng"]["rchisq"], ids=lambda c: f"df{c['df']}")
def test_rchisq_matches_r(case):
    values = RRandom(2).rchisq(10000, case["df"])
    assert_same(values[:20], case["first"])
    assert r_sum(values) == case["sum"]


@pytest.mark.parametrize("case", REF["rng"]["rgamma"], ids=lambda c: f"shape{c['shape']}")
def test_rgamma_matches_r_in_every_branch(case):
    values = RRandom(case["seed"]).rgamma(10000, case["shape"], case["scale"])
    assert_same(values[:10], case["first"])
    assert r_sum(values) == case["sum"]


def test_rnorm_with_zero_sd_returns_the_mean_and_draws_nothing():
    case = REF["rng"]["sd_zero"]
    r = RRandom(case["seed"])
    assert_same(r.rnorm(2), case["first"])
    assert_same(r.rnorm(3, 5.0, 0.0), case["middle"])
    assert_same(r.runif(2), case["after"])


@pytest.mark.parametrize("case", REF["rng"]["deseq2_stream"], ids=lambda c: f"df{c['df']}")
def test_interleaved_rchisq_rnorm_stream_matches_deseq2_loop(case):
    df = case["df"]
    grid = r_seq(0.0, 8.0, 200)
    heads = {h["k"]: h["first"] for h in case["heads"]}
    r = RRandom(case["seed"])
    sums = np.empty(grid.size)
    for k, variance in enumerate(grid):
        chi = r.rchisq(10000, df)
        z = r.rnorm(10000, 0.0, math.sqrt(variance))
        if k in heads:  # scalar libm log, as R's
            head = [(math.log(c) + zz) - math.log(df) for c, zz in zip(chi[:5], z[:5], strict=True)]
            assert_same(head, heads[k])
        sums[k] = r_sum(np.log(chi) + z - math.log(df))
    np.testing.assert_allclose(sums, arr(case["sums"]), rtol=1e-13)
    assert_same(r.runif(3), case["runif_after"])


# ---- seq, quantile, mean, median, mad ----------------------------------------------------


def test_seq_matches_r():
    ref = REF["seq"]
    assert_same(r_seq(0.0, 8.0, 200), ref["grid200"])
    assert_same(r_seq(0.0, 8.0, 1000)[ref["grid1000_idx"]], ref["grid1000"])
    other = ref["other"]
    assert_same(r_seq(other["from"], other["to"], other["n"])[other["idx"]], other["values"])


@pytest.mark.parametrize("case", REF["quantile"])
def test_quantile7_matches_r(case):
    assert_same(quantile7(case["x"], case["probs"]), case["q"])


@pytest.mark.parametrize("case", REF["mean"], ids=lambda c: f"n{len(c['x'])}-trim{c['trim']}")
def test_trimmed_mean_matches_r(case):
    assert trimmed_mean(arr(case["x"]), case["trim"]) == case["mean"]


def test_mean_uses_extended_precision_like_r():
    # R's long-double sum keeps the 1 that a double sum loses
    assert r_mean([1e16, 1.0, -1e16]) == REF["mean"][0]["mean"]
    assert r_mean([1e16, 1.0, -1e16]) != float(np.mean([1e16, 1.0, -1e16]))


def test_trimmed_mean_along_an_axis_matches_r():
    case = REF["mean"][4]
    x = arr(case["x"])
    res = trimmed_mean(np.stack([x, x[::-1]]), case["trim"], axis=1)
    assert_same(res, [case["mean"], case["mean"]])


@pytest.mark.parametrize("case", REF["median"], ids=lambda c: f"n{len(c['x'])}")
def test_median_matches_r(case):
    assert r_median(case["x"]) == case["median"]


@pytest.mark.parametrize("case", REF["mad"], ids=lambda c: f"n{len(c['x'])}")
def test_mad_matches_r(case):
    assert mad(arr(case["x"]), na_rm=case.get("na_rm", False)) == case["mad"]


# ---- hist, p.adjust, filtered_p ----------------------------------------------------------


@pytest.mark.parametrize("case", REF["hist"], ids=lambda c: f"breaks{len(c['breaks'])}")
def test_hist_density_matches_r(case):
    assert_same(hist_density(case["x"], case["breaks"]), case["density"])


@pytest.mark.parametrize("case", REF["p_adjust"], ids=lambda c: f"n{len(c['p'])}")
def test_p_adjust_bh_matches_r(case):
    assert_same(p_adjust_bh(arr(case["p"])), case["padj"])


def test_independent_filtering_chain_matches_deseq2():
    ref = REF["independent_filtering"]
    base_mean = np.array(ref["filter_k16"], dtype=float) / 16
    pvalue = arr(ref["pvalue"])
    lower = float(r_mean(base_mean == 0))
    theta = r_seq(lower, 0.95 if lower < 0.95 else 1.0, 50)
    assert_same(theta, ref["theta"])
    assert_same(quantile7(base_mean, theta), ref["cutoffs"])

    padj = filtered_p(base_mean, pvalue, theta)
    assert_same(r_sum(np.where(np.isnan(padj), 0.0, padj), axis=0), ref["column_sums"])
    assert np.isnan(padj).sum(axis=0).tolist() == ref["column_na"]
    num_rej = (np.nan_to_num(padj, nan=1.0) < ref["alpha"]).sum(axis=0)
    assert num_rej.tolist() == ref["num_rej"]

    fit = lowess(theta, num_rej.astype(float), f=1 / 5)
    assert_same(fit, ref["lowess_fit"])
    positive = num_rej > 0
    residual = num_rej[positive] - fit[positive]
    thresh = fit.max() - math.sqrt(r_mean(residual**2))
    j = int(np.flatnonzero(num_rej > thresh)[0])
    assert j == ref["j"]
    assert_same(padj[:200, j], ref["padj_first"])
    assert r_sum(padj[~np.isnan(padj[:, j]), j]) == ref["padj_sum"]


def test_filtered_p_keeps_nan_pvalues_out_of_the_count():
    # a NaN p-value is not a test: three values, so BH multiplies the smallest by 3
    padj = filtered_p([1.0, 2.0, 3.0, 4.0], [0.01, np.nan, 0.5, 0.6], [0.0])
    np.testing.assert_array_equal(padj[:, 0], p_adjust_bh([0.01, np.nan, 0.5, 0.6]))
    assert padj[0, 0] == pytest.approx(0.03)


# ---- lowess ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REF["lowess"], ids=lambda c: c["name"])
def test_lowess_matches_r(case):
    x = arr(case["x"])
    fit = lowess(x, arr(case["y"]), f=case["f"], iter=case["iter"], delta=case.get("delta"))
    order = np.argsort(x, kind="stable")
    assert_same(fit[order], case["fit"])


# ---- loess -------------------------------------------------------------------------------


def loess_inputs(case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = r_seq(*case["x_seq"]) if "x_seq" in case else arr(case["x"])
    return x, arr(case["y"]), r_seq(*case["newx_seq"])


@pytest.mark.parametrize("case", REF["loess"], ids=lambda c: c["name"])
def test_loess_matches_r(case):
    x, y, newx = loess_inputs(case)
    fit = loess_fit_predict(
        x, y, newx, span=case["span"], degree=case["degree"], surface=case["surface"]
    )
    expected = arr(case["fit"])
    got = fit[case["idx"]]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)
    assert int(np.nanargmin(fit)) == case["argmin"]
    assert np.nanmin(fit) == pytest.approx(case["min"], rel=1e-12, abs=1e-14)
    if case["surface"] == "interpolate":
        fc = math.floor(x.size * (case["span"] * 0.2))
        vertices, _ = _loess_kd_vertices(np.sort(x), fc, max(200, x.size))
        assert vertices.size == case["n_vertices"]


def test_loess_rejects_bad_arguments():
    with pytest.raises(ValueError, match="same length"):
        loess_fit_predict([1.0, 2.0], [1.0], [1.5])
    with pytest.raises(ValueError, match="'degree'"):
        loess_fit_predict([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.5], degree=3)
    with pytest.raises(ValueError, match="span is too small"):
        loess_fit_predict([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.5], span=0.1)


# ---- DESeq2's simulated prior variance ---------------------------------------------------


def prior_var_cases():
    for case in REF["prior_var"]:
        for result in case["results"]:
            yield pytest.param(case, result, id=f"{case['name']}-df{result['df']}")


@pytest.mark.parametrize(("case", "result"), list(prior_var_cases()))
def test_simulated_prior_variance_equals_r(case, result):
    residuals = np.array(case["residuals_k64"], dtype=float) / 64
    assert simulated_prior_variance(residuals, result["df"]) == result["dispPriorVar"]


def kl_cases():
    for case in REF["prior_var"]:
        for result in case["results"]:
            if "kl" in result:
                yield pytest.param(case, result, id=f"{case['name']}-df{result['df']}")


@pytest.mark.parametrize(("case", "result"), list(kl_cases()))
def test_prior_variance_divergences_and_smooth_match_r(case, result):
    obs = np.array(case["residuals_k64"], dtype=float) / 64
    obs = obs[(obs > -10) & (obs < 10)]
    kl = _prior_var_kl_divergences(obs, result["df"])
    assert_same(kl, result["kl"])  # histograms of 2 million simulated draws, bit for bit
    fitted = loess_fit_predict(r_seq(0.0, 8.0, 200), kl, r_seq(0.0, 8.0, 1000), span=0.2)
    np.testing.assert_allclose(fitted[result["fitted_idx"]], arr(result["fitted"]), rtol=1e-10)
    assert int(np.argmin(fitted)) == result["argmin"]
    assert result["dispPriorVar"] == max(float(r_seq(0.0, 8.0, 1000)[result["argmin"]]), 0.25)


def test_simulated_prior_variance_rejects_bad_input():
    with pytest.raises(ValueError, match="df must be a positive whole number"):
        simulated_prior_variance(np.zeros(5), 0)
    with pytest.raises(ValueError, match=r"no residual lies in \(-10, 10\)"):
        simulated_prior_variance(np.array([20.0, np.nan]), 2)


# ---- the reference script itself ---------------------------------------------------------


def _r_with_genefilter() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", 'quit(status = !requireNamespace("genefilter", quietly = TRUE))'],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(
    not _r_with_genefilter(), reason="Rscript with the genefilter package is not on PATH"
)
def test_reference_script_reproduces_the_stored_json(tmp_path):
    out = tmp_path / "r_compat.json"
    subprocess.run(["Rscript", str(SCRIPT), str(out)], cwd=ROOT, capture_output=True, check=True)
    assert json.loads(out.read_text()) == REF
