"""Troubleshooting guides as data, walked against what the study already knows.

The guides live in ``resistlab/mechanism/data/troubleshooting.yaml`` (checked against
``data/schema/troubleshooting.schema.json`` and then against the knowledge base): a problem,
its symptoms, possible causes and ordered steps. A step may name the data that answers it,
as rules stated in the file: study-level *facts* (fold resistance and its CI, plate Z',
mycoplasma status, passage...) or rows of the evidence table (DESIGN.md) selected by assay,
target (any synonym the knowledge base knows) and comparison.

`walk_guide` marks each step ``answered`` (with the finding built from the data and what it
means) or ``open`` (with the instruction, and any partial data); `match_guides` says which
guides fit the study. Nothing here reads user files or prints: the CLI does that::

    from resistlab.mechanism.troubleshoot import walk_guide

    walk = walk_guide("decreased_efficacy", facts={"fold_resistance": 4.2, ...})
    [s.status for s in walk.steps]
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from resistlab._schema import read_checked_yaml
from resistlab.errors import FileFormatError, InputError
from resistlab.mechanism.knowledge import Knowledge, data_dir, load_knowledge, schema_of

__all__ = [
    "EVIDENCE_CLASSES",
    "Condition",
    "EvidenceOutcome",
    "EvidenceRule",
    "EvidenceSelector",
    "FactOutcome",
    "FactRule",
    "FactSpec",
    "Guide",
    "GuideCause",
    "GuideMatch",
    "GuideStep",
    "GuideWalk",
    "Guides",
    "WalkStep",
    "load_guides",
    "match_guides",
    "read_guides",
    "validate_guides",
    "walk_guide",
]

#: How an evidence row is classed (see the header of troubleshooting.yaml).
EVIDENCE_CLASSES = ("up", "down", "persist", "unclear")
#: Two-sided 95% normal quantile used for the CI of an evidence row.
_Z95 = 1.959963984540054
_MAX_STEPS = 8


# --------------------------------------------------------------------------------------------
# Frozen records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactSpec:
    """A study-level fact a rule may use: ``kind`` is ``number`` or ``string``."""

    name: str
    kind: str
    unit: str
    values: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Condition:
    """``fact op value``, e.g. ``fold_resistance >= 2``."""

    fact: str
    op: str
    value: float | str

    def holds(self, facts: Mapping[str, float | str]) -> bool:
        """Whether the condition holds (False when the fact is unknown)."""
        if self.fact not in facts:
            return False
        left = facts[self.fact]
        if isinstance(self.value, str) or isinstance(left, str):
            same = str(left) == str(self.value)
            return {"==": same, "!=": not same}.get(self.op, False)
        a, b = float(left), float(self.value)
        return {
            ">=": a >= b,
            ">": a > b,
            "<=": a <= b,
            "<": a < b,
            "==": a == b,
            "!=": a != b,
        }[self.op]

    def __str__(self) -> str:
        value = self.value if isinstance(self.value, str) else f"{self.value:g}"
        return f"{self.fact} {self.op} {value}"


@dataclass(frozen=True)
class FactOutcome:
    """A verdict given when all `when` conditions hold (no conditions: the fallback)."""

    when: tuple[Condition, ...]
    verdict: str
    meaning: str


@dataclass(frozen=True)
class FactRule:
    """Facts that answer a step: applies once every fact in `needs` is known."""

    needs: tuple[str, ...]
    show: str
    outcomes: tuple[FactOutcome, ...]


@dataclass(frozen=True)
class EvidenceSelector:
    """Evidence rows by assay, canonical target and comparison.

    ``threshold`` is the |log2 fold change| that separates a change from persistence; None
    uses the knowledge base's persistence bound.
    """

    assays: tuple[str, ...]
    targets: tuple[str, ...]
    comparison: str
    threshold: float | None


@dataclass(frozen=True)
class EvidenceOutcome:
    """A verdict for rows of the classes in `when` (``up``, ``down``, ``persist``, ``unclear``)."""

    when: tuple[str, ...]
    verdict: str
    meaning: str


@dataclass(frozen=True)
class EvidenceRule:
    """Evidence rows that answer a step; each matched target gives one finding."""

    select: EvidenceSelector
    label: str
    outcomes: tuple[EvidenceOutcome, ...]


@dataclass(frozen=True)
class GuideStep:
    """One step of a guide, with the rules that may answer it."""

    id: str
    instruction: str
    checks: str
    ask: str
    answered_when: str
    references: tuple[str, ...]
    fact_rules: tuple[FactRule, ...]
    evidence_rules: tuple[EvidenceRule, ...]


@dataclass(frozen=True)
class GuideCause:
    """A possible cause of the problem and the steps that test it."""

    id: str
    description: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Guide:
    """A troubleshooting guide: problem, symptoms, causes, ordered steps, when it fits."""

    id: str
    problem: str
    symptoms: tuple[str, ...]
    causes: tuple[GuideCause, ...]
    steps: tuple[GuideStep, ...]
    match_facts: tuple[Condition, ...]
    match_evidence: tuple[tuple[EvidenceSelector, tuple[str, ...]], ...]
    references: tuple[str, ...]


@dataclass(frozen=True)
class Guides:
    """All guides, the facts they may use and their local references."""

    version: int
    guides: tuple[Guide, ...]
    facts: Mapping[str, FactSpec]
    references: Mapping[str, Mapping[str, Any]]

    def guide(self, guide_id: str) -> Guide:
        """Return the guide with id `guide_id`.

        Examples
        --------
        >>> load_guides().guide("decreased_efficacy").problem
        'Decreased Defactinib efficacy in a previously sensitive line'
        """
        for guide in self.guides:
            if guide.id == guide_id:
                return guide
        msg = f"unknown guide {guide_id!r}; known guides are {[g.id for g in self.guides]}"
        raise KeyError(msg)

    def citation(self, reference_id: str, knowledge: Knowledge | None = None) -> str:
        """Citation of a local reference or of one in the knowledge base."""
        if reference_id in self.references:
            return str(self.references[reference_id]["citation"])
        kb = knowledge or load_knowledge()
        return kb.references[reference_id].citation


@dataclass(frozen=True)
class WalkStep:
    """A step as it stands for one study.

    ``status`` is ``"answered"`` when the data answers it (``findings`` say what the data
    shows, ``meanings`` what follows) and ``"open"`` otherwise (do ``instruction``;
    ``findings`` may still hold partial data).
    """

    number: int
    id: str
    instruction: str
    checks: str
    ask: str
    status: str
    findings: tuple[str, ...]
    meanings: tuple[str, ...]
    references: tuple[str, ...]


@dataclass(frozen=True)
class GuideWalk:
    """A guide walked against a study's evidence and facts."""

    guide: Guide
    steps: tuple[WalkStep, ...]

    @property
    def answered(self) -> tuple[WalkStep, ...]:
        """Steps the data already answers."""
        return tuple(s for s in self.steps if s.status == "answered")

    @property
    def open(self) -> tuple[WalkStep, ...]:
        """Steps still to do, in order."""
        return tuple(s for s in self.steps if s.status == "open")

    def to_frame(self) -> pd.DataFrame:
        """One row per step: number, id, status, instruction, findings, meanings."""
        return pd.DataFrame(
            [
                {
                    "guide": self.guide.id,
                    "step": s.number,
                    "id": s.id,
                    "status": s.status,
                    "instruction": s.instruction,
                    "checks": s.checks,
                    "findings": " | ".join(s.findings),
                    "meanings": " | ".join(s.meanings),
                    "references": "; ".join(s.references),
                }
                for s in self.steps
            ]
        )


@dataclass(frozen=True)
class GuideMatch:
    """A guide that fits the study, with the data that made it fit."""

    guide: str
    problem: str
    reasons: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Loading and checking
# --------------------------------------------------------------------------------------------


def validate_guides(path: str | Path) -> dict[str, Any]:
    """Parse a troubleshooting file and check it against its JSON Schema.

    Cross-checks against the knowledge base (targets, comparisons, references, facts) are
    done by `read_guides`.

    Parameters
    ----------
    path : str or Path
        A ``troubleshooting.yaml`` file.

    Returns
    -------
    dict
        The parsed content.

    Raises
    ------
    FileFormatError
        Naming the file and the field path, e.g. ``guides[0].steps[2].answered_by``.

    Examples
    --------
    >>> sorted(validate_guides(data_dir() / "troubleshooting.yaml"))
    ['facts', 'guides', 'references', 'version']
    """
    return dict(read_checked_yaml(Path(path), schema_of("troubleshooting")))


@functools.cache
def load_guides() -> Guides:
    """Return the troubleshooting guides shipped with ResistLab (read once, then cached).

    Examples
    --------
    >>> [g.id for g in load_guides().guides][:2]
    ['decreased_efficacy', 'inconsistent_3d']
    """
    return read_guides(data_dir() / "troubleshooting.yaml")


def read_guides(path: str | Path, *, knowledge: Knowledge | None = None) -> Guides:
    """Read, check and build guides from `path` (not cached).

    Raises
    ------
    FileFormatError
        A schema violation, or a rule naming an unknown target, comparison, fact, step or
        reference (the message names the file and field).
    """
    file = Path(path)
    raw = validate_guides(file)
    return _Builder(file, knowledge or load_knowledge()).build(raw)


class _Builder:
    def __init__(self, file: Path, kb: Knowledge) -> None:
        self.file = file
        self.kb = kb
        self.facts: dict[str, FactSpec] = {}
        self.refs: set[str] = set(kb.references)

    def fail(self, field: str, message: str) -> NoReturn:
        msg = f"{self.file}, field {field}: {message}"
        raise FileFormatError(msg)

    def build(self, raw: Mapping[str, Any]) -> Guides:
        for name, spec in raw["facts"].items():
            values = tuple(spec.get("values", ()))
            if values and spec["kind"] != "string":
                self.fail(f"facts.{name}.values", "only string facts list allowed values")
            self.facts[name] = FactSpec(
                name, spec["kind"], spec.get("unit", ""), values, spec["description"]
            )
        for key in raw["references"]:
            if key in self.kb.references:
                self.fail(f"references.{key}", "already a reference id in references.yaml")
        self.refs |= set(raw["references"])
        guides = []
        seen: set[str] = set()
        for i, g in enumerate(raw["guides"]):
            field = f"guides[{i}]"
            if g["id"] in seen:
                self.fail(f"{field}.id", f"duplicate guide id {g['id']!r}")
            seen.add(g["id"])
            guides.append(self.guide(g, field))
        return Guides(
            version=int(raw["version"]),
            guides=tuple(guides),
            facts=MappingProxyType(self.facts),
            references=MappingProxyType(
                {k: MappingProxyType(dict(v)) for k, v in raw["references"].items()}
            ),
        )

    def references(self, ids: list[str], field: str) -> tuple[str, ...]:
        for j, ref in enumerate(ids):
            if ref not in self.refs:
                self.fail(f"{field}.references[{j}]", f"unknown reference id {ref!r}")
        return tuple(ids)

    def condition(
        self, raw: Mapping[str, Any], field: str, needs: tuple[str, ...] | None
    ) -> Condition:
        name = raw["fact"]
        spec = self.facts.get(name)
        if spec is None:
            self.fail(f"{field}.fact", f"unknown fact {name!r}; declare it under facts")
        if needs is not None and name not in needs:
            self.fail(f"{field}.fact", f"fact {name!r} is not in the rule's needs")
        value = raw["value"]
        if spec.kind == "number" and isinstance(value, str):
            self.fail(f"{field}.value", f"fact {name!r} is a number, got {value!r}")
        if spec.kind == "string":
            if raw["op"] not in ("==", "!="):
                self.fail(f"{field}.op", f"string fact {name!r} allows only == and !=")
            if spec.values and str(value) not in spec.values:
                self.fail(f"{field}.value", f"{value!r} is not one of {list(spec.values)}")
            value = str(value)
        return Condition(name, raw["op"], value)

    def selector(self, raw: Mapping[str, Any], field: str) -> EvidenceSelector:
        targets = []
        for j, name in enumerate(raw["targets"]):
            canonical = self.kb.resolve_target(name)
            if canonical is None:
                self.fail(f"{field}.targets[{j}]", f"{name!r} is not a target in targets.yaml")
            targets.append(canonical)
        if raw["comparison"] not in self.kb.comparisons:
            self.fail(
                f"{field}.comparison",
                f"unknown comparison {raw['comparison']!r}; known: {sorted(self.kb.comparisons)}",
            )
        threshold = raw.get("threshold")
        return EvidenceSelector(
            tuple(raw["assays"]),
            tuple(targets),
            raw["comparison"],
            None if threshold is None else float(threshold),
        )

    def fact_rule(self, raw: Mapping[str, Any], field: str) -> FactRule:
        needs = tuple(raw["needs"])
        for j, name in enumerate(needs):
            if name not in self.facts:
                self.fail(f"{field}.needs[{j}]", f"unknown fact {name!r}; declare it under facts")
        try:
            used = {p[1] for p in string.Formatter().parse(raw["show"]) if p[1] is not None}
        except ValueError as err:
            self.fail(f"{field}.show", f"not a format template: {err}")
        for name in used:
            if name not in needs:
                self.fail(f"{field}.show", f"{{{name}}} is not in the rule's needs")
        outcomes = []
        for j, o in enumerate(raw["outcomes"]):
            when = tuple(
                self.condition(c, f"{field}.outcomes[{j}].when[{n}]", needs)
                for n, c in enumerate(o.get("when", []))
            )
            outcomes.append(FactOutcome(when, o["verdict"], o["meaning"]))
        return FactRule(needs, raw["show"], tuple(outcomes))

    def step(self, raw: Mapping[str, Any], field: str) -> GuideStep:
        answered_by = raw.get("answered_by", {})
        fact_rules = tuple(
            self.fact_rule(r, f"{field}.answered_by.facts[{j}]")
            for j, r in enumerate(answered_by.get("facts", []))
        )
        evidence_rules = []
        for j, r in enumerate(answered_by.get("evidence", [])):
            rfield = f"{field}.answered_by.evidence[{j}]"
            select = self.selector(r["select"], f"{rfield}.select")
            label = r.get("label", f"{'/'.join(select.targets)} ({select.comparison})")
            outcomes = tuple(
                EvidenceOutcome(tuple(o["when"]), o["verdict"], o["meaning"]) for o in r["outcomes"]
            )
            evidence_rules.append(EvidenceRule(select, label, outcomes))
        return GuideStep(
            id=raw["id"],
            instruction=raw["instruction"],
            checks=raw["checks"],
            ask=raw.get("ask", "Done?"),
            answered_when=raw.get("answered_when", "any"),
            references=self.references(raw.get("references", []), field),
            fact_rules=fact_rules,
            evidence_rules=tuple(evidence_rules),
        )

    def guide(self, raw: Mapping[str, Any], field: str) -> Guide:
        if len(raw["steps"]) > _MAX_STEPS:
            self.fail(f"{field}.steps", f"{len(raw['steps'])} steps; a guide has at most 8")
        steps: list[GuideStep] = []
        for j, s in enumerate(raw["steps"]):
            if s["id"] in [t.id for t in steps]:
                self.fail(f"{field}.steps[{j}].id", f"duplicate step id {s['id']!r}")
            steps.append(self.step(s, f"{field}.steps[{j}]"))
        step_ids = [s.id for s in steps]
        causes = []
        for j, c in enumerate(raw["causes"]):
            for n, step_id in enumerate(c["steps"]):
                if step_id not in step_ids:
                    self.fail(f"{field}.causes[{j}].steps[{n}]", f"unknown step {step_id!r}")
            causes.append(GuideCause(c["id"], c["description"], tuple(c["steps"])))
        match = raw.get("match", {})
        match_facts = tuple(
            self.condition(c, f"{field}.match.facts[{j}]", None)
            for j, c in enumerate(match.get("facts", []))
        )
        match_evidence = tuple(
            (self.selector(m["select"], f"{field}.match.evidence[{j}].select"), tuple(m["is"]))
            for j, m in enumerate(match.get("evidence", []))
        )
        return Guide(
            id=raw["id"],
            problem=raw["problem"],
            symptoms=tuple(raw["symptoms"]),
            causes=tuple(causes),
            steps=tuple(steps),
            match_facts=match_facts,
            match_evidence=match_evidence,
            references=self.references(raw.get("references", []), field),
        )


# --------------------------------------------------------------------------------------------
# Facts and evidence
# --------------------------------------------------------------------------------------------


def _check_facts(facts: Mapping[str, Any] | None, guides: Guides) -> dict[str, float | str]:
    checked: dict[str, float | str] = {}
    for name, value in (facts or {}).items():
        spec = guides.facts.get(name)
        if spec is None:
            msg = f"fact {name!r} is not known; known facts are {sorted(guides.facts)}"
            raise InputError(msg)
        if value is None:
            continue
        if spec.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                try:
                    number = float(str(value))
                except ValueError:
                    msg = f"fact {name!r} must be a number ({spec.unit}), got {value!r}"
                    raise InputError(msg) from None
            else:
                number = float(value)
            if not math.isfinite(number):
                msg = f"fact {name!r} must be a finite number, got {value!r}"
                raise InputError(msg)
            checked[name] = number
        else:
            text = "yes" if value is True else "no" if value is False else str(value).strip()
            if spec.values and text not in spec.values:
                msg = f"fact {name!r} must be one of {list(spec.values)}, got {value!r}"
                raise InputError(msg)
            checked[name] = text
    return checked


def _prepare(evidence: pd.DataFrame | None, kb: Knowledge) -> pd.DataFrame:
    columns = ["assay", "target", "comparison", "log2_fold_change"]
    if evidence is None or evidence.empty:
        return pd.DataFrame(columns=[*columns, "se", "p_value", "source", "canonical", "row"])
    missing = [c for c in columns if c not in evidence]
    if missing:
        msg = f"evidence table lacks column(s) {missing}"
        raise InputError(msg)
    table = evidence.reset_index(drop=True).copy()
    table["row"] = np.arange(1, len(table) + 1)
    values = pd.to_numeric(table["log2_fold_change"], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"evidence row {i + 1} ({table['target'].iloc[i]}): log2_fold_change "
            f"{table['log2_fold_change'].iloc[i]!r} is not a number"
        )
        raise InputError(msg)
    table["log2_fold_change"] = values
    for column in ("se", "p_value"):
        table[column] = pd.to_numeric(table[column], errors="coerce") if column in table else np.nan
    if "source" not in table:
        table["source"] = ""
    table["source"] = table["source"].fillna("").astype(str)
    table["assay"] = table["assay"].astype(str).str.strip().str.lower()
    table["comparison"] = table["comparison"].astype(str).str.strip()
    table["canonical"] = [kb.resolve_target(str(t)) for t in table["target"]]
    return table


def _classify(effect: float, se: float, p_value: float, threshold: float) -> str:
    if abs(effect) >= threshold:
        if math.isfinite(se) and se > 0:
            clear = abs(effect) / se >= _Z95
        elif math.isfinite(p_value):
            clear = p_value < 0.05
        else:
            clear = True
        if not clear:
            return "unclear"
        return "up" if effect > 0 else "down"
    if math.isfinite(se) and se > 0 and abs(effect) + _Z95 * se >= threshold:
        return "unclear"
    return "persist"


def _select(table: pd.DataFrame, selector: EvidenceSelector, bound: float) -> list[dict[str, Any]]:
    """Best row per target (largest |log2FC| / se), with its class."""
    rows = table[
        table["canonical"].isin(selector.targets)
        & (table["comparison"] == selector.comparison)
        & table["assay"].isin(selector.assays)
    ]
    threshold = selector.threshold if selector.threshold is not None else bound
    picked = []
    for target in selector.targets:
        mine = rows[rows["canonical"] == target]
        if mine.empty:
            continue
        se = mine["se"].to_numpy(dtype=float)
        effect = mine["log2_fold_change"].to_numpy(dtype=float)
        strength = np.where(np.isfinite(se) & (se > 0), np.abs(effect) / se, np.abs(effect))
        best = mine.iloc[int(np.argmax(strength))]
        picked.append(
            {
                "target": target,
                "effect": float(best["log2_fold_change"]),
                "se": float(best["se"]),
                "p_value": float(best["p_value"]),
                "source": str(best["source"]) or f"evidence row {int(best['row'])}",
                "others": len(mine) - 1,
                "class": _classify(
                    float(best["log2_fold_change"]),
                    float(best["se"]),
                    float(best["p_value"]),
                    threshold,
                ),
            }
        )
    return picked


def _describe_row(label: str, row: Mapping[str, Any], multi: bool) -> str:
    name = f"{label} [{row['target']}]" if multi else label
    spread = f" (se {row['se']:.3g})" if math.isfinite(row["se"]) else ""
    if not spread and math.isfinite(row["p_value"]):
        spread = f" (p {row['p_value']:.2g})"
    more = f", +{row['others']} more row(s)" if row["others"] else ""
    return f"{name}: log2FC {row['effect']:.3g}{spread} in {row['source']}{more}"


def _show(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.3g}"


# --------------------------------------------------------------------------------------------
# Walking and matching
# --------------------------------------------------------------------------------------------


def _walk_step(
    step: GuideStep,
    number: int,
    table: pd.DataFrame,
    facts: Mapping[str, float | str],
    bound: float,
) -> WalkStep:
    findings: list[str] = []
    meanings: list[str] = []
    answered_rules = 0
    for rule in step.fact_rules:
        if not all(n in facts for n in rule.needs):
            continue
        shown = rule.show.format(**{n: facts[n] for n in rule.needs})
        outcome = next((o for o in rule.outcomes if all(c.holds(facts) for c in o.when)), None)
        if outcome is None:
            findings.append(shown)
            continue
        answered_rules += 1
        findings.append(f"{shown} -> {outcome.verdict}")
        meanings.append(outcome.meaning)
    for erule in step.evidence_rules:
        rows = _select(table, erule.select, bound)
        rule_answered = False
        for row in rows:
            text = _describe_row(erule.label, row, len(erule.select.targets) > 1)
            found = next((o for o in erule.outcomes if row["class"] in o.when), None)
            if found is None:
                findings.append(f"{text} -> {row['class']}")
                continue
            rule_answered = True
            findings.append(f"{text} -> {found.verdict}")
            if found.meaning not in meanings:
                meanings.append(found.meaning)
        answered_rules += rule_answered
    n_rules = len(step.fact_rules) + len(step.evidence_rules)
    if step.answered_when == "all":
        answered = n_rules > 0 and answered_rules == n_rules
    else:
        answered = answered_rules > 0
    return WalkStep(
        number=number,
        id=step.id,
        instruction=step.instruction,
        checks=step.checks,
        ask=step.ask,
        status="answered" if answered else "open",
        findings=tuple(findings),
        meanings=tuple(meanings) if answered else (),
        references=step.references,
    )


def walk_guide(
    guide_id: str,
    *,
    evidence: pd.DataFrame | None = None,
    facts: Mapping[str, float | str] | None = None,
    guides: Guides | None = None,
    knowledge: Knowledge | None = None,
) -> GuideWalk:
    """Walk a guide's steps, marking those the study's data already answers.

    Parameters
    ----------
    guide_id : str
        A guide id from `load_guides` (``decreased_efficacy``, ``inconsistent_3d``...).
    evidence : DataFrame, optional
        The evidence table (DESIGN.md): ``assay``, ``target``, ``comparison``,
        ``log2_fold_change`` and, where known, ``se``, ``p_value``, ``source``.
    facts : mapping, optional
        Study-level values keyed by the names declared under ``facts:`` in
        ``troubleshooting.yaml`` (``fold_resistance``, ``z_prime_min``, ``mycoplasma``...).
    guides, knowledge : optional
        Default to the packaged guides and knowledge base.

    Returns
    -------
    GuideWalk
        The steps in order, each ``answered`` (with findings and meanings) or ``open``.

    Raises
    ------
    KeyError
        An unknown guide id.
    InputError
        An unknown fact, a fact of the wrong kind, or an evidence table lacking columns or
        with a non-numeric fold change (naming the row).

    Examples
    --------
    >>> ev = pd.DataFrame({"assay": ["western"], "target": ["p-FAK Tyr397"],
    ...     "comparison": ["drug_vs_vehicle"], "log2_fold_change": [-0.1], "se": [0.2],
    ...     "source": ["blot.csv row 3"]})
    >>> walk = walk_guide("decreased_efficacy", evidence=ev, facts={"mycoplasma": "negative"})
    >>> [s.id for s in walk.answered]
    ['pfak_under_drug']
    >>> walk.answered[0].findings[0]
    'pFAK_Y397 under Defactinib: log2FC -0.1 (se 0.2) in blot.csv row 3 -> persists'
    """
    catalogue = guides or load_guides()
    kb = knowledge or load_knowledge()
    guide = catalogue.guide(guide_id)
    checked = _check_facts(facts, catalogue)
    table = _prepare(evidence, kb)
    bound = float(kb.defaults["persist_max_abs_log2_fold_change"].value)
    steps = tuple(
        _walk_step(step, i + 1, table, checked, bound) for i, step in enumerate(guide.steps)
    )
    return GuideWalk(guide, steps)


def match_guides(
    evidence: pd.DataFrame | None = None,
    facts: Mapping[str, float | str] | None = None,
    *,
    guides: Guides | None = None,
    knowledge: Knowledge | None = None,
) -> tuple[GuideMatch, ...]:
    """Suggest the guides whose ``match`` rules the study's data meets, best first.

    A guide fits when any of its conditions holds; guides with more conditions met come
    first. Each match lists the data that made it fit.

    Examples
    --------
    >>> [m.guide for m in match_guides(facts={"fold_resistance": 3.5})]
    ['decreased_efficacy']
    >>> match_guides(facts={"fold_resistance": 1.2})
    ()
    """
    catalogue = guides or load_guides()
    kb = knowledge or load_knowledge()
    checked = _check_facts(facts, catalogue)
    table = _prepare(evidence, kb)
    bound = float(kb.defaults["persist_max_abs_log2_fold_change"].value)
    matches = []
    for guide in catalogue.guides:
        reasons = [
            f"{c} (study: {_show(checked[c.fact])})" for c in guide.match_facts if c.holds(checked)
        ]
        for selector, classes in guide.match_evidence:
            for row in _select(table, selector, bound):
                if row["class"] in classes:
                    text = _describe_row(f"{row['target']} ({selector.comparison})", row, False)
                    reasons.append(f"{text} -> {row['class']}")
        if reasons:
            matches.append(GuideMatch(guide.id, guide.problem, tuple(reasons)))
    matches.sort(key=lambda m: -len(m.reasons))
    return tuple(matches)
