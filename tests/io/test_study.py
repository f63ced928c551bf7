"""study.yaml: validated against its schema, every named file checked, errors name the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from resistlab.errors import FileFormatError
from resistlab.io.study import read_study


def _study(tmp_path: Path, **changes: object) -> Path:
    for name in (
        "dose_response/run1.txt",
        "dose_response/run1.map.yaml",
        "blots/b1.csv",
        "blots/lanes.csv",
        "rnaseq/counts.csv",
        "rnaseq/samples.csv",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    data: dict[str, object] = {
        "study": "Defactinib resistance",
        "drug": "defactinib",
        "parental": "MDA-MB-231",
        "resistant": "MDA-MB-231-DefR",
        "dose_response": {
            "plates": [{"export": "dose_response/run1.txt", "map": "dose_response/run1.map.yaml"}]
        },
        "western": {"exports": ["blots/b1.csv"], "lanes": "blots/lanes.csv"},
        "rnaseq": {
            "counts": "rnaseq/counts.csv",
            "samples": "rnaseq/samples.csv",
            "design": "~ condition",
            "contrast": ["condition", "resistant", "parental"],
        },
    }
    data.update(changes)
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def test_a_valid_study_resolves_every_file(tmp_path: Path) -> None:
    spec = read_study(_study(tmp_path))
    assert spec.drug == "defactinib" and spec.resistant == "MDA-MB-231-DefR"
    assert spec.plates[0].export == tmp_path / "dose_response" / "run1.txt"
    assert spec.western["exports"] == (tmp_path / "blots" / "b1.csv",)
    assert spec.rnaseq["contrast"] == ["condition", "resistant", "parental"]
    assert all(p.exists() for p in spec.files())
    assert len(spec.files()) == 6
    assert spec.synergy_plates == () and spec.campaign is None


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    folder = _study(tmp_path)
    data = yaml.safe_load((folder / "study.yaml").read_text())
    del data["resistant"]
    (folder / "study.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(FileFormatError, match=r"study\.yaml, field resistant: required"):
        read_study(folder)


def test_unknown_field_is_named(tmp_path: Path) -> None:
    folder = _study(tmp_path, western={"exports": ["blots/b1.csv"], "lane": "blots/lanes.csv"})
    with pytest.raises(FileFormatError, match=r"field western\.lane: unknown field"):
        read_study(folder)


def test_missing_file_names_the_field(tmp_path: Path) -> None:
    folder = _study(tmp_path, western={"exports": ["blots/b1.csv", "blots/b2.csv"]})
    with pytest.raises(
        FileFormatError, match=r"field western\.exports\[1\]: blots/b2\.csv does not exist"
    ):
        read_study(folder)


def test_bad_contrast_and_yaml_are_clear(tmp_path: Path) -> None:
    folder = _study(
        tmp_path,
        rnaseq={"counts": "rnaseq/counts.csv", "samples": "rnaseq/samples.csv", "contrast": ["a"]},
    )
    with pytest.raises(FileFormatError, match=r"field rnaseq\.contrast"):
        read_study(folder)
    (folder / "study.yaml").write_text("study: [unclosed\n")
    with pytest.raises(FileFormatError, match=r"study\.yaml: cannot read YAML"):
        read_study(folder)
    with pytest.raises(FileFormatError, match=r"no study\.yaml"):
        read_study(tmp_path / "nowhere")
