"""Conventions of resistlab.io: exported names, signatures, committed samples."""

from __future__ import annotations

import inspect

import io_samples

import resistlab.io


def test_all_lists_every_public_name():
    public = {
        name
        for name, obj in vars(resistlab.io).items()
        if not name.startswith("_") and not inspect.ismodule(obj) and name != "annotations"
    }
    assert public == set(resistlab.io.__all__)


def test_public_functions_take_at_most_three_positional_parameters():
    for name in resistlab.io.__all__:
        obj = getattr(resistlab.io, name)
        if inspect.isfunction(obj):
            params = inspect.signature(obj).parameters.values()
            positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
            assert len(positional) <= 3, name


def test_committed_samples_match_their_generator():
    for name in [*io_samples.SAMPLES, *io_samples.TEXTS]:
        committed = (io_samples.DATA_DIR / name).read_bytes()
        assert committed == io_samples.sample_text(name).encode("utf-8"), name
