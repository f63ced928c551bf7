"""`resistlab report` on the example study: the planted mechanism comes out, the page renders."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from resistlab.cli.main import app
from resistlab.errors import FileFormatError
from resistlab.provenance import citations
from resistlab.report.study import write_study_report

STUDY = Path(__file__).resolve().parents[2] / "examples" / "defactinib-study"
SECTIONS = (
    "summary",
    "mechanisms",
    "dose_response",
    "drug_holiday",
    "western",
    "rtk_array",
    "rnaseq",
    "synergy",
    "baseline_rtk",
    "troubleshooting",
    "evidence",
    "methods",
    "references",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    result = CliRunner().invoke(app, ["report", str(STUDY), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    return out


def test_the_planted_mechanism_ranks_first(report: Path) -> None:
    truth = yaml.safe_load((STUDY / "truth.yaml").read_text())
    assert truth  # the study documents what was planted
    ranking = pd.read_csv(report / "ranking.csv").set_index("mechanism")
    assert ranking.index[0] == "rtk_bypass"
    assert ranking.loc["rtk_bypass", "verdict"] == "supported"
    assert ranking.loc["stat3_hyperactivation", "verdict"] in ("supported", "weakly supported")
    # IC50 after the drug holiday stays resistant: not a reversible tolerant state
    assert ranking.loc["drug_tolerant_state", "verdict"] == "contradicted"
    assert ranking.loc["mapk_erk_reactivation", "verdict"] not in ("supported",)
    assert "defactinib+lapatinib" in ranking.loc["rtk_bypass", "combinations"]


def test_evidence_comes_from_every_assay_with_sources(report: Path) -> None:
    evidence = pd.read_csv(report / "evidence.csv")
    assert {"dose_response", "western", "rtk_array", "rnaseq", "pathway", "synergy"} <= set(
        evidence["assay"]
    )
    assert evidence["source"].notna().all() and (evidence["source"].str.len() > 0).all()
    fold = evidence[
        (evidence["assay"] == "dose_response") & (evidence["comparison"] == "resistant_vs_parental")
    ]
    assert 3.5 < fold["log2_fold_change"].iloc[0] < 4.5  # ~15x by IC50 (README: GR gives ~6x)


def _line(path: Path, row: int) -> dict[str, str]:
    """The record at spreadsheet `row` of a CSV (header row 1), read with the csv module."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return dict(zip(rows[0], rows[row - 1], strict=True))


def test_every_evidence_number_is_found_at_the_file_and_row_it_cites(report: Path) -> None:
    evidence = pd.read_csv(report / "evidence.csv")
    lanes = pd.read_csv(STUDY / "blots" / "lanes.csv")
    checked: set[str] = set()
    for rec in evidence.itertuples():
        cited = citations(rec.source)
        assert cited and cited[0].rows, rec.source  # a file and its row(s), first
        first = cited[0]
        assert ".out." not in rec.source  # no temporary folder leaks into a citation
        value = float(rec.log2_fold_change)
        if rec.assay in ("dose_response", "rnaseq", "pathway", "synergy"):
            record = _line(report / first.file, first.rows[0])  # a table beside the report
            column = {
                "fold_resistance.csv": "log2_fold",
                "de.csv": "log2FoldChange",
                "gsea.csv": "nes",
                "progeny.csv": "score",
                "blocks.csv": "zip_mean",
            }[Path(first.file).name]
            scale = 10.0 if column == "zip_mean" else 1.0  # synergy points / 10 (documented)
            assert float(record[column]) / scale == pytest.approx(value, rel=1e-9)
            if Path(first.file).name == "de.csv" and "symbol" in record:
                assert record["symbol"] == rec.target
        elif rec.assay == "western":  # raw exports: the cited rows are the compared lanes
            want = (
                lanes["treatment"].eq("vehicle")
                if rec.comparison == "resistant_vs_parental"
                else lanes["condition"].eq("resistant")
            )
            for place in cited:
                assert (STUDY / place.file).is_file()
                names = {_line(STUDY / place.file, r)["Name"] for r in place.rows}
                mine = lanes[want & lanes["file"].eq(Path(place.file).name)]
                assert names == set(mine["lane"].astype(str)), place
        elif rec.assay == "ihc":  # typed in by hand: the cited row holds the number
            record = _line(STUDY / first.file, first.rows[0])
            assert float(record["log2_fold_change"]) == pytest.approx(value, rel=1e-12)
            assert record["target"] == rec.target
        elif rec.assay == "rtk_array":  # raw spots: every cited row is a spot of the target
            for place in cited:
                for r in place.rows:
                    with (STUDY / place.file).open() as handle:
                        line = handle.read().splitlines()[r - 1]
                    assert line.split(",")[2] == rec.target
        checked.add(rec.assay)
    assert checked == {
        "dose_response",
        "western",
        "rtk_array",
        "rnaseq",
        "pathway",
        "synergy",
        "ihc",
    }


def test_every_link_in_the_page_resolves(report: Path) -> None:
    page = (report / "report.html").read_text()
    ids = set(re.findall(r'id="([^"]+)"', page)) | set(re.findall(r"id='([^']+)'", page))
    hrefs = re.findall(r'href="([^"]+)"', page)
    local = [h for h in hrefs if not h.startswith(("http://", "https://"))]
    assert len(local) > 200  # tables, evidence sources and the mechanisms' citations
    for href in local:
        if href.startswith("#"):
            assert href[1:] in ids, href
        else:
            assert (report / href).resolve().is_file(), href
    # the mechanisms cite evidence rows, and the evidence rows cite raw study files
    assert 'href="#evidence-11"' in page
    assert any(h.endswith("blots/blot1_HER2.csv") for h in local)
    assert 'href="#t-dose-response-fold-resistance-csv-2"' in page  # the headline fold
    # a section's summary numbers link to their table rows: pSTAT3 activation (phospho
    # over total) in the Western comparison table, read here with the csv module
    with (report / "western" / "resistant_vs_parental.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    row = next(
        k + 2
        for k, r in enumerate(rows)
        if r["target"] == "pSTAT3_Y705" and r["measure"] == "to_total"
    )
    assert f'href="#t-western-resistant-vs-parental-csv-{row}"' in page
    text = re.sub(r"<[^>]+>", "", page)
    cited = re.findall(
        r"GSEA (\w+): NES ([+-][\d.]+), FDR [^(]*\(rnaseq/gsea\.csv, row (\d+)\)", text
    )
    assert len(cited) == 3  # the top three curated signatures
    for term, nes, at in cited:
        record = _line(report / "rnaseq" / "gsea.csv", int(at))
        assert record["term"] == term and f"{float(record['nes']):+.2f}" == nes


def test_page_has_every_section_and_embedded_figures(report: Path) -> None:
    page = (report / "report.html").read_text()
    for section in SECTIONS:
        assert f'id="{section}"' in page or f"id='{section}'" in page
    assert page.count("data:image/png;base64,") >= 10
    assert "15.5x" in page  # the fold resistance headline
    assert "GEC50 ratio 6.7x" in page  # the growth-rate corrected view (truth: 6.25x planted)
    assert "Decreased Defactinib efficacy" in page  # the troubleshooting guide that fits
    assert 'href="ranking.csv"' in page and (report / "ranking.csv").exists()
    # methods state the parameters used: the study's design, the calibration shipped
    from resistlab.mechanism.calibration import load_calibration

    methods = page[page.index("id='methods'") : page.index("id='references'")]
    spec = yaml.safe_load((STUDY / "study.yaml").read_text())
    assert f"design {spec['rnaseq']['design']}" in methods
    assert f"fitted on {load_calibration().studies:,} simulated studies" in methods
    assert "Software: resistlab" in methods and "scipy" in methods


def test_published_potency_of_the_drug_is_shown_with_its_status(report: Path) -> None:
    from resistlab.mechanism import load_knowledge

    kb = [p for p in load_knowledge().published_ic50s if p.drug == "defactinib"]
    shown = pd.read_csv(report / "dose_response" / "published_ic50s.csv")
    assert len(shown) == len(kb)
    missing = shown[shown["value"].isna()]
    assert set(missing["confidence"]) == {"not_retrieved"}  # no number stands in for them
    assert "MCF7-HER2 (HER2-high)" in set(missing["cell_line"])
    assert "assay contexts whose values were not retrieved" in (report / "report.html").read_text()


def _chromium() -> tuple[str, str]:
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    return browser, driver


def test_report_renders_in_headless_chromium(report: Path) -> None:
    browser, driver_path = _chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get((report / "report.html").resolve().as_uri())
        headings = [h.text for h in driver.find_elements(By.TAG_NAME, "h2")]
        assert headings[:2] == ["Summary", "Mechanisms"]
        assert "Western blots" in headings and "References" in headings
        summary = driver.find_element(By.CLASS_NAME, "summary").text
        assert "resistant to defactinib" in summary
        assert "Combinations to try" in summary
        images = driver.find_elements(By.TAG_NAME, "img")
        widths = [driver.execute_script("return arguments[0].naturalWidth", i) for i in images]
        assert len(widths) >= 10 and min(widths) > 100  # every figure decoded and drawn
        # a click on a mechanism's evidence goes to that row of the evidence table
        link = driver.find_element(By.CSS_SELECTOR, '#mechanism-rtk_bypass a[href^="#evidence-"]')
        number = link.text.removeprefix("evidence #")
        link.click()
        row = driver.find_element(By.CSS_SELECTOR, "tr:target")
        assert row.get_attribute("id") == f"evidence-{number}"
        assert row.find_element(By.TAG_NAME, "td").text == number
        top = driver.execute_script("return arguments[0].getBoundingClientRect().top", row)
        assert -2 < top < 900  # scrolled into view (sub-pixel rounding aside)
        # and the headline fold resistance goes to its row of fold_resistance.csv
        driver.find_element(By.CSS_SELECTOR, ".summary a[href^='#t-dose-response']").click()
        row = driver.find_element(By.CSS_SELECTOR, "tr:target")
        assert "MDA-MB-231-DefR" in row.text
    finally:
        driver.quit()


def test_bad_study_leaves_no_partial_report(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(STUDY, study)
    (study / "blots" / "blot2_STAT3.csv").unlink()
    out = tmp_path / "out"
    with pytest.raises(FileFormatError, match=r"study\.yaml, field western\.exports\[\d+\]"):
        write_study_report(study, out)
    assert not out.exists()
    assert list(tmp_path.glob(".out.*")) == []
    result = CliRunner().invoke(app, ["report", str(study), "-o", str(out)])
    assert result.exit_code == 1
    assert "blot2_STAT3.csv does not exist" in result.output


def test_pdf_is_printed_from_the_page(report: Path, tmp_path: Path) -> None:
    _chromium()
    from resistlab.report.pdf import print_pdf

    pdf = print_pdf(report / "report.html", tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") > 5  # many pages
    if shutil.which("pdftotext"):  # poppler, when installed: the summary is in the text
        import subprocess

        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "15.5x" in text and "Mechanisms the evidence weighs most" in text


def test_pdf_without_a_browser_fails_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("RESISTLAB_CHROMIUM", raising=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", str(STUDY), "-o", str(out), "--pdf"])
    assert result.exit_code == 1
    assert "--pdf needs a headless Chromium" in result.output
    assert not out.exists() and list(tmp_path.glob(".out.*")) == []


def test_the_troubleshooting_walk_can_be_resumed_from_the_report_folder(
    report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (report / "report.html").read_text()
    stated = re.search(r"(\d+) of (\d+) steps answered by the data", page)
    assert stated is not None
    monkeypatch.chdir(report)
    result = CliRunner().invoke(
        app,
        [
            "troubleshoot",
            "decreased_efficacy",
            "-e",
            "evidence.csv",
            "-f",
            "troubleshooting/facts.yaml",
            "--no-interactive",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert f"{stated[1]} of {stated[2]} steps answered by the data" in result.output


def _bad_evidence_file(study: Path) -> None:
    path = study / "evidence" / "ihc_xenografts.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("ihc,", "immunostain,", 1)  # spreadsheet row 3
    path.write_text("\n".join(lines) + "\n")


def _malformed_yaml(study: Path) -> None:
    text = (study / "study.yaml").read_text()
    (study / "study.yaml").write_text(text.replace("parental: MDA-MB-231", "parental: [MDA"))


def _wrong_columns(study: Path) -> None:
    path = study / "rnaseq" / "samples.csv"
    frame = pd.read_csv(path).rename(columns={"condition": "group"})
    frame.to_csv(path, index=False)


def _array_without_signal(study: Path) -> None:
    path = study / "rtk_array" / "phospho_rtk_array_imagej.csv"
    text = path.read_text().replace("Integrated Density", "Comment")
    path.write_text(text)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_bad_evidence_file, r"evidence/ihc_xenografts\.csv, row 3, column assay: 'immunostain'"),
        (_malformed_yaml, r"study\.yaml"),
        (_wrong_columns, r"samples\.csv.*condition"),
        (_array_without_signal, r"phospho_rtk_array_imagej\.csv"),
    ],
    ids=["unknown assay", "malformed study.yaml", "wrong columns", "no signal column"],
)
def test_bad_input_is_named_and_leaves_nothing(tmp_path: Path, spoil: object, message: str) -> None:
    study = tmp_path / "study"
    shutil.copytree(STUDY, study)
    assert callable(spoil)
    spoil(study)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", str(study), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert re.search(message, " ".join(result.output.split())), result.output
    assert not out.exists() and list(tmp_path.glob(".out*")) == []
