"""The study report as one self-contained HTML page (figures embedded, CSS inline).

Summary first (fold resistance with its CI, the mechanisms with confidence and verdict,
the combinations to try, the next experiments), then each assay's section with its
figures and tables, the evidence table with every row's source, methods (software
versions and parameters) and references.

Every number leads back to its file and row: each table shows the spreadsheet row of
the CSV it was written to (beside the report) and links to that CSV; each evidence row's
source is a link to the table row or raw study file it cites (`resistlab.provenance`);
each mechanism's supporting and contradicting evidence links to its evidence row; the
summary's numbers link to the rows they were read from.
"""

from __future__ import annotations

import base64
import html
import os
import platform
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from resistlab.provenance import citations, data_row

if TYPE_CHECKING:
    from resistlab.report.study import SectionResult, StudyResult

__all__ = ["render_study"]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0;
       color: #1d2733; background: #fafbfc; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
h1 { font-size: 1.7em; margin-bottom: 0.1em; } h2 { border-bottom: 2px solid #dde3ea;
     padding-bottom: 4px; margin-top: 2em; } h3 { margin-top: 1.4em; }
.meta { color: #5b6673; font-size: 0.9em; }
.summary { background: #f1f6fb; border-left: 4px solid #2b6cb0; padding: 12px 18px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 8px 0 16px; }
th, td { border: 1px solid #dde3ea; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f6f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict-supported { color: #1e7b34; font-weight: 600; }
.verdict-weakly-supported { color: #3f8f4f; }
.verdict-inconclusive { color: #a06a00; } .verdict-contradicted { color: #b42318; }
.verdict-untested { color: #8a94a0; }
figure { display: inline-block; margin: 8px 12px 8px 0; max-width: 48%; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #e5e9ee; }
figcaption { font-size: 0.8em; color: #5b6673; }
.note { color: #8a5a00; font-size: 0.9em; } nav a { margin-right: 12px; }
.wrap { overflow-x: auto; max-width: 100%; }
td.row { color: #8a94a0; } tr:target { background: #fff3c4; }
a.cite { color: inherit; text-decoration: underline dotted; }
@media print { body { background: #fff; } main { max-width: none; padding: 0; }
  nav { display: none; } tr, figure, .summary { break-inside: avoid; }
  h2, h3 { break-after: avoid; } .wrap { overflow: visible; } }
"""

_SHOWN_ROWS = 25
_MODEL_NAMES = {"bliss": "Bliss", "zip": "ZIP", "hsa": "HSA", "loewe": "Loewe"}


def _esc(value: object) -> str:
    return html.escape(str(value))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if pd.isna(value):
            return ""
        return f"{value:.3g}"
    return _esc(value)


@dataclass
class _Links:
    """Where cited files and rows are: in-page table rows, output files, study files."""

    root: Path  # the report folder (being built)
    study: Path  # the study folder
    rows: dict[tuple[str, int], str] = field(default_factory=dict)  # (csv, row) -> anchor

    @staticmethod
    def anchor(csv: str, row: int) -> str:
        return "t-" + re.sub(r"[^A-Za-z0-9]+", "-", csv).strip("-") + f"-{row}"

    def show(self, csv: str, count: int) -> None:
        for i in range(count):
            self.rows[(csv, data_row(i))] = self.anchor(csv, data_row(i))

    def href(self, file: str, rows: tuple[int, ...]) -> str | None:
        if len(set(rows)) == 1 and (file, rows[0]) in self.rows:
            return "#" + self.rows[(file, rows[0])]
        if (self.root / file).is_file():
            return file
        if (self.study / file).is_file():  # the report folder is built beside its final place
            return Path(os.path.relpath(self.study / file, self.root)).as_posix()
        return None

    def text(self, value: object) -> str:
        """Escape `value`, turning every file citation it holds into a link."""
        text = str(value)
        out, at = [], 0
        for found in citations(text):
            link = self.href(found.file, found.rows)
            if link is None:
                continue
            out.append(_esc(text[at : found.start]))
            piece = _esc(text[found.start : found.end])
            out.append(f'<a class="cite" href="{_esc(link)}">{piece}</a>')
            at = found.end
        out.append(_esc(text[at:]))
        return "".join(out)


def _table(
    frame: pd.DataFrame,
    links: _Links,
    *,
    csv: str | None = None,
    columns: list[str] | None = None,
    rows: int = _SHOWN_ROWS,
    cited: tuple[str, ...] = ("source", "files", "plates", "supporting", "contradicting"),
) -> str:
    """Render `frame`; with `csv`, a first column gives each row's spreadsheet row there."""
    view = frame[columns] if columns else frame
    hidden = 0
    if columns is None and view.shape[1] > 12:  # the first 12, and the citations always
        kept = [c for c in view.columns[:12] if c not in cited]
        kept += [c for c in view.columns if c in cited]
        hidden = view.shape[1] - len(kept)
        view = view[kept]
    head = ("<th>row</th>" if csv else "") + "".join(f"<th>{_esc(c)}</th>" for c in view.columns)
    body = []
    for i, (_, row) in enumerate(view.head(rows).iterrows()):
        cells = []
        for value in row:
            if isinstance(value, str):  # citations anywhere become links
                cells.append(f"<td>{_evidence_links(links.text(value))}</td>")
                continue
            cls = ' class="num"' if isinstance(value, int | float) else ""
            cells.append(f"<td{cls}>{_fmt(value)}</td>")
        if csv:
            n = data_row(i)
            body.append(
                f'<tr id="{links.anchor(csv, n)}"><td class="row">{n}</td>'
                + "".join(cells)
                + "</tr>"
            )
        else:
            body.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="meta">{len(view) - rows} more rows in the CSV.</p>' if len(view) > rows else ""
    )
    if hidden:
        more += f'<p class="meta">{hidden} more columns in the CSV.</p>'
    return f'<div class="wrap"><table><tr>{head}</tr>{"".join(body)}</table></div>{more}'


def _evidence_links(text: str) -> str:
    """Link ``evidence #N`` (the mechanisms' citations) to the evidence table's row N."""
    return re.sub(
        r"evidence #(\d+)",
        lambda m: f'<a class="cite" href="#evidence-{m[1]}">evidence #{m[1]}</a>',
        text,
    )


def _figure(path: Path, root: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = _esc(path.relative_to(root)) if path.is_relative_to(root) else _esc(path.name)
    return (
        f'<figure><img alt="{caption}" src="data:image/png;base64,{data}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _verdict(value: str) -> str:
    return f'<span class="verdict-{value.replace(" ", "-")}">{_esc(value)}</span>'


def _at(links: _Links, csv: str, row: int, text: str) -> str:
    """`text` (already HTML) linked to a table row of the report, or to its CSV."""
    href = links.href(csv, (row,))
    return f'<a class="cite" href="{_esc(href)}">{text}</a>' if href else text


def _combination(name: str, evidence: pd.DataFrame) -> str:
    """Name a recommended combination with the synergy this study measured, if any."""
    from resistlab.synergy.evidence import POINTS_PER_LOG2_UNIT

    tested = (
        (evidence["assay"] == "synergy")
        & (evidence["comparison"] == "combination_vs_additivity")
        & (evidence["target"].astype(str) == name)
    ).to_numpy()
    if not tested.any():
        return f"<b>{_esc(name)}</b> (not tested here)"
    k = int(tested.nonzero()[0][0]) + 1
    points = float(evidence["log2_fold_change"].iloc[k - 1]) * POINTS_PER_LOG2_UNIT
    return (
        f'<b>{_esc(name)}</b> (synergy {points:+.1f} points, <a class="cite" '
        f'href="#evidence-{k}">evidence #{k}</a>)'
    )


def _summary(result: StudyResult, links: _Links) -> str:
    parts = []
    fold = result.headline.get("fold")
    if fold:
        number = _at(
            links, "dose_response/fold_resistance.csv", fold["row"], f"<b>{fold['fold']:.1f}x</b>"
        )
        parts.append(
            f"<p><b>{_esc(fold['cell_line'])}</b> is {number} resistant to "
            f"{_esc(fold['drug'])} (IC50 ratio, 95 % CI {fold['fold_ci_low']:.1f}-"
            f"{fold['fold_ci_high']:.1f}, p = {fold['p_value']:.2g}) against "
            f"{_esc(fold['reference_line'])}.</p>"
        )
    gr = result.headline.get("gr")
    if gr:
        csv = "dose_response/gr_metrics.csv"
        parental, resistant = (_at(links, csv, row, str(row)) for row in gr["rows"])
        where = f" (gr_metrics.csv rows {parental} and {resistant})"
        parts.append(
            f"<p>Growth-rate corrected (GR metrics, time-zero plate): GR50 ratio "
            f"{gr['gr50_ratio']:.1f}x, GEC50 ratio {gr['gec50_ratio']:.1f}x; GRinf "
            f"{gr['grinf_parental']:+.2f} (parental) vs {gr['grinf_resistant']:+.2f} "
            f"(resistant){where}: the resistant line grows slower and the drug becomes "
            "cytostatic rather than cytotoxic, which inflates the plain IC50 ratio.</p>"
            if gr["grinf_resistant"] > 0 > gr["grinf_parental"]
            else f"<p>Growth-rate corrected (GR metrics): GR50 ratio {gr['gr50_ratio']:.1f}x, "
            f"GEC50 ratio {gr['gec50_ratio']:.1f}x{where}.</p>"
        )
    ranking = result.ranking.table
    tested = ranking[ranking["verdict"] != "untested"]
    if len(tested):
        items = "".join(
            f"<li>{_esc(r['name'])}: {_verdict(str(r['verdict']))} "
            f'(<a class="cite" href="#mechanism-{_esc(r["mechanism"])}">confidence '
            f"{r['confidence']:.2f}</a>)</li>"
            for _, r in tested.head(3).iterrows()
        )
        parts.append(f"<p>Mechanisms the evidence weighs most:</p><ol>{items}</ol>")
    supported = tested[tested["verdict"].isin(["supported", "weakly supported"])]
    combos = [c for value in supported["combinations"] for c in str(value).split("; ") if c]
    if combos:
        parts.append(
            "<p>Combinations to try (the mechanisms' combinations; synergy where this study "
            "tested them): "
            + ", ".join(_combination(c, result.evidence) for c in dict.fromkeys(combos))
            + ".</p>"
        )
    open_questions = ranking[
        ranking["counts_as_fak_inhibitor_resistance"].astype(bool)
        & ranking["verdict"].isin(["inconclusive", "weakly supported", "untested"])
    ]
    nexts = [
        str(v).split(" | ")[0]
        for v in open_questions.sort_values("priority", ascending=False)["next_experiments"]
        if str(v)
    ]
    if nexts:
        parts.append(
            "<p>Next experiments:</p><ul>"
            + "".join(f"<li>{_esc(t)}</li>" for t in list(dict.fromkeys(nexts))[:3])
            + "</ul>"
        )
    if not parts:
        parts.append("<p>The study names no file an analysis could run on.</p>")
    return '<section class="summary">' + "".join(parts) + "</section>"


def _section(section: SectionResult, root: Path, links: _Links) -> str:
    out = [f'<h2 id="{section.name}">{_esc(section.title)}</h2>']
    out += [f"<p>{links.text(line)}</p>" for line in section.summary]
    out += [f'<p class="note">{links.text(line)}</p>' for line in section.notes]
    out += [_figure(p, root) for p in section.figures]
    for name, table in section.tables.items():
        csv = f"{section.name}/{name}.csv"
        out.append(
            f"<h3>{_esc(name.replace('_', ' '))} "
            f'<a class="meta" href="{_esc(csv)}">{_esc(csv)}</a></h3>'
        )
        out.append(_table(table, links, csv=csv))
    if section.evidence is not None and len(section.evidence):
        out.append(f'<p class="meta">{len(section.evidence)} evidence rows.</p>')
    return "\n".join(out)


def _methods(result: StudyResult) -> str:
    from resistlab.mechanism import load_knowledge
    from resistlab.mechanism.calibration import load_calibration
    from resistlab.mechanism.scoring import LEVEL_FACTOR, SCALE
    from resistlab.report import study

    versions = []
    for name in ("resistlab", "numpy", "scipy", "pandas", "numba", "matplotlib"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    rnaseq = result.spec.rnaseq or {}
    design = rnaseq.get("design", "~ condition")
    contrast = rnaseq.get("contrast") or ("condition", "resistant", "parental")
    calibration = load_calibration()
    levels = ", ".join(f"{k} {v:g}" for k, v in LEVEL_FACTOR.items())
    paragraphs = [
        "Dose response: four-parameter log-logistic fits (drc's LL.4) per cell line and "
        "run, IC50 with 95 % CIs from the full Hessian, fold resistance as the IC50 ratio "
        "with a delta-method CI and a t-test on log2 IC50s; GR metrics (Hafner et al. "
        "2016) from the time-zero plate. The drug holiday is the same analysis against the "
        "line kept on drug.",
        "Densitometry: each band divided by its lane's loading control, phospho over "
        "total in the same lane, log2 ratios per blot and a one-sample t-test across "
        "blots. Phospho-RTK array: spots minus the negative (PBS) spots, over the "
        "reference spots, duplicate spots averaged; a hit changes at least two-fold and "
        "is detected.",
        f"RNA-seq: DESeq2 1.38's method (median-of-ratios size factors, MAP dispersions, "
        f"Wald test, Cook's filtering, independent filtering at alpha 0.1), design "
        f"{design!s}, contrast {' vs '.join(map(str, contrast[1:]))} on {contrast[0]}; "
        f"GSEA prerank on the Wald statistic with {study.GSEA_PERMUTATIONS:,} gene-set "
        "permutations; PROGENy footprints (top-500 weights).",
        f"Combinations: {' and '.join(_MODEL_NAMES[m] for m in study.SYNERGY_MODELS)} synergy "
        f"(SynergyFinder's percentage-point scale), block means with "
        f"{study.SYNERGY_BOOTSTRAP} replicate-bootstrap resamples (seed "
        f"{study.SYNERGY_SEED}) for the 95 % CIs; evidence rows carry the ZIP mean / 10.",
        f"Mechanisms: knowledge base version {load_knowledge().version}; each evidence row "
        f"that matches a marker adds sign x {SCALE:g} x weight x level x strength x size "
        f"to its mechanism's log-odds (levels {levels}); the confidence maps the score "
        f"through an isotonic calibration fitted on {calibration.studies:,} simulated "
        f"studies (seed {calibration.seed}), within [0.01, 0.99]; supported from 0.9, "
        "weakly supported from 0.7, contradicted at 0.2 or below.",
    ]
    return (
        "<h2 id='methods'>Methods</h2>"
        + "".join(f"<p>{_esc(p)}</p>" for p in paragraphs)
        + f"<p class='meta'>Software: {_esc(', '.join(versions))}; Python "
        f"{_esc(platform.python_version())}.</p>"
    )


def _references(result: StudyResult) -> str:
    from resistlab.mechanism import load_knowledge

    kb = load_knowledge()
    ids: list[str] = []
    for mech in kb.mechanisms:
        ids += [r for r in mech.references if r not in ids]
    items = []
    for ref_id in ids:
        ref = kb.references[ref_id]
        link = ""
        if ref.doi:
            link = f' <a href="https://doi.org/{_esc(ref.doi)}">doi:{_esc(ref.doi)}</a>'
        elif ref.pmid:
            url = f"https://pubmed.ncbi.nlm.nih.gov/{_esc(ref.pmid)}/"
            link = f' <a href="{url}">PMID {_esc(ref.pmid)}</a>'
        flag = "" if ref.verified else " <span class='note'>(not verified)</span>"
        items.append(f"<li>{_esc(ref.citation)}{link}{flag}</li>")
    return "<h2 id='references'>References</h2><ol>" + "".join(items) + "</ol>"


def _mechanism_table(ranking: pd.DataFrame, links: _Links) -> str:
    columns = ["name", "verdict", "confidence", "supporting", "contradicting", "combinations"]
    head = "".join(f"<th>{c}</th>" for c in columns)
    body = []
    for _, r in ranking.iterrows():
        cells = [
            _esc(r["name"]),
            _verdict(str(r["verdict"])),
            "" if pd.isna(r["confidence"]) else f"{r['confidence']:.2f}",
            _evidence_links(_esc(r["supporting"])),
            _evidence_links(_esc(r["contradicting"])),
            _esc(r["combinations"]),
        ]
        body.append(
            f'<tr id="mechanism-{_esc(r["mechanism"])}">'
            + "".join(
                f'<td class="num">{c}</td>' if k == 2 else f"<td>{c}</td>"
                for k, c in enumerate(cells)
            )
            + "</tr>"
        )
    return f'<div class="wrap"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def _evidence_table(evidence: pd.DataFrame, links: _Links) -> str:
    columns = ["assay", "target", "comparison", "log2_fold_change", "p_value", "se", "n"]
    head = "<th>#</th>" + "".join(f"<th>{c}</th>" for c in [*columns, "source"])
    body = []
    for k, (_, r) in enumerate(evidence.iterrows(), start=1):
        cells = "".join(
            f'<td class="num">{_fmt(r[c])}</td>'
            if c not in ("assay", "target", "comparison")
            else f"<td>{_esc(r[c])}</td>"
            for c in columns
        )
        body.append(
            f'<tr id="evidence-{k}"><td class="row">{k}</td>{cells}'
            f"<td>{links.text(r['source'])}</td></tr>"
        )
    return f'<div class="wrap"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def render_study(result: StudyResult, root: Path) -> str:
    """Render the report page; figures under `root` are embedded, citations linked."""
    links = _Links(root, Path(result.spec.folder))
    for section in result.sections:
        for name, table in section.tables.items():
            links.show(f"{section.name}/{name}.csv", min(len(table), _SHOWN_ROWS))
    ranking = result.ranking.table
    nav = "".join(f'<a href="#{s.name}">{_esc(s.title.split(":")[0])}</a>' for s in result.sections)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<h1>{_esc(result.spec.name)}</h1>",
        f'<p class="meta">{_esc(result.spec.parental)} vs {_esc(result.spec.resistant)}, '
        f"{_esc(result.spec.drug)}; generated {stamp} from {_esc(result.spec.folder)}</p>",
        f'<nav><a href="#summary">Summary</a><a href="#mechanisms">Mechanisms</a>{nav}'
        '<a href="#evidence">Evidence</a><a href="#methods">Methods</a></nav>',
        '<h2 id="summary">Summary</h2>',
        _summary(result, links),
        '<h2 id="mechanisms">Mechanisms</h2>',
        '<p class="meta">Full table: <a href="ranking.csv">ranking.csv</a>; every '
        'contribution: <a href="ranking_contributions.csv">ranking_contributions.csv</a>. '
        "Each piece of evidence links to its row in the evidence table below.</p>",
        _mechanism_table(ranking, links),
    ]
    body += [_section(s, root, links) for s in result.sections]
    body += [
        '<h2 id="evidence">Evidence</h2>',
        '<p class="meta"><a href="evidence.csv">evidence.csv</a>. # is the number the '
        "mechanisms cite; each source links to the table row or raw file it names. Row "
        "numbers are spreadsheet rows: the header is row 1.</p>",
        _evidence_table(result.evidence, links),
    ]
    if len(result.ranking.unresolved):
        names = ", ".join(sorted(set(result.ranking.unresolved["target"].astype(str))))
        body.append(f'<p class="note">Targets not in the knowledge base: {_esc(names)}.</p>')
    body += [_methods(result), _references(result)]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_esc(result.spec.name)}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>"
    )
