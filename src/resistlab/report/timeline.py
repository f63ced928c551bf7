"""The timeline of a campaign: dose steps, growth, cryostocks and events over time."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from resistlab.campaign import CampaignRecord, passage_growth
from resistlab.campaign.rules import baseline_rate
from resistlab.units import format_molar

__all__ = ["plot_timeline"]

_DOSE = "#0072B2"
_GROWTH = "#009E73"
_VIAL = "#CC79A7"
_EVENT = "#D55E00"
_MEDIUM = "#999999"


def _days(values: list[date]) -> np.ndarray:
    return np.asarray(date2num(values), dtype=float)


def plot_timeline(record: CampaignRecord, *, today: date | None = None) -> Figure:
    """Draw a campaign over time, in three aligned panels.

    Top: the dose actually applied (a step line on a log axis, drug-free
    periods at the bottom), with the target dose and the parental IC50 as
    reference lines, and each cryostock as a marker at its freezing day.
    Middle: growth rate per passage as a fraction of the parental drug-free
    rate (dots, coloured by morphology), with 1 = parental. Bottom: events
    (medium changes, passages, IC50 re-tests with their fold resistance).

    Parameters
    ----------
    record : CampaignRecord
    today : date, optional
        Right edge of the time axis (default: the last event).

    Returns
    -------
    Figure
    """
    campaign = record.campaign
    figure = Figure(figsize=(9.0, 6.5), layout="constrained")
    ax_dose, ax_growth, ax_events = figure.subplots(
        3, 1, sharex=True, height_ratios=(3.0, 2.0, 1.0)
    )
    days = [campaign.started]
    days += [s.started for s in record.steps] + [p.day for p in record.passages]
    days += [m.day for m in record.medium_changes] + [v.frozen for v in record.cryostocks]
    days += [r.day for r in record.dose_responses]
    end = today or max(days)
    end = max(end, max(days)) + timedelta(days=1)

    # dose steps
    floor = min([s.dose for s in record.steps if s.dose > 0] or [campaign.start_dose]) / 4
    xs: list[date] = []
    ys: list[float] = []
    for i, step in enumerate(record.steps):
        stop = record.steps[i + 1].started if i + 1 < len(record.steps) else (step.ended or end)
        level = step.dose if step.dose > 0 else floor
        xs += [step.started, stop]
        ys += [level, level]
    if xs:
        ax_dose.plot(_days(xs), ys, color=_DOSE, lw=2.2, label="dose", gid="dose")
    ax_dose.set_yscale("log")
    ax_dose.axhline(campaign.target_dose, color=_DOSE, ls="--", lw=1, alpha=0.6)
    ax_dose.axhline(campaign.parental_ic50, color="k", ls=":", lw=1, alpha=0.6)
    x0 = date2num(campaign.started)
    ax_dose.text(
        x0,
        campaign.target_dose,
        f" target {format_molar(campaign.target_dose)}",
        va="bottom",
        fontsize=8,
        color=_DOSE,
    )
    ax_dose.text(
        x0,
        campaign.parental_ic50,
        f" parental IC50 {format_molar(campaign.parental_ic50)}",
        va="bottom",
        fontsize=8,
    )
    vial_days = [v.frozen for v in record.cryostocks]
    if vial_days:
        step_dose = {s.index: (s.dose if s.dose > 0 else floor) for s in record.steps}
        levels = [step_dose.get(v.dose_step, floor) for v in record.cryostocks]
        thawed = np.array([v.thawed is not None for v in record.cryostocks])
        xv = _days(vial_days)
        ax_dose.scatter(
            xv[~thawed],
            np.asarray(levels)[~thawed],
            marker="v",
            s=40,
            color=_VIAL,
            zorder=3,
            label="vial frozen",
            gid="vials",
        )
        if thawed.any():
            ax_dose.scatter(
                xv[thawed],
                np.asarray(levels)[thawed],
                marker="v",
                s=40,
                facecolor="white",
                edgecolor=_VIAL,
                zorder=3,
                label="vial thawed",
                gid="vials_thawed",
            )
    ax_dose.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_molar(v, 3)))
    ax_dose.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax_dose.set_ylabel("dose")
    ax_dose.set_title(
        f"{campaign.name}: {campaign.cell_line} under {campaign.drug} (phase: {campaign.phase})",
        loc="left",
        fontsize=11,
    )
    if ax_dose.get_legend_handles_labels()[0]:
        ax_dose.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)

    # growth
    growth = passage_growth(record.passages)
    baseline = baseline_rate(record)
    scale = baseline if math.isfinite(baseline) else 1.0
    colours = {"normal": _GROWTH, "stressed": "#E69F00", "abnormal": _EVENT}
    pdays = _days([p.day for p in record.passages]) if record.passages else np.array([])
    ok = np.isfinite(growth.rate)
    if ok.any():
        ax_growth.plot(pdays[ok], growth.rate[ok] / scale, color=_GROWTH, lw=1, alpha=0.5)
        ax_growth.scatter(
            pdays[ok],
            growth.rate[ok] / scale,
            c=[
                colours.get(p.morphology, _GROWTH)
                for p, k in zip(record.passages, ok, strict=True)
                if k
            ],
            s=25,
            zorder=3,
            gid="growth",
        )
    ax_growth.axhline(1.0, color="k", lw=0.8, ls=":")
    ax_growth.axhline(0.0, color="k", lw=0.5)
    ax_growth.set_ylabel("growth / parental" if math.isfinite(baseline) else "growth (per day)")

    # events
    if record.medium_changes:
        ax_events.vlines(
            _days([m.day for m in record.medium_changes]),
            0.0,
            0.4,
            color=_MEDIUM,
            lw=1,
            label="medium",
        )
    if record.passages:
        ax_events.vlines(pdays, 0.5, 1.0, color=_GROWTH, lw=1.2, label="passage")
    for r in record.dose_responses:
        fold = r.ic50 / campaign.parental_ic50
        x = date2num(r.day)
        ax_events.plot([x], [0.75], marker="D", color=_EVENT, ms=6)
        ax_events.annotate(
            f"IC50 {r.censor}{fold:.1f}x",
            (x, 0.75),
            xytext=(3, 6),
            textcoords="offset points",
            fontsize=8,
            color=_EVENT,
        )
    ax_events.set_ylim(0, 1.2)
    ax_events.set_yticks([])
    if ax_events.get_legend_handles_labels()[0]:
        ax_events.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
    locator = AutoDateLocator()
    ax_events.xaxis.set_major_locator(locator)
    ax_events.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax_events.set_xlim(date2num(campaign.started) - 1, date2num(end))
    for ax in (ax_dose, ax_growth, ax_events):
        ax.spines[["top", "right"]].set_visible(False)
    return figure
