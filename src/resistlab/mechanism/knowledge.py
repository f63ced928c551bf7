"""The FAK-resistance knowledge base: versioned data files, schema-validated, as frozen objects.

The facts live in ``resistlab/mechanism/data/`` (``mechanisms.yaml``, ``drugs.yaml``,
``targets.yaml``, ``references.yaml``), each checked against its JSON Schema in
``data/schema/`` and then across files (every marker entity resolves to a target, every
reference id exists, every combination names known drugs and mechanisms). Nothing about the
biology is decided in code: this module only reads, checks and indexes.

The schemas are standard JSON Schema (draft 2020-12), checked with ``jsonschema``; errors
name the file and the field path (``mechanisms[0].markers[2].direction``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from resistlab._schema import read_checked_yaml
from resistlab.errors import FileFormatError
from resistlab.units import unit_factor

__all__ = [
    "KNOWLEDGE_FILES",
    "Approval",
    "Combination",
    "Default",
    "Drug",
    "Fact",
    "Knowledge",
    "Marker",
    "Mechanism",
    "Mode",
    "PublishedIC50",
    "Reference",
    "Target",
    "TargetResolution",
    "data_dir",
    "load_knowledge",
    "read_knowledge",
    "schema_of",
    "validate",
]

#: The data files of the knowledge base, each with a schema ``schema/<name>.schema.json``.
KNOWLEDGE_FILES = ("references", "targets", "drugs", "mechanisms")


# --------------------------------------------------------------------------------------------
# Frozen records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A literature or web source.

    ``verified`` is carried over from the team's sourced draft: true only where the facts
    drawn from the source were read in a primary or official text.
    """

    id: str
    citation: str
    pmid: str | None
    pmcid: str | None
    doi: str | None
    url: str | None
    verified: bool
    draft_confidence: str
    note: str


@dataclass(frozen=True)
class Target:
    """A canonical evidence-table target (gene, phosphosite, pathway score, signature...)."""

    id: str
    kind: str
    name: str
    synonyms: tuple[str, ...]
    gene: str | None


@dataclass(frozen=True)
class Marker:
    """One observation that bears on a mechanism, as it appears in the evidence table.

    ``role`` is ``"supports"`` when observing `direction` in `comparison` argues for the
    mechanism and ``"contradicts"`` when it argues against it. ``weight`` (0-1) is a
    ResistLab default, not a published number.
    """

    mechanism: str
    entity: str
    assays: tuple[str, ...]
    measurement: str
    direction: str
    comparison: str
    role: str
    evidence_level: str
    weight: float
    contexts: tuple[str, ...]
    references: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Mode:
    """A variant of a mechanism tied to a baseline state (RTK-high or RTK-low)."""

    id: str
    applies_to: str
    description: str
    comparison: str
    entities: tuple[str, ...]


@dataclass(frozen=True)
class Mechanism:
    """A mechanism of resistance with CIViC-style evidence and its markers.

    ``counts_as_fak_inhibitor_resistance`` is false for findings where FAK drives
    resistance to another drug (``fak_role == "driver_of_resistance_to_other_drugs"``),
    such as FAK -> Wnt/beta-catenin under BRAF inhibition.
    """

    id: str
    name: str
    mechanism_class: str
    resistance_to: tuple[str, ...]
    fak_role: str
    counts_as_fak_inhibitor_resistance: bool
    relation: str
    disease_context: str
    evidence_type: str
    evidence_level: str
    evidence_direction: str
    significance: str
    contexts: tuple[str, ...]
    confidence: str
    references: tuple[str, ...]
    summary: str
    caveats: tuple[str, ...]
    modes: tuple[Mode, ...]
    combinations: tuple[str, ...]
    markers: tuple[Marker, ...]

    @property
    def supporting(self) -> tuple[Marker, ...]:
        """Markers whose observation argues for the mechanism."""
        return tuple(m for m in self.markers if m.role == "supports")

    @property
    def contradicting(self) -> tuple[Marker, ...]:
        """Markers whose observation argues against the mechanism."""
        return tuple(m for m in self.markers if m.role == "contradicts")


@dataclass(frozen=True)
class Fact:
    """A sourced statement with the draft's confidence tag."""

    statement: str
    references: tuple[str, ...]
    confidence: str


@dataclass(frozen=True)
class Drug:
    """A drug, its molecular targets (target ids) and sourced facts."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    drug_class: str
    targets: tuple[str, ...]
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class Combination:
    """A drug combination proposed against one or more mechanisms."""

    id: str
    drugs: tuple[str, ...]
    mechanisms: tuple[str, ...]
    rationale: str
    evidence_level: str
    contexts: tuple[str, ...]
    references: tuple[str, ...]
    confidence: str
    note: str


@dataclass(frozen=True)
class Approval:
    """A regulatory approval."""

    id: str
    drugs: tuple[str, ...]
    agency: str
    kind: str
    date: str
    product: str
    indication: str
    trial: str
    references: tuple[str, ...]
    confidence: str


@dataclass(frozen=True)
class PublishedIC50:
    """A published potency value with its assay context.

    ``value`` is in ``unit``, or None when the value was published but could not be
    retrieved and checked (``confidence`` ``not_retrieved``: the assay context is kept so
    a reader knows where to look); ``qualifier`` is ``"="``, ``"~"``, ``">"`` (a lower
    bound) or ``"<"``. ``format`` is ``cell_free``, ``2D``, ``3D_matrigel``, ``3D_spheroid`` or
    ``in_vivo``.
    """

    drug: str
    measure: str
    against: str | None
    cell_line: str | None
    format: str
    readout: str
    duration_h: float | None
    qualifier: str
    value: float | None
    unit: str
    references: tuple[str, ...]
    confidence: str
    note: str

    @property
    def value_molar(self) -> float | None:
        """The value in molar (None when it was not retrieved)."""
        return None if self.value is None else self.value * unit_factor(self.unit)


@dataclass(frozen=True)
class Default:
    """A number the software needs that no source publishes: clearly labelled as a default."""

    name: str
    value: float
    unit: str
    provenance: str
    note: str


@dataclass(frozen=True)
class TargetResolution:
    """Names resolved to canonical targets; names that matched nothing are kept in `unknown`."""

    canonical: Mapping[str, str]
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class Knowledge:
    """The whole knowledge base, indexed. Build with `load_knowledge` or `read_knowledge`."""

    version: int
    mechanisms: tuple[Mechanism, ...]
    drugs: tuple[Drug, ...]
    combinations: tuple[Combination, ...]
    approvals: tuple[Approval, ...]
    published_ic50s: tuple[PublishedIC50, ...]
    targets: Mapping[str, Target]
    references: Mapping[str, Reference]
    comparisons: Mapping[str, str]
    defaults: Mapping[str, Default]
    notation: Mapping[str, Mapping[str, str]] = dataclasses.field(repr=False)
    _lookup: Mapping[str, str] = dataclasses.field(repr=False)

    def resolve_target(self, name: str) -> str | None:
        """Canonical target id of `name` (an id or synonym), or None when unknown.

        Matching ignores case and punctuation and reads notation variants alike
        (``phospho-`` = ``p``, ``Tyr705`` = ``Y705``).

        Examples
        --------
        >>> kb = load_knowledge()
        >>> kb.resolve_target("p-STAT3 Tyr705"), kb.resolve_target("HER2")
        ('pSTAT3_Y705', 'ERBB2')
        >>> kb.resolve_target("no such thing") is None
        True
        """
        return self._lookup.get(_normalise(name, self.notation))

    def resolve_targets(self, names: Iterable[str]) -> TargetResolution:
        """Resolve many names at once, reporting those that matched nothing.

        Examples
        --------
        >>> res = load_knowledge().resolve_targets(["neu", "pERK1/2", "XYZ1"])
        >>> dict(res.canonical), res.unknown
        ({'neu': 'ERBB2', 'pERK1/2': 'pERK'}, ('XYZ1',))
        """
        canonical: dict[str, str] = {}
        unknown: list[str] = []
        for name in names:
            target = self.resolve_target(name)
            if target is None:
                if name not in unknown:
                    unknown.append(name)
            else:
                canonical[name] = target
        return TargetResolution(MappingProxyType(canonical), tuple(unknown))

    def markers_for(self, target: str) -> tuple[Marker, ...]:
        """Return the markers, across all mechanisms, whose entity is `target` (any synonym).

        Examples
        --------
        >>> sorted({m.mechanism for m in load_knowledge().markers_for("pFAK Y397")})
        ['rtk_bypass', 'wnt_beta_catenin']
        """
        canonical = self.resolve_target(target)
        if canonical is None:
            return ()
        return tuple(m for mech in self.mechanisms for m in mech.markers if m.entity == canonical)

    def mechanism(self, mechanism_id: str) -> Mechanism:
        """Return the mechanism with id `mechanism_id`."""
        for mech in self.mechanisms:
            if mech.id == mechanism_id:
                return mech
        msg = f"unknown mechanism {mechanism_id!r}; known: {[m.id for m in self.mechanisms]}"
        raise KeyError(msg)

    def drug(self, name: str) -> Drug:
        """Return the drug whose id, name or synonym is `name` (case-insensitive)."""
        key = _normalise(name, self.notation)
        for drug in self.drugs:
            if key in {_normalise(n, self.notation) for n in (drug.id, drug.name, *drug.synonyms)}:
                return drug
        msg = f"unknown drug {name!r}; known: {[d.id for d in self.drugs]}"
        raise KeyError(msg)

    def fak_inhibitor_resistance_mechanisms(self) -> tuple[Mechanism, ...]:
        """Return the mechanisms counted as resistance to FAK inhibitors."""
        return tuple(m for m in self.mechanisms if m.counts_as_fak_inhibitor_resistance)

    def combinations_for(self, mechanism_id: str) -> tuple[Combination, ...]:
        """Return the combinations proposed against the mechanism `mechanism_id`."""
        return tuple(c for c in self.combinations if mechanism_id in c.mechanisms)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def data_dir() -> Path:
    """Return the folder of the shipped knowledge files (``resistlab/mechanism/data``)."""
    return Path(str(resources.files("resistlab.mechanism").joinpath("data")))


@functools.cache
def load_knowledge() -> Knowledge:
    """Return the knowledge base shipped with ResistLab (read once, then cached).

    Returns
    -------
    Knowledge

    Raises
    ------
    FileFormatError
        If a shipped file is malformed (names the file and field).

    Examples
    --------
    >>> kb = load_knowledge()
    >>> [m.id for m in kb.fak_inhibitor_resistance_mechanisms()][:2]
    ['stat3_hyperactivation', 'rtk_bypass']
    """
    return read_knowledge(data_dir())


def read_knowledge(directory: str | Path) -> Knowledge:
    """Read and check a knowledge base from `directory` (not cached).

    Parameters
    ----------
    directory : str or Path
        Folder holding ``references.yaml``, ``targets.yaml``, ``drugs.yaml`` and
        ``mechanisms.yaml``. Schemas are always the shipped ones.

    Returns
    -------
    Knowledge

    Raises
    ------
    FileFormatError
        If a file fails its schema or refers to an id that does not exist.
    """
    folder = Path(directory)
    raw = {name: validate(folder / f"{name}.yaml") for name in KNOWLEDGE_FILES}
    return _build(raw, {name: folder / f"{name}.yaml" for name in KNOWLEDGE_FILES})


def validate(path: str | Path) -> dict[str, Any]:
    """Parse one knowledge file and check it against its JSON Schema.

    The schema is chosen by file name (``drugs.yaml`` -> ``schema/drugs.schema.json``).
    Cross-file checks (unknown ids) are done by `read_knowledge`.

    Parameters
    ----------
    path : str or Path
        A ``references``, ``targets``, ``drugs`` or ``mechanisms`` YAML file.

    Returns
    -------
    dict
        The parsed content.

    Raises
    ------
    FileFormatError
        Naming the file and the field path, e.g. ``mechanisms[0].markers[2].direction``.

    Examples
    --------
    >>> sorted(validate(data_dir() / "references.yaml"))
    ['references', 'version']
    """
    file = Path(path)
    stem = file.name.split(".")[0]
    if stem not in KNOWLEDGE_FILES:
        msg = f"{file}: not a knowledge-base file; expected one of {list(KNOWLEDGE_FILES)}"
        raise FileFormatError(msg)
    return dict(read_checked_yaml(file, schema_of(stem)))


@functools.cache
def schema_of(stem: str) -> dict[str, Any]:
    """Return the JSON Schema of a data file (``data/schema/<stem>.schema.json``)."""
    text = (data_dir() / "schema" / f"{stem}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# --------------------------------------------------------------------------------------------
# Building the indexed, cross-checked Knowledge
# --------------------------------------------------------------------------------------------


def _normalise(name: str, notation: Mapping[str, Mapping[str, str]]) -> str:
    text = name.casefold()
    for char, spelled in notation.get("characters", {}).items():
        text = text.replace(char.casefold(), spelled)
    for prefix, short in notation.get("prefixes", {}).items():
        text = re.sub(rf"(?<![a-z]){re.escape(prefix)}", short, text)
    for residue, code in notation.get("residues", {}).items():
        text = re.sub(rf"(?<![a-z]){re.escape(residue)}(?=\s*\d)", code, text)
    return re.sub(r"[^0-9a-z]+", "", text)


class _Checker:
    """Raise FileFormatError naming the file and field for a dangling id."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self.files = files

    def fail(self, stem: str, field: str, message: str) -> NoReturn:
        msg = f"{self.files[stem]}, field {field}: {message}"
        raise FileFormatError(msg)

    def known(self, stem: str, field: str, value: str, known: Iterable[str], what: str) -> None:
        pool = set(known)
        if value not in pool:
            self.fail(stem, field, f"unknown {what} {value!r}")


def _targets(raw: Mapping[str, Any], check: _Checker) -> tuple[dict[str, Target], dict[str, str]]:
    notation = raw["notation"]
    targets: dict[str, Target] = {}
    lookup: dict[str, str] = {}
    for i, item in enumerate(raw["targets"]):
        target = Target(
            id=item["id"],
            kind=item["kind"],
            name=item["name"],
            synonyms=tuple(item["synonyms"]),
            gene=item.get("gene"),
        )
        if target.id in targets:
            check.fail("targets", f"targets[{i}].id", f"duplicate target id {target.id!r}")
        targets[target.id] = target
        names = [("id", target.id)] + [(f"synonyms[{j}]", s) for j, s in enumerate(target.synonyms)]
        for field, name in names:
            key = _normalise(name, notation)
            if not key:
                check.fail("targets", f"targets[{i}].{field}", f"{name!r} has no letters or digits")
            other = lookup.setdefault(key, target.id)
            if other != target.id:
                check.fail(
                    "targets",
                    f"targets[{i}].{field}",
                    f"{name!r} also names target {other!r} once case and punctuation are ignored",
                )
    return targets, lookup


def _check_refs(check: _Checker, stem: str, field: str, ids: Iterable[str], refs: Any) -> None:
    for j, ref in enumerate(ids):
        check.known(stem, f"{field}.references[{j}]", ref, refs, "reference id")


def _build(raw: Mapping[str, dict[str, Any]], files: Mapping[str, Path]) -> Knowledge:
    check = _Checker(files)
    references = {
        key: Reference(
            id=key,
            citation=item["citation"],
            pmid=item.get("pmid"),
            pmcid=item.get("pmcid"),
            doi=item.get("doi"),
            url=item.get("url"),
            verified=item["verified"],
            draft_confidence=item["draft_confidence"],
            note=item.get("note", ""),
        )
        for key, item in raw["references"]["references"].items()
    }
    targets, lookup = _targets(raw["targets"], check)
    notation = raw["targets"]["notation"]

    def resolve(stem: str, field: str, name: str) -> str:
        canonical = lookup.get(_normalise(name, notation))
        if canonical is None:
            check.fail(stem, field, f"{name!r} is not a target in targets.yaml")
        return canonical

    mech_raw = raw["mechanisms"]
    drugs_raw = raw["drugs"]
    drug_ids = [d["id"] for d in drugs_raw["drugs"]]
    mech_ids = [m["id"] for m in mech_raw["mechanisms"]]
    combo_ids = [c["id"] for c in drugs_raw.get("combinations", [])]
    comparisons = mech_raw["comparisons"]

    drugs = []
    for i, d in enumerate(drugs_raw["drugs"]):
        field = f"drugs[{i}]"
        facts = []
        for j, f in enumerate(d.get("facts", [])):
            _check_refs(check, "drugs", f"{field}.facts[{j}]", f["references"], references)
            facts.append(Fact(f["statement"], tuple(f["references"]), f["confidence"]))
        drugs.append(
            Drug(
                id=d["id"],
                name=d["name"],
                synonyms=tuple(d["synonyms"]),
                drug_class=d["drug_class"],
                targets=tuple(
                    resolve("drugs", f"{field}.targets[{j}]", t) for j, t in enumerate(d["targets"])
                ),
                facts=tuple(facts),
            )
        )

    combinations = []
    for i, c in enumerate(drugs_raw.get("combinations", [])):
        field = f"combinations[{i}]"
        for j, drug in enumerate(c["drugs"]):
            check.known("drugs", f"{field}.drugs[{j}]", drug, drug_ids, "drug")
        for j, mech in enumerate(c["mechanisms"]):
            check.known("drugs", f"{field}.mechanisms[{j}]", mech, mech_ids, "mechanism")
        _check_refs(check, "drugs", field, c["references"], references)
        if resolve("drugs", f"{field}.id", c["id"]) != c["id"]:
            check.fail("drugs", f"{field}.id", f"{c['id']!r} is a synonym, not a target id")
        combinations.append(
            Combination(
                id=c["id"],
                drugs=tuple(c["drugs"]),
                mechanisms=tuple(c["mechanisms"]),
                rationale=c["rationale"],
                evidence_level=c["evidence_level"],
                contexts=tuple(c["contexts"]),
                references=tuple(c["references"]),
                confidence=c["confidence"],
                note=c.get("note", ""),
            )
        )

    approvals = []
    for i, a in enumerate(drugs_raw.get("approvals", [])):
        for j, drug in enumerate(a["drugs"]):
            check.known("drugs", f"approvals[{i}].drugs[{j}]", drug, drug_ids, "drug")
        _check_refs(check, "drugs", f"approvals[{i}]", a["references"], references)
        approvals.append(
            Approval(
                **{k: a[k] for k in ("id", "agency", "kind", "date", "product", "indication")},
                drugs=tuple(a["drugs"]),
                trial=a["trial"],
                references=tuple(a["references"]),
                confidence=a["confidence"],
            )
        )

    ic50s = []
    for i, p in enumerate(drugs_raw.get("published_ic50s", [])):
        field = f"published_ic50s[{i}]"
        check.known("drugs", f"{field}.drug", p["drug"], drug_ids, "drug")
        _check_refs(check, "drugs", field, p["references"], references)
        against = p["against"]
        if (p["value"] is None) != (p["confidence"] == "not_retrieved"):
            check.fail(
                "drugs",
                f"{field}.value",
                "a value is null exactly when its confidence is not_retrieved",
            )
        ic50s.append(
            PublishedIC50(
                drug=p["drug"],
                measure=p["measure"],
                against=None if against is None else resolve("drugs", f"{field}.against", against),
                cell_line=p["cell_line"],
                format=p["format"],
                readout=p["readout"],
                duration_h=None if p["duration_h"] is None else float(p["duration_h"]),
                qualifier=p["qualifier"],
                value=None if p["value"] is None else float(p["value"]),
                unit=p["unit"],
                references=tuple(p["references"]),
                confidence=p["confidence"],
                note=p.get("note", ""),
            )
        )

    mechanisms = []
    for i, m in enumerate(mech_raw["mechanisms"]):
        field = f"mechanisms[{i}]"
        if m["id"] in mech_ids[:i]:
            check.fail("mechanisms", f"{field}.id", f"duplicate mechanism id {m['id']!r}")
        for j, drug in enumerate(m["resistance_to"]):
            check.known("mechanisms", f"{field}.resistance_to[{j}]", drug, drug_ids, "drug")
        for j, combo in enumerate(m["combinations"]):
            check.known("mechanisms", f"{field}.combinations[{j}]", combo, combo_ids, "combination")
        _check_refs(check, "mechanisms", field, m["references"], references)
        markers = []
        for j, k in enumerate(m["markers"]):
            mfield = f"{field}.markers[{j}]"
            check.known(
                "mechanisms", f"{mfield}.comparison", k["comparison"], comparisons, "comparison"
            )
            _check_refs(check, "mechanisms", mfield, k["references"], references)
            markers.append(
                Marker(
                    mechanism=m["id"],
                    entity=resolve("mechanisms", f"{mfield}.entity", k["entity"]),
                    assays=tuple(k["assays"]),
                    measurement=k["measurement"],
                    direction=k["direction"],
                    comparison=k["comparison"],
                    role=k["role"],
                    evidence_level=k["evidence_level"],
                    weight=float(k["weight"]),
                    contexts=tuple(k["contexts"]),
                    references=tuple(k["references"]),
                    note=k.get("note", ""),
                )
            )
        modes = []
        for j, mode in enumerate(m.get("modes", [])):
            mofield = f"{field}.modes[{j}]"
            check.known(
                "mechanisms", f"{mofield}.comparison", mode["comparison"], comparisons, "comparison"
            )
            entities = tuple(
                resolve("mechanisms", f"{mofield}.entities[{n}]", e)
                for n, e in enumerate(mode["entities"])
            )
            modes.append(
                Mode(
                    mode["id"],
                    mode["applies_to"],
                    mode["description"],
                    mode["comparison"],
                    entities,
                )
            )
        mechanisms.append(
            Mechanism(
                **{
                    k: m[k]
                    for k in (
                        "id",
                        "name",
                        "mechanism_class",
                        "fak_role",
                        "counts_as_fak_inhibitor_resistance",
                        "relation",
                        "disease_context",
                        "evidence_type",
                        "evidence_level",
                        "evidence_direction",
                        "significance",
                        "confidence",
                        "summary",
                    )
                },
                resistance_to=tuple(m["resistance_to"]),
                contexts=tuple(m["contexts"]),
                references=tuple(m["references"]),
                caveats=tuple(m.get("caveats", [])),
                modes=tuple(modes),
                combinations=tuple(m["combinations"]),
                markers=tuple(markers),
            )
        )

    defaults = {
        name: Default(name, float(d["value"]), d["unit"], d["provenance"], d["note"])
        for name, d in mech_raw.get("defaults", {}).items()
    }
    return Knowledge(
        version=int(mech_raw["version"]),
        mechanisms=tuple(mechanisms),
        drugs=tuple(drugs),
        combinations=tuple(combinations),
        approvals=tuple(approvals),
        published_ic50s=tuple(ic50s),
        targets=MappingProxyType(targets),
        references=MappingProxyType(references),
        comparisons=MappingProxyType(dict(comparisons)),
        defaults=MappingProxyType(defaults),
        notation=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in notation.items()}),
        _lookup=MappingProxyType(lookup),
    )
