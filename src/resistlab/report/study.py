"""Run every analysis a study folder supports and collect its results and evidence.

`analyse_study` reads ``study.yaml`` (`resistlab.io.read_study`) and runs, for each section
present: dose-response plates (IC50, fold resistance with CI, GR), the drug-holiday plates
(fold of the holiday line against the line kept on drug), Western blot and phospho-RTK
array densitometry, RNA-seq (DESeq2's method, pathways), combination plates (synergy), and
hand-written evidence tables. Each section writes its tables and figures into its own
folder of the output and contributes evidence rows; the mechanisms are then scored on the
pooled evidence. `resistlab.report.study_html` renders the result.

Input errors are not caught here: a study with a bad file stops with the file and field
named, and `write_study_report` leaves no partial output.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from resistlab.io.study import PlateFiles, StudySpec, read_study
from resistlab.mechanism.scoring import EVIDENCE_COLUMNS, MechanismRanking, score_mechanisms
from resistlab.provenance import cite, data_row

__all__ = ["SectionResult", "StudyResult", "analyse_study", "write_study_report"]

Progress = Callable[[str, int, int], None]
# parameters the report fixes (the methods section prints them)
SYNERGY_MODELS = ("bliss", "zip")
SYNERGY_BOOTSTRAP = 300
SYNERGY_SEED = 0
GSEA_PERMUTATIONS = 1000  # (step starting, steps done, steps in all)
_VEHICLE = {"vehicle", "dmso", "control", "none", "untreated", "0"}


@dataclass
class SectionResult:
    """One assay's outcome: tables, figures (paths) and evidence rows."""

    name: str
    title: str
    summary: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    evidence: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class StudyResult:
    """The whole study: sections, pooled evidence, mechanism ranking, headline numbers."""

    spec: StudySpec
    sections: list[SectionResult]
    evidence: pd.DataFrame
    ranking: MechanismRanking
    headline: dict[str, Any]


def _plate_assay(plates: tuple[PlateFiles, ...]) -> pd.DataFrame:
    from resistlab.io import read_plate_table

    tables = []
    for plate in plates:
        table = read_plate_table(plate.export, plate.map)
        many = table["plate"].nunique() > 1
        table["plate"] = (plate.export.stem + "/" + table["plate"]) if many else plate.export.stem
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def _relative(path: Path, root: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(root))
    return str(path)


def _cite_from_study(table: pd.DataFrame, files: list[Path], folder: Path) -> pd.DataFrame:
    """Cite the reader's files (named by file name) by their path in the study folder."""
    paths: dict[str, str] = {}
    for path in files:
        paths.setdefault(Path(path).name, _relative(Path(path), folder))
    return table.assign(file=[paths.get(str(f), str(f)) for f in table["file"]])


def _dose_response(spec: StudySpec, out: Path) -> SectionResult:
    from resistlab.report.plate_study import analyse_plates, write_plate_study

    section = SectionResult("dose_response", "Sensitivity and fold resistance")
    study = analyse_plates(_plate_assay(spec.plates), reference_line=spec.parental)
    section.figures = [p for p in write_plate_study(study, out) if p.suffix == ".png"]
    section.tables["curves"] = study.pooled.table
    section.notes += list(study.notes)
    rows = []
    if study.fold is not None:
        table = f"{out.name}/fold_resistance.csv"
        fold = study.fold.reset_index(drop=True)
        fold = fold[fold["cell_line"] == spec.resistant]
        section.tables["fold_resistance"] = study.fold
        for rec in fold.itertuples():
            section.summary.append(
                f"{rec.cell_line} is {rec.fold:.1f}x resistant to {rec.drug} "
                f"(IC50 fold, 95 % CI {rec.fold_ci_low:.1f}-{rec.fold_ci_high:.1f}, "
                f"p = {rec.p_value:.2g}) against {rec.reference_line} "
                f"({cite(table, data_row(int(str(rec.Index))))})."
            )
            rows.append(
                {
                    "assay": "dose_response",
                    "target": f"{rec.drug}_ic50",
                    "comparison": "resistant_vs_parental",
                    "log2_fold_change": rec.log2_fold,
                    "p_value": rec.p_value,
                    "se": rec.se_log2,
                    "n": np.nan,
                    "source": f"{cite(table, data_row(int(str(rec.Index))))} "
                    f"(IC50 ratio of the curves fitted to "
                    f"{', '.join(_relative(p.export, spec.folder) for p in spec.plates)}; "
                    f"every well in {out.name}/wells.csv cites its plate file and row)",
                }
            )
    if study.gr is not None:
        gr = study.gr.to_frame()
        section.tables["gr_metrics"] = gr
        section.summary.append(
            "GR metrics (time-zero plate) correct for the lines' different growth rates; "
            "see gr_metrics.csv: a resistant line that grows slower looks more resistant by "
            "plain IC50 than by GR50/GEC50."
        )
    if study.qc is not None:
        section.tables["qc"] = study.qc.to_frame()
    published = _published_potency(spec.drug)
    if len(published):
        checked = published["value"].notna()
        section.tables["published_ic50s"] = published
        section.summary.append(
            f"The knowledge base holds {len(published)} published potency values for "
            f"{spec.drug}, {int(checked.sum())} with a number (published_ic50s.csv): "
            + "; ".join(
                f"{r.measure} {r.value:g} {r.unit} against {r.against} ({r.format}, {r.confidence})"
                for r in published[checked].itertuples()
            )
            + (
                f"; {int((~checked).sum())} assay contexts whose values were not retrieved "
                f"({', '.join(str(c) for c in published.loc[~checked, 'cell_line'])})."
                if (~checked).any()
                else "."
            )
        )
    section.evidence = pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
    return section


def _published_potency(drug: str) -> pd.DataFrame:
    """List the knowledge base's published IC50/Ki values for `drug` with their context."""
    from resistlab.mechanism import load_knowledge

    kb = load_knowledge()
    try:
        wanted = kb.drug(drug).id
    except KeyError:  # a drug the knowledge base does not hold: nothing published to show
        return pd.DataFrame()
    rows = [
        {
            "measure": p.measure,
            "against": p.against or "",
            "cell_line": p.cell_line or "",
            "format": p.format,
            "readout": p.readout,
            "qualifier": p.qualifier,
            "value": p.value,
            "unit": p.unit,
            "confidence": p.confidence,
            "references": "; ".join(p.references),
            "note": p.note,
        }
        for p in kb.published_ic50s
        if p.drug == wanted
    ]
    return pd.DataFrame(rows)


def _campaign(spec: StudySpec, out: Path) -> SectionResult:
    from resistlab.campaign import next_actions
    from resistlab.report import save_figure
    from resistlab.report.timeline import plot_timeline
    from resistlab.store import Store, import_json
    from resistlab.units import format_molar

    assert spec.campaign is not None
    section = SectionResult("campaign", "Resistance induction: the campaign record")
    out.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(out / 'resistlab.db').resolve()}"  # the embedded default store
    import_json(spec.campaign, url)
    store = Store(url)
    try:
        for campaign in store.list_campaigns():
            record = store.load_campaign(campaign.name)
            last = max(p.day for p in record.passages)
            status = next_actions(record, today=last)
            section.summary.append(
                f"Campaign {campaign.name}: {campaign.cell_line} under {campaign.drug}, phase "
                f"{campaign.phase}; {len(record.steps)} dose steps, {len(record.passages)} "
                f"passages and {len(record.cryostocks)} frozen vials on record up to {last}"
                + (
                    "."
                    if campaign.phase == "done"
                    else f"; now at step {status.step}, {format_molar(status.dose)}."
                )
            )
            for action in status.actions:
                dose = "" if action.dose is None else f" ({format_molar(action.dose)})"
                section.notes.append(f"Next: {action.kind}{dose}: {action.reason}")
            path = out / f"timeline_{campaign.name}.png"
            save_figure(plot_timeline(record), path)
            section.figures.append(path)
    finally:
        store.close()
    section.summary.append(
        "The record was loaded into the embedded SQLite store "
        f"{_relative(out / 'resistlab.db', out.parent)} (set RESISTLAB_DB_URL for PostgreSQL)."
    )
    return section


def _drug_holiday(spec: StudySpec, out: Path) -> SectionResult:
    from resistlab.report.plate_study import analyse_plates, write_plate_study

    section = SectionResult("drug_holiday", "Drug holiday: is the resistance reversible?")
    study = analyse_plates(_plate_assay(spec.holiday_plates), reference_line=spec.resistant)
    section.figures = [p for p in write_plate_study(study, out) if p.suffix == ".png"]
    rows = []
    if study.fold is not None:
        table = f"{out.name}/fold_resistance.csv"
        fold = study.fold.reset_index(drop=True)
        fold = fold[fold["cell_line"] == spec.holiday_line]
        section.tables["fold_resistance"] = study.fold
        for rec in fold.itertuples():
            section.summary.append(
                f"After the drug holiday the IC50 is {rec.fold:.2f}x that of the line kept on "
                f"{rec.drug} (95 % CI {rec.fold_ci_low:.2f}-{rec.fold_ci_high:.2f}; "
                f"{cite(table, data_row(int(str(rec.Index))))})."
            )
            rows.append(
                {
                    "assay": "dose_response",
                    "target": f"{rec.drug}_ic50",
                    "comparison": "after_drug_holiday_vs_resistant",
                    "log2_fold_change": rec.log2_fold,
                    "p_value": rec.p_value,
                    "se": rec.se_log2,
                    "n": np.nan,
                    "source": f"{cite(table, data_row(int(str(rec.Index))))} "
                    f"(IC50 ratio of the curves fitted to "
                    f"{', '.join(_relative(p.export, spec.folder) for p in spec.holiday_plates)})",
                }
            )
    section.evidence = pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
    return section


def _western(spec: StudySpec, out: Path) -> SectionResult:
    from resistlab.imaging import compare_conditions, normalize_bands
    from resistlab.io import read_densitometry

    cfg = spec.western
    section = SectionResult("western", "Western blots")
    bands = _cite_from_study(
        read_densitometry(list(cfg["exports"]), layout=cfg.get("layout"), lanes=cfg.get("lanes")),
        cfg["exports"],
        spec.folder,
    )
    normalized = normalize_bands(bands, loading_control=cfg.get("loading_control", "GAPDH"))
    out.mkdir(parents=True, exist_ok=True)
    section.tables["bands"] = normalized
    frames = []
    treated = normalized.get("treatment")
    is_vehicle = (
        treated.astype(str).str.lower().isin(_VEHICLE)
        if treated is not None
        else pd.Series(True, index=normalized.index)
    )
    baseline = normalized[is_vehicle]
    if {"resistant", "parental"} <= set(baseline["condition"].astype(str)):
        comp = compare_conditions(baseline, numerator="resistant", denominator="parental")
        section.tables["resistant_vs_parental"] = comp.to_frame()
        frames.append(
            comp.to_evidence(assay="western", comparison="resistant_vs_parental", source=None)
        )
    if treated is not None and (~is_vehicle).any():
        resistant = normalized[normalized["condition"].astype(str) == "resistant"].copy()
        drug = resistant.loc[~is_vehicle[resistant.index], "treatment"].astype(str).iloc[0]
        resistant["condition"] = np.where(is_vehicle[resistant.index], "vehicle", drug)
        comp = compare_conditions(resistant, numerator=drug, denominator="vehicle")
        section.tables["drug_vs_vehicle"] = comp.to_frame()
        frames.append(comp.to_evidence(assay="western", comparison="drug_vs_vehicle", source=None))
    section.evidence = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    )
    section.tables["bands"] = section.tables.pop("bands")  # comparisons first, bands last
    _summarise_fold_changes(section, "Western blots")
    if len(section.evidence):
        section.figures.append(
            _fold_change_figure(section.evidence, out / "fold_changes.png", "Western blots")
        )
    return section


def _summarise_fold_changes(section: SectionResult, what: str) -> None:
    """One sentence per comparison: the targets that changed at least 1.5-fold, p < 0.05.

    Each target cites its row of the comparison's table (``<comparison>.csv``).
    """
    evidence = section.evidence
    if evidence is None or evidence.empty:
        return
    for comparison, rows in evidence.groupby("comparison", sort=False):
        changed = rows[(rows["log2_fold_change"].abs() >= np.log2(1.5)) & (rows["p_value"] < 0.05)]
        table = section.tables[str(comparison)].reset_index(drop=True)
        where = f"{section.name}/{comparison}.csv"
        cited = []
        for target, value in zip(changed["target"], changed["log2_fold_change"], strict=True):
            at = np.flatnonzero(
                (table["target"].astype(str) == str(target))
                & np.isclose(table["log2_fold_change"].to_numpy(dtype=float), float(value))
            )
            row = f" ({cite(where, data_row(int(at[0])))})" if len(at) else ""
            cited.append(f"{target} {2.0**value:.2g}x{row}")
        names = ", ".join(cited)
        label = str(comparison).replace("_vs_", " vs ").replace("_", " ")
        section.summary.append(
            f"{what}, {label}: "
            + (
                f"changed at least 1.5-fold (p < 0.05): {names}."
                if names
                else "no target changed at least 1.5-fold with p < 0.05."
            )
        )


def _fold_change_figure(evidence: pd.DataFrame, path: Path, title: str) -> Path:
    from resistlab.report import save_figure
    from resistlab.report.evidence_figures import plot_fold_changes

    return save_figure(plot_fold_changes(evidence, title=title), path)


def _rtk_array(spec: StudySpec, out: Path) -> SectionResult:
    from resistlab.imaging import rtk_array_fold_changes
    from resistlab.io import read_densitometry
    from resistlab.mechanism.targets import phospho_array_targets

    cfg = spec.rtk_array
    section = SectionResult("rtk_array", "Phospho-RTK array")
    spots = _cite_from_study(
        read_densitometry(list(cfg["exports"]), layout=cfg.get("layout"), lanes=cfg.get("lanes")),
        cfg["exports"],
        spec.folder,
    )
    kwargs: dict[str, Any] = {}
    if cfg.get("reference_spots"):
        kwargs["reference_spots"] = tuple(cfg["reference_spots"])
    if cfg.get("negative"):
        kwargs["negative"] = tuple(cfg["negative"])
    result = rtk_array_fold_changes(spots, **kwargs)
    out.mkdir(parents=True, exist_ok=True)
    table = result.to_frame()
    section.tables["fold_changes"] = table
    hits = table.reset_index(drop=True)
    hits = hits[hits["hit"]]
    if len(hits):
        names = ", ".join(
            f"{t} {2.0**v:.1f}x ({cite(f'{out.name}/fold_changes.csv', data_row(int(str(i))))})"
            for i, t, v in zip(hits.index, hits["target"], hits["log2_fold_change"], strict=True)
        )
        section.summary.append(f"Phospho-RTK array hits (resistant vs parental): {names}.")
    else:
        section.summary.append("No phospho-RTK array hit (|log2 FC| >= 1 and detected).")
    section.evidence = phospho_array_targets(
        result.to_evidence(assay="rtk_array", comparison="resistant_vs_parental", source=None)
    )
    if len(section.evidence):
        section.figures.append(
            _fold_change_figure(section.evidence, out / "fold_changes.png", "Phospho-RTK array")
        )
    return section


def _rnaseq(spec: StudySpec, out: Path) -> SectionResult:
    from resistlab.report.rnaseq_run import run_rnaseq

    cfg = spec.rnaseq
    counts = cfg["counts"] if isinstance(cfg["counts"], list) else [cfg["counts"]]
    factor, num, den = cfg.get("contrast") or ("condition", "resistant", "parental")
    contrast = (str(factor), str(num), str(den))
    summary, warnings_out = run_rnaseq(
        counts,
        cfg["samples"],
        out,
        design=cfg.get("design", "~ condition"),
        contrast=contrast,
        tx2gene=cfg.get("tx2gene"),
        permutations=GSEA_PERMUTATIONS,
        cite_as=out.name,
    )
    section = SectionResult("rnaseq", "RNA-seq: differential expression and pathways")
    section.summary += summary[:-1]
    section.notes += warnings_out
    section.figures = sorted(out.glob("*.png"))
    section.tables["de"] = pd.read_csv(out / "de.csv")
    section.tables["gsea"] = pd.read_csv(out / "gsea.csv")
    section.evidence = pd.read_csv(out / "evidence.csv")
    return section


def _synergy(spec: StudySpec, out: Path) -> SectionResult:
    from resistlab.io import read_combination_plates
    from resistlab.synergy.evidence import synergy_evidence
    from resistlab.synergy.qc import combination_qc
    from resistlab.synergy.tables import score_blocks

    section = SectionResult("synergy", "Combinations: synergy in the resistant line")
    matrices = read_combination_plates(
        [p.export for p in spec.synergy_plates], [p.map for p in spec.synergy_plates]
    )
    qc = combination_qc(matrices)
    wells, blocks = score_blocks(
        matrices, SYNERGY_MODELS, n_boot=SYNERGY_BOOTSTRAP, seed=SYNERGY_SEED
    )
    blocks = pd.concat([blocks, qc[["n_outliers", "replicate_sd", "qc_warnings"]]], axis=1)
    blocks["plates"] = _block_plates(blocks, spec)
    section.figures = _synergy_figures(matrices, wells, out)
    out.mkdir(parents=True, exist_ok=True)
    wells.to_csv(out / "wells.csv", index=False)
    section.tables["blocks"] = blocks
    for k, (_, rec) in enumerate(blocks.iterrows()):
        line = str(rec["cell_line"]) or "the resistant line"
        section.summary.append(
            f"{rec['drug1']} + {rec['drug2']} in {line}: ZIP {rec['zip_mean']:+.1f} (95 % CI "
            f"{rec['zip_ci_low']:+.1f} to {rec['zip_ci_high']:+.1f}), "
            f"Bliss {rec['bliss_mean']:+.1f} ({cite(f'{out.name}/blocks.csv', data_row(k))})."
        )
    lines = {str(x) for x in blocks["cell_line"] if str(x)}
    section.evidence = synergy_evidence(
        blocks,
        model="zip",
        cell_line=spec.resistant if spec.resistant in lines else None,
        parental=spec.parental if spec.parental in lines else None,
        source="synergy/blocks.csv",
    )
    return section


def _synergy_figures(matrices: Any, wells: pd.DataFrame, out: Path) -> list[Path]:
    """Draw the ZIP synergy map of each block (red synergy, blue antagonism)."""
    from resistlab.report import save_figure
    from resistlab.report.synergy_figures import plot_synergy_heatmap
    from resistlab.synergy.tables import well_scores

    out.mkdir(parents=True, exist_ok=True)
    scores = well_scores(matrices, wells, "zip")
    paths = []
    for i, block in enumerate(matrices.block_ids):
        tag = re.sub(r"[^A-Za-z0-9_-]+", "-", str(block)).strip("-")
        figure = plot_synergy_heatmap(matrices, scores, block=i, title="ZIP synergy")
        paths.append(save_figure(figure, out / f"zip_{tag}.png"))
    return paths


def _block_plates(blocks: pd.DataFrame, spec: StudySpec) -> list[str]:
    """List the plate exports (study paths) whose map holds each block's line and pair."""
    from resistlab.io import read_plate_map

    pairs: list[tuple[str, set[tuple[str, frozenset[str]]]]] = []
    for plate in spec.synergy_plates:
        wells = read_plate_map(plate.map).wells
        wells = wells[wells["drug2"].notna() & wells["drug"].notna()]
        keys = {
            (str(line), frozenset((str(a).lower(), str(b).lower())))
            for line, a, b in zip(wells["cell_line"], wells["drug"], wells["drug2"], strict=True)
        }
        pairs.append((_relative(plate.export, spec.folder), keys))
    out = []
    for line, d1, d2 in zip(blocks["cell_line"], blocks["drug1"], blocks["drug2"], strict=True):
        key = (str(line), frozenset((str(d1).lower(), str(d2).lower())))
        out.append("; ".join(name for name, keys in pairs if key in keys))
    return out


def _evidence_files(spec: StudySpec) -> SectionResult:
    from resistlab.io.evidence import read_evidence

    section = SectionResult("evidence_files", "Evidence entered by hand")
    section.evidence = read_evidence(list(spec.evidence), relative_to=spec.folder)
    section.tables["rows"] = section.evidence
    section.summary.append(
        f"{len(section.evidence)} rows from {', '.join(p.name for p in spec.evidence)}."
    )
    return section


STEPS: tuple[tuple[str, Callable[[StudySpec], bool]], ...] = (
    ("dose_response", lambda s: bool(s.plates)),
    ("campaign", lambda s: s.campaign is not None),
    ("drug_holiday", lambda s: bool(s.holiday_plates)),
    ("western", lambda s: bool(s.western)),
    ("rtk_array", lambda s: bool(s.rtk_array)),
    ("rnaseq", lambda s: bool(s.rnaseq)),
    ("synergy", lambda s: bool(s.synergy_plates)),
    ("evidence_files", lambda s: bool(s.evidence)),
)


def analyse_study(
    folder: str | Path, out: str | Path, *, progress: Progress | None = None
) -> StudyResult:
    """Run every analysis the study supports, writing section outputs under `out`."""
    spec = read_study(folder)
    root = Path(out)
    say = progress or (lambda _step, _done, _total: None)
    runners: dict[str, Callable[[], SectionResult]] = {
        "dose_response": lambda: _dose_response(spec, root / "dose_response"),
        "campaign": lambda: _campaign(spec, root / "campaign"),
        "drug_holiday": lambda: _drug_holiday(spec, root / "drug_holiday"),
        "western": lambda: _western(spec, root / "western"),
        "rtk_array": lambda: _rtk_array(spec, root / "rtk_array"),
        "rnaseq": lambda: _rnaseq(spec, root / "rnaseq"),
        "synergy": lambda: _synergy(spec, root / "synergy"),
        "evidence_files": lambda: _evidence_files(spec),
    }
    sections = []
    steps = [name for name, present in STEPS if present(spec)]
    total = len(steps) + 2  # the mechanisms, then writing the report
    for done, name in enumerate(steps):
        say(name, done, total)
        sections.append(runners[name]())
    frames = [s.evidence for s in sections if s.evidence is not None and len(s.evidence)]
    evidence = (
        pd.concat(frames, ignore_index=True)[list(EVIDENCE_COLUMNS)]
        if frames
        else pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    )
    say("mechanisms", len(steps), total)
    ranking = score_mechanisms(evidence)
    baseline = _baseline_rtk(spec, root / "rnaseq")
    if baseline is not None:
        sections.append(baseline)
    headline: dict[str, Any] = {"study": spec.name, "drug": spec.drug}
    fold = next((s for s in sections if s.name == "dose_response"), None)
    if fold is not None and "fold_resistance" in fold.tables:
        rows = fold.tables["fold_resistance"].reset_index(drop=True)
        rows = rows[rows["cell_line"] == spec.resistant]
        if len(rows):
            headline["fold"] = rows.iloc[0].to_dict()
            headline["fold"]["row"] = data_row(int(rows.index[0]))
    if fold is not None and "gr_metrics" in fold.tables:
        gr = fold.tables["gr_metrics"]
        lines = list(gr["cell_line"].astype(str))
        if spec.parental in lines and spec.resistant in lines:

            def value(line: str, column: str) -> float:
                return float(gr[column].to_numpy(dtype=float)[lines.index(line)])

            headline["gr"] = {
                "gr50_ratio": value(spec.resistant, "GR50") / value(spec.parental, "GR50"),
                "gec50_ratio": value(spec.resistant, "GEC50") / value(spec.parental, "GEC50"),
                "grinf_parental": value(spec.parental, "GRinf"),
                "grinf_resistant": value(spec.resistant, "GRinf"),
                "rows": (
                    data_row(lines.index(spec.parental)),
                    data_row(lines.index(spec.resistant)),
                ),
            }
    sections.append(_troubleshooting(evidence, headline, root / "troubleshooting"))
    return StudyResult(spec, sections, evidence, ranking, headline)


def _baseline_rtk(spec: StudySpec, rnaseq_out: Path) -> SectionResult | None:
    """Intrinsic resistance from the parental line's RTK expression (Marlowe et al. 2016)."""
    from resistlab.mechanism import baseline_rtk_status

    table = rnaseq_out / "normalized_counts.csv"
    de = rnaseq_out / "de.csv"
    if not table.exists() or not de.exists():
        return None
    counts = pd.read_csv(table, index_col=0)
    symbols = pd.read_csv(de, usecols=lambda c: c in ("gene", "symbol")).set_index("gene")
    samples = pd.read_csv(spec.rnaseq["samples"])
    factor, _, den = spec.rnaseq.get("contrast") or ("condition", "resistant", "parental")
    parental = samples.loc[samples[factor].astype(str) == str(den), "sample"].astype(str)
    names = symbols["symbol"] if "symbol" in symbols else pd.Series(symbols.index, symbols.index)
    rtks = ("EGFR", "ERBB2", "ERBB3", "MET", "AXL", "IGF1R", "FGFR1", "PDGFRB")
    means = counts[list(parental)].mean(axis=1)
    by_gene = dict(zip(means.index.astype(str), means.to_numpy(dtype=float), strict=True))
    levels = {}
    for gene, symbol in zip(names.index.astype(str), names.astype(str), strict=True):
        if symbol in rtks and gene in by_gene:
            levels[symbol] = by_gene[gene]
    if not levels:
        return None
    _status, sentence = baseline_rtk_status(pd.Series(levels))
    section = SectionResult("baseline_rtk", "Baseline RTK levels of the parental line")
    section.summary.append(f"{sentence[0].upper()}{sentence[1:]}.")
    section.tables["parental_rtk_levels"] = pd.DataFrame(
        {"rtk": list(levels), "mean_normalized_count": list(levels.values())}
    )
    return section


def _troubleshooting(evidence: pd.DataFrame, headline: dict[str, Any], out: Path) -> SectionResult:
    """Walk the troubleshooting guides that fit the study against its data.

    The study facts used are written to ``facts.yaml`` so that ``resistlab troubleshoot``
    can walk any guide, interactively, from the report folder.
    """
    from resistlab.mechanism import match_guides, walk_guide

    facts: dict[str, float | str] = {}
    fold = headline.get("fold")
    if fold:
        facts["fold_resistance"] = float(fold["fold"])
        facts["fold_resistance_ci_low"] = float(fold["fold_ci_low"])
        facts["fold_resistance_ci_high"] = float(fold["fold_ci_high"])
    gr = headline.get("gr")
    if gr:
        facts["gr50_fold_resistance"] = float(gr["gr50_ratio"])
    section = SectionResult("troubleshooting", "Troubleshooting: what the data answers")
    matches = match_guides(evidence, facts)
    if not matches:
        section.summary.append("No troubleshooting guide matches this study's data.")
        return section
    out.mkdir(parents=True, exist_ok=True)
    (out / "facts.yaml").write_text(yaml.safe_dump(facts, sort_keys=False), encoding="utf-8")
    for match in matches[:2]:
        walk = walk_guide(match.guide, evidence=evidence, facts=facts)
        section.summary.append(
            f"{match.problem} ({'; '.join(match.reasons)}): {len(walk.answered)} of "
            f"{len(walk.steps)} steps answered by the data. Walk the open steps with: "
            f"resistlab troubleshoot {match.guide} -e evidence.csv -f "
            f"{out.name}/facts.yaml (from the report folder)."
        )
        section.tables[f"{match.guide}_steps"] = walk.to_frame()
    return section


def write_study_report(
    folder: str | Path, out: str | Path, *, progress: Progress | None = None, pdf: bool = False
) -> Path:
    """Analyse the study and write ``report.html`` with every table and figure into `out`.

    With `pdf`, ``report.pdf`` is printed from the page by a headless Chromium
    (`resistlab.report.pdf`); a missing browser is reported before any analysis runs.
    Everything is built in a temporary folder beside `out` and moved into place at the
    end: a failure leaves `out` as it was.
    """
    from resistlab.report.pdf import find_chromium, print_pdf
    from resistlab.report.study_html import render_study

    browser = find_chromium() if pdf else None
    say = progress or (lambda _step, _done, _total: None)
    steps = {"total": 1}

    def relay(step: str, done: int, total: int) -> None:  # one more step for the PDF
        steps["total"] = total + int(pdf)
        say(step, done, steps["total"])

    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        result = analyse_study(folder, work, progress=relay)
        say("writing the report", steps["total"] - 1 - int(pdf), steps["total"])
        for section in result.sections:  # each table is <section>/<name>.csv beside the report
            for name, table in section.tables.items():
                path = work / section.name / f"{name}.csv"
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    table.to_csv(path, index=False)
        result.evidence.to_csv(work / "evidence.csv", index=False)
        result.ranking.to_frame().to_csv(work / "ranking.csv", index=False)
        result.ranking.contributions.to_csv(work / "ranking_contributions.csv", index=False)
        (work / "report.html").write_text(render_study(result, work), encoding="utf-8")
        if browser is not None:
            say("printing the PDF", steps["total"] - 1, steps["total"])
            print_pdf(work / "report.html", work / "report.pdf", browser=browser)
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            target.rename(old)
            work.rename(target)
            shutil.rmtree(old)
        else:
            work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target / "report.html"
