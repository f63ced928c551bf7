from __future__ import annotations

import gzip
import hashlib
import re

import pandas as pd
import pytest

from resistlab.errors import FileFormatError, InputError
from resistlab.io.genesets import (
    HALLMARK_URL,
    download_hallmark,
    load_gene_sets,
    resistance_signatures,
)
from resistlab.rnaseq.gene_ids import symbol_table
from resistlab.rnaseq.genesets import GeneSets, as_gene_sets
from resistlab.rnaseq.progeny import PROGENY_PATHWAYS

HALLMARK_TEXT = (
    "HALLMARK_IL6_JAK_STAT3_SIGNALING\thttps://www.gsea-msigdb.org/x\tSOCS3\tSTAT3\tIL6ST\n"
    "HALLMARK_WNT_BETA_CATENIN_SIGNALING\thttps://www.gsea-msigdb.org/y\tAXIN2\tLEF1\tNKD1\n"
)


# ---------------------------------------------------------------- GeneSets


def test_gene_sets_are_an_immutable_mapping():
    sets = GeneSets({"A": ["x", "y", "x"], "B": ("z",)}, descriptions={"A": "first"})
    assert dict(sets) == {"A": ("x", "y"), "B": ("z",)}
    assert sets.descriptions == {"A": "first", "B": ""}
    assert sets.genes == ("x", "y", "z")
    assert sets.sizes().to_dict() == {"A": 2, "B": 1}
    with pytest.raises(TypeError):
        sets.sets["C"] = ("w",)  # type: ignore[index]
    with pytest.raises(AttributeError):
        sets.source = "elsewhere"  # type: ignore[misc]
    assert sets == GeneSets({"A": ("x", "y"), "B": ("z",)}, descriptions={"A": "first"})
    assert sets != GeneSets({"A": ("x", "y"), "B": ("z",)})


def test_gene_sets_reject_bad_input():
    with pytest.raises(InputError, match="gene set 'A' has no genes"):
        GeneSets({"A": ["", " "]})
    with pytest.raises(TypeError, match="not a string"):
        GeneSets({"A": "EGFR"})  # type: ignore[dict-item]
    with pytest.raises(InputError, match="descriptions given for unknown gene sets: Z"):
        GeneSets({"A": ["x"]}, descriptions={"Z": "?"})
    with pytest.raises(TypeError, match="mapping of set name to genes"):
        as_gene_sets([("A", ["x"])])  # type: ignore[arg-type]


def test_filter_restricts_to_universe_then_counts():
    sets = GeneSets(
        {"big": [f"g{i}" for i in range(30)], "small": ["g1", "g2"], "out": ["h1"]},
        source="s",
        licence="l",
    )
    kept = sets.filter(min_size=2, max_size=10, universe=[f"g{i}" for i in range(5)])
    assert dict(kept) == {"big": ("g0", "g1", "g2", "g3", "g4"), "small": ("g1", "g2")}
    assert (kept.source, kept.licence) == ("s", "l")
    assert list(sets.filter(min_size=15)) == ["big"]
    with pytest.raises(ValueError, match="min_size <= max_size"):
        sets.filter(min_size=5, max_size=2)


def test_to_frame_is_tidy():
    frame = GeneSets({"A": ["x", "y"]}, descriptions={"A": "d"}).to_frame()
    assert frame.to_dict("list") == {
        "term": ["A", "A"],
        "description": ["d", "d"],
        "gene": ["x", "y"],
    }


# ------------------------------------------------------ shipped collections


def test_resistance_signatures_are_curated_as_documented():
    sets = load_gene_sets("resistance")
    table = resistance_signatures()
    assert list(table["term"]) == list(sets)
    assert len(sets) == 8
    assert set(table["mechanism"]) == {
        "stat3_hyperactivation",
        "rtk_bypass",
        "pi3k_akt_reactivation",
        "mapk_erk_reactivation",
        "wnt_beta_catenin",
        "tgf_beta",
        "focal_adhesion",
    }
    assert set(table["direction"]) <= {"up", "down"}
    symbols = set(symbol_table())
    for name, genes in sets.items():
        assert 10 <= len(genes) <= 60, name
        unknown = [g for g in genes if g not in symbols]
        assert not unknown, f"{name}: not HGNC symbols: {unknown}"
    for row in table.itertuples():
        assert row.rationale and row.references, row.term
        assert re.search(r"PMID:\d+|doi:10\.", row.references), row.term
    # memberships named by the issue and its references
    assert sets["MAPK_ERK_OUTPUT"][:10] == (
        "PHLDA1", "SPRY2", "SPRY4", "DUSP4", "DUSP6", "CCND1", "EPHA2", "EPHA4", "ETV4", "ETV5"
    )  # fmt: skip
    assert {"SOCS3", "BCL3", "JUNB", "MYC", "BCL2L1", "MCL1", "BIRC5", "VEGFA", "HIF1A"} <= set(
        sets["STAT3_TARGETS"]
    )
    assert {"EGFR", "ERBB2", "ERBB3", "MET", "AXL", "IGF1R", "FGFR1"} <= set(
        sets["ERBB_RTK_RECEPTORS_LIGANDS"]
    )
    assert {"AXIN2", "LGR5", "NKD1", "NOTUM", "SP5"} <= set(sets["WNT_BETA_CATENIN_TARGETS"])
    assert {"PTK2", "ITGB1", "PXN"} <= set(sets["FOCAL_ADHESION_INTEGRIN"])
    assert "BSD-3-Clause" in sets.licence


def test_wikipathways_ships_with_the_resistance_pathways():
    sets = load_gene_sets("wikipathways")
    assert len(sets) == 801
    assert sets.licence == "CC0 1.0"
    for term in (
        "Focal Adhesion WP306",
        "EGFR Tyrosine Kinase Inhibitor Resistance WP4806",
        "PI3K Akt Signaling Pathway WP4172",
        "Regulatory Circuits Of The STAT3 Signaling Pathway WP4538",
        "Wnt Signaling WP428",
    ):
        assert term in sets, term
    assert "PTK2" in sets["Focal Adhesion WP306"]
    assert load_gene_sets("WikiPathways") is sets  # loaded once, names case-insensitive


def test_progeny_sets_split_the_top_100_by_sign():
    sets = load_gene_sets("progeny")
    for pathway in PROGENY_PATHWAYS:
        up = sets.get(f"{pathway} up", ())
        down = sets.get(f"{pathway} down", ())
        assert len(up) + len(down) == 100
        assert not set(up) & set(down)
    assert "DUSP6" in sets["MAPK up"]
    assert sets.licence == "Apache-2.0"


@pytest.mark.reference
def test_shipped_files_equal_the_reference_files(reference_dir):
    from importlib import resources

    data = resources.files("resistlab.rnaseq").joinpath("data")
    shared = reference_dir / "rnaseq" / "genesets"
    gmt = data.joinpath("wikipathways_2023_human.gmt").read_bytes()
    assert gmt == (shared / "pyenrichr__WikiPathway_2023_Human.gmt").read_bytes()
    shipped = gzip.decompress(data.joinpath("progeny_human_top500.csv.gz").read_bytes())
    reference = (shared / "progeny_human_top500.csv").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == hashlib.sha256(reference).hexdigest()


def test_load_gene_sets_reads_a_gmt_path_and_rejects_unknown_names(tmp_path):
    path = tmp_path / "mine.gmt"
    path.write_text("A\t\tEGFR\tMET\n")
    assert dict(load_gene_sets(path)) == {"A": ("EGFR", "MET")}
    assert dict(load_gene_sets(str(path))) == {"A": ("EGFR", "MET")}
    with pytest.raises(InputError, match="unknown gene-set collection 'kegg'"):
        load_gene_sets("kegg")


# ---------------------------------------------------------- MSigDB Hallmark


class FakeFetch:
    """Serves a local file as if downloaded; counts calls."""

    def __init__(self, source, fail_after=None):
        self.source = source
        self.fail_after = fail_after
        self.calls = []

    def __call__(self, url, destination):
        self.calls.append(url)
        data = self.source.read_bytes()
        if self.fail_after is None:
            destination.write_bytes(data)
            return
        destination.write_bytes(data[: self.fail_after])
        raise ConnectionResetError("connection reset by peer")


@pytest.fixture
def served(tmp_path):
    source = tmp_path / "served" / "h.all.gmt"
    source.parent.mkdir()
    source.write_text(HALLMARK_TEXT)
    return source


def test_hallmark_is_downloaded_once_then_read_from_the_cache(tmp_path, served):
    cache = tmp_path / "cache"
    fetch = FakeFetch(served)
    first = download_hallmark(cache_dir=cache, fetch=fetch)
    second = download_hallmark(cache_dir=cache, fetch=fetch)
    assert fetch.calls == [HALLMARK_URL]
    assert first == second
    assert first["HALLMARK_IL6_JAK_STAT3_SIGNALING"] == ("SOCS3", "STAT3", "IL6ST")
    assert first.licence == "CC BY 4.0"
    assert "Liberzon" in first.source and first.url == HALLMARK_URL
    assert [p.name for p in cache.iterdir()] == ["h.all.v2024.1.Hs.symbols.gmt"]


def test_hallmark_cache_folder_comes_from_the_environment(tmp_path, served, monkeypatch):
    monkeypatch.setenv("RESISTLAB_CACHE_DIR", str(tmp_path / "env-cache"))
    with pytest.raises(InputError, match=r"call .*download_hallmark"):
        load_gene_sets("hallmark")
    download_hallmark(fetch=FakeFetch(served))
    assert (tmp_path / "env-cache" / "h.all.v2024.1.Hs.symbols.gmt").is_file()
    assert len(load_gene_sets("hallmark")) == 2


def test_interrupted_download_leaves_nothing(tmp_path, served):
    cache = tmp_path / "cache"
    with pytest.raises(ConnectionResetError):
        download_hallmark(cache_dir=cache, fetch=FakeFetch(served, fail_after=40))
    assert list(cache.iterdir()) == []
    fetch = FakeFetch(served)
    assert len(download_hallmark(cache_dir=cache, fetch=fetch)) == 2
    assert len(fetch.calls) == 1


def test_a_download_that_is_not_gmt_is_not_cached(tmp_path):
    page = tmp_path / "error.html"
    page.write_text("<html><body>Service unavailable</body></html>\n")
    cache = tmp_path / "cache"
    with pytest.raises(FileFormatError, match="is not a valid GMT file"):
        download_hallmark(cache_dir=cache, url="https://example.org/h.gmt", fetch=FakeFetch(page))
    assert list(cache.iterdir()) == []


def test_resistance_signatures_table_columns():
    table = resistance_signatures()
    assert list(table.columns) == [
        "term", "mechanism", "direction", "size", "rationale", "references"
    ]  # fmt: skip
    assert isinstance(table, pd.DataFrame)
    assert table.set_index("term").loc["PI3K_AKT_FOXO_TARGETS", "direction"] == "down"
