"""`study.yaml`: the files of one resistance study, checked before anything runs.

A study folder names its raw files in ``study.yaml`` (paths relative to the folder)::

    study: "Defactinib resistance in MDA-MB-231 (3D Matrigel)"
    drug: defactinib
    parental: MDA-MB-231
    resistant: MDA-MB-231-DefR
    dose_response:
      plates:
        - {export: dose_response/run1.txt, map: dose_response/run1.map.yaml}
      drug_holiday:
        line: MDA-MB-231-DefR-holiday
        plates:
          - {export: dose_response/holiday_run1.txt, map: dose_response/holiday_run1.map.yaml}
    campaign: campaign/lab.json
    western: {exports: [blots/blot1.csv], lanes: blots/lanes.csv, layout: image_studio,
              loading_control: GAPDH}
    rtk_array: {exports: [rtk_array/membranes.csv]}
    rnaseq: {counts: rnaseq/featureCounts.txt.gz, samples: rnaseq/samples.csv,
             design: "~ batch + condition", contrast: [condition, resistant, parental]}
    synergy:
      plates:
        - {export: synergy/lapatinib_run1.txt, map: synergy/lapatinib_run1.map.yaml}
    evidence: [notes/ihc_scores.csv]

Every section but ``study``, ``drug``, ``parental`` and ``resistant`` is optional: the
report runs what the study has and says what is missing. `read_study` validates the file
against its JSON Schema (``io/schema/study.schema.json``) and checks that every named file
exists; errors name ``study.yaml`` and the field (``western.exports[1]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from resistlab._schema import read_checked_yaml
from resistlab.errors import FileFormatError

__all__ = ["PlateFiles", "StudySpec", "read_study"]


@dataclass(frozen=True)
class PlateFiles:
    """One plate-reader export and its plate map."""

    export: Path
    map: Path


@dataclass(frozen=True)
class StudySpec:
    """A validated study: names and absolute paths of its files, by section."""

    folder: Path
    name: str
    drug: str
    parental: str
    resistant: str
    plates: tuple[PlateFiles, ...] = ()
    holiday_line: str | None = None
    holiday_plates: tuple[PlateFiles, ...] = ()
    campaign: Path | None = None
    western: dict[str, Any] = field(default_factory=dict)
    rtk_array: dict[str, Any] = field(default_factory=dict)
    rnaseq: dict[str, Any] = field(default_factory=dict)
    synergy_plates: tuple[PlateFiles, ...] = ()
    evidence: tuple[Path, ...] = ()

    def files(self) -> list[Path]:
        """Every file the study names, in section order."""
        out: list[Path] = []
        for plate in (*self.plates, *self.holiday_plates, *self.synergy_plates):
            out += [plate.export, plate.map]
        if self.campaign is not None:
            out.append(self.campaign)
        for section in (self.western, self.rtk_array):
            out += list(section.get("exports", ()))
            if section.get("lanes") is not None:
                out.append(section["lanes"])
        for key in ("counts", "samples", "tx2gene"):
            if self.rnaseq.get(key) is not None:
                value = self.rnaseq[key]
                out += list(value) if isinstance(value, list | tuple) else [value]
        out += list(self.evidence)
        return out


def _schema() -> dict[str, Any]:
    text = resources.files("resistlab.io").joinpath("schema/study.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def read_study(folder: str | Path) -> StudySpec:
    """Read and check ``study.yaml`` in `folder`.

    Raises
    ------
    FileFormatError
        No ``study.yaml``, malformed YAML, a field that fails the schema, or a named file
        that does not exist (the message names the file and the field).
    """
    root = Path(folder)
    file = root / "study.yaml"
    if not file.is_file():
        msg = f"{root}: no study.yaml (it names the study's files; see resistlab.io.study)"
        raise FileFormatError(msg)
    data = read_checked_yaml(file, _schema())

    def path(value: str, where: str) -> Path:
        full = root / value
        if not full.exists():
            msg = f"{file}, field {where}: {value} does not exist"
            raise FileFormatError(msg)
        return full

    def plates(items: list[dict[str, str]], where: str) -> tuple[PlateFiles, ...]:
        return tuple(
            PlateFiles(
                path(item["export"], f"{where}[{i}].export"), path(item["map"], f"{where}[{i}].map")
            )
            for i, item in enumerate(items)
        )

    def files_section(section: dict[str, Any], name: str) -> dict[str, Any]:
        if not section:
            return {}
        out = dict(section)
        out["exports"] = tuple(
            path(p, f"{name}.exports[{i}]") for i, p in enumerate(section.get("exports", []))
        )
        if section.get("lanes"):
            out["lanes"] = path(section["lanes"], f"{name}.lanes")
        return out

    dose = data.get("dose_response", {})
    holiday = dose.get("drug_holiday", {})
    rnaseq = dict(data.get("rnaseq", {}))
    if rnaseq:
        counts = rnaseq["counts"]
        if isinstance(counts, list):
            rnaseq["counts"] = [path(c, f"rnaseq.counts[{i}]") for i, c in enumerate(counts)]
        else:
            rnaseq["counts"] = path(counts, "rnaseq.counts")
        rnaseq["samples"] = path(rnaseq["samples"], "rnaseq.samples")
        if rnaseq.get("tx2gene"):
            rnaseq["tx2gene"] = path(rnaseq["tx2gene"], "rnaseq.tx2gene")
    return StudySpec(
        folder=root,
        name=str(data["study"]),
        drug=str(data["drug"]),
        parental=str(data["parental"]),
        resistant=str(data["resistant"]),
        plates=plates(dose.get("plates", []), "dose_response.plates"),
        holiday_line=holiday.get("line"),
        holiday_plates=plates(holiday.get("plates", []), "dose_response.drug_holiday.plates"),
        campaign=path(data["campaign"], "campaign") if data.get("campaign") else None,
        western=files_section(data.get("western", {}), "western"),
        rtk_array=files_section(data.get("rtk_array", {}), "rtk_array"),
        rnaseq=rnaseq,
        synergy_plates=plates(data.get("synergy", {}).get("plates", []), "synergy.plates"),
        evidence=tuple(
            path(p, f"evidence[{i}]") for i, p in enumerate(data.get("evidence", []) or [])
        ),
    )
