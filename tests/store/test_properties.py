"""Property: any valid run of passages comes back exactly as it was logged."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from resistlab.campaign.model import MORPHOLOGIES, Passage
from resistlab.store import Store

from .conftest import CAMPAIGN, D0, DEFACTINIB, PARENTAL

finite = {"allow_nan": False, "allow_infinity": False}
passages = st.builds(
    Passage,
    number=st.just(0),
    day=st.integers(0, 400).map(lambda n: D0 + timedelta(days=n)),
    dose=st.floats(0, 1e-3, **finite),
    cells_counted=st.none() | st.floats(0, 1e9, **finite),
    cells_seeded=st.none() | st.floats(0, 1e9, **finite),
    confluence=st.none() | st.floats(0, 100, **finite),
    viability=st.none() | st.floats(0, 100, **finite),
    split_ratio=st.none() | st.floats(1, 50, **finite),
    morphology=st.sampled_from(MORPHOLOGIES),
    # NUL and lone surrogates are refused (tested in test_repository)
    note=st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=20),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(passages, min_size=1, max_size=6))
def test_logged_passages_load_back_unchanged(runs):
    runs = sorted(runs, key=lambda p: p.day)
    with Store("sqlite://") as store:
        store.add_cell_line(PARENTAL)
        store.add_drug(DEFACTINIB)
        store.create_campaign(CAMPAIGN)
        logged = [store.log_passage("DefR-1", passage) for passage in runs]
        loaded = store.load_campaign("DefR-1").passages
    assert [p.number for p in logged] == list(range(1, len(runs) + 1))
    assert loaded == tuple(logged)
    for given_passage, stored in zip(runs, loaded, strict=True):
        assert stored.dose == given_passage.dose
        assert stored.note == given_passage.note
