from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resistlab.rnaseq.gene_ids import is_ensembl, strip_version, symbol_table, to_symbols


def test_strip_version_of_one_id():
    assert strip_version("ENSG00000141510.16") == "ENSG00000141510"
    assert strip_version("ENSG00000182378.14_PAR_Y") == "ENSG00000182378_PAR_Y"
    assert strip_version("ENSG00000182378_PAR_Y") == "ENSG00000182378_PAR_Y"
    assert strip_version("ENSMUSG00000059552.14") == "ENSMUSG00000059552"
    assert strip_version("ENST00000269305.9") == "ENST00000269305"


@pytest.mark.parametrize(
    "kept", ["TP53", "RP11-34P13.7", "FBgn0000008", "NM_000546.6", "ENSG0000014151.2", "gene1"]
)
def test_strip_version_leaves_other_ids_alone(kept):
    assert strip_version(kept) == kept


def test_strip_version_keeps_the_container_kind():
    ids = ["ENSG00000141510.16", "TP53", "ENSG00000182378.14_PAR_Y"]
    expected = ["ENSG00000141510", "TP53", "ENSG00000182378_PAR_Y"]

    from_list = strip_version(ids)
    assert isinstance(from_list, pd.Index)
    assert from_list.tolist() == expected

    from_index = strip_version(pd.Index(ids, name="gene"))
    assert from_index.name == "gene"
    assert from_index.tolist() == expected

    series = pd.Series(ids, index=[10, 20, 30], name="id")
    from_series = strip_version(series)
    assert isinstance(from_series, pd.Series)
    assert from_series.index.tolist() == [10, 20, 30]
    assert from_series.name == "id"
    assert from_series.tolist() == expected
    assert series.tolist() == ids  # input untouched


def test_is_ensembl():
    assert is_ensembl("ENSG00000141510")
    assert is_ensembl("ENSG00000182378.14_PAR_Y")
    assert not is_ensembl("TP53")
    flags = is_ensembl(
        ["ENSG00000141510.16", "ENSMUSG00000059552", "TP53", "ENSG123", "ENST00000269305.9"]
    )
    assert flags.dtype == np.bool_
    assert flags.tolist() == [True, True, False, False, True]


def test_to_symbols_maps_resistance_genes_with_and_without_versions():
    ids = [
        "ENSG00000169398.20",  # PTK2 = FAK
        "ENSG00000168610",  # STAT3
        "ENSG00000141736.14",  # ERBB2 = HER2
        "ENSG00000146648.18",  # EGFR
        "ENSG00000182378.14_PAR_Y",  # PLCXD1, Y copy
        "ENSMUSG00000059552",  # mouse Trp53: human table only
        "my_novel_gene",
    ]
    symbols = to_symbols(ids)
    assert symbols.name == "symbol"
    assert symbols.index.tolist() == ids
    assert symbols.tolist() == [
        "PTK2",
        "STAT3",
        "ERBB2",
        "EGFR",
        "PLCXD1",
        "ENSMUSG00000059552",
        "my_novel_gene",
    ]
    dropped = to_symbols(ids, keep_unmapped=False)
    assert dropped.isna().tolist() == [False] * 5 + [True, True]


def test_to_symbols_keeps_duplicated_input_ids_in_order():
    symbols = to_symbols(["ENSG00000141510", "x", "ENSG00000141510.16", "x"])
    assert symbols.tolist() == ["TP53", "x", "TP53", "x"]
    assert symbols.index.tolist() == ["ENSG00000141510", "x", "ENSG00000141510.16", "x"]


def test_symbol_table_is_a_fresh_copy_each_call():
    table = symbol_table()
    assert len(table) == 39708
    assert table.index.is_unique
    assert table.index.name == "ensembl_id"
    assert table["ENSG00000141510"] == "TP53"
    table["ENSG00000141510"] = "changed"
    assert symbol_table()["ENSG00000141510"] == "TP53"
    assert to_symbols(["ENSG00000141510"]).tolist() == ["TP53"]


@pytest.mark.reference
def test_packaged_table_equals_the_reference_org_hs_eg_db_export(reference_dir):
    source = pd.read_csv(
        reference_dir / "rnaseq" / "genesets" / "ensembl2symbol_orgHsegdb.csv.gz",
        dtype=str,
        keep_default_na=False,
    )
    expected = pd.Series(source.iloc[:, 1].to_numpy(), index=source.iloc[:, 0].to_numpy())
    table = symbol_table()
    assert table.index.tolist() == expected.index.tolist()
    assert table.tolist() == expected.tolist()
    # spot checks by hand: symbols shared by several Ensembl ids exist
    assert (expected.value_counts() > 1).sum() > 0
