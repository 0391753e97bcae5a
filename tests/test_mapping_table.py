"""The mapping form and the CLI table show each column's sample values for recognised formats too (issue 32, item 7:
every "Sample values" cell of a Shopify export said "(empty)" while the preview showed values)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ingest import detect

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


@pytest.mark.parametrize("name", ["shopify_orders_export.csv", "amazon_all_orders_report.tsv",
                                  "judgeme_reviews_export.csv", "yotpo_reviews_export.csv"])
def test_a_recognised_formats_columns_show_their_values(name):
    det = detect(FIXTURES / name)
    assert det.format != "generic"
    rows = det.mapping_table()
    mapped = [r for r in rows if r["applied"]]
    empty = [r["column"] for r in mapped if not r["samples"]]
    assert mapped and len(empty) <= 1, empty  # a fallback column the example leaves blank (Billing Phone) may be
    assert all(len(r["samples"]) <= 3 and len(set(r["samples"])) == len(r["samples"]) for r in rows)
