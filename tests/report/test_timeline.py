"""The campaign timeline draws what the record holds."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import date2num

from resistlab.campaign import (
    Campaign,
    CampaignRecord,
    Cryostock,
    DoseResponseLink,
    DoseStep,
    MediumChange,
    Passage,
)
from resistlab.report.timeline import plot_timeline

START = date(2024, 1, 1)
RATE = math.log(2.0)


def make_record() -> CampaignRecord:
    steps = (DoseStep(1, 2.5e-7, "C-s1", START), DoseStep(2, 5e-7, "C-s2", START + timedelta(20)))
    passages = []
    for i, f in enumerate([0.4, 0.8, 0.9, 0.5, 0.8]):
        day = START + timedelta(days=4 * (i + 1) + (4 if i >= 3 else 0))
        dose = 2.5e-7 if i < 3 else 5e-7
        passages.append(
            Passage(
                i + 1,
                day,
                dose,
                cells_counted=1e6 * math.exp(f * RATE * 4),
                cells_seeded=1e6,
                split_ratio=4,
            )
        )
    vials = (
        Cryostock("V1", "C-s1", 1, 3, START + timedelta(12)),
        Cryostock("V2", "C-s1", 1, 3, START + timedelta(12), thawed=START + timedelta(25)),
    )
    return CampaignRecord(
        campaign=Campaign(
            "C", "PAR", "defactinib", 1e-6, 2.5e-7, 2.0, 2e-6, START, baseline_growth_rate=RATE
        ),
        steps=steps,
        passages=tuple(passages),
        medium_changes=tuple(MediumChange(START + timedelta(d), 2.5e-7) for d in range(0, 30, 3)),
        cryostocks=vials,
        dose_responses=(DoseResponseLink(START + timedelta(30), "C-s2", 3e-6),),
    )


def by_gid(figure, gid):
    return [a for ax in figure.axes for a in ax.get_children() if a.get_gid() == gid]


def test_timeline_draws_steps_growth_vials_and_retests():
    record = make_record()
    figure = plot_timeline(record)
    FigureCanvasAgg(figure).draw()
    (dose_line,) = by_gid(figure, "dose")
    np.testing.assert_allclose(dose_line.get_ydata(), [2.5e-7, 2.5e-7, 5e-7, 5e-7])
    assert dose_line.get_xdata()[0] == date2num(START)
    (growth,) = by_gid(figure, "growth")
    # interval growth as a fraction of the parental rate; passage 4 came after 8 days, not 4,
    # so its 4 days' worth of growth at 0.5 is 0.25 of the parental rate
    np.testing.assert_allclose(growth.get_offsets()[:, 1], [0.8, 0.9, 0.25, 0.8], rtol=1e-9)
    assert len(by_gid(figure, "vials")[0].get_offsets()) == 1
    assert len(by_gid(figure, "vials_thawed")[0].get_offsets()) == 1
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert "IC50 3.0x" in texts
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert any("nM" in label or "µM" in label for label in labels)
