"""Messages read as English: no "a orders column"."""

from __future__ import annotations

from pathlib import Path

from engine.cli import main as cli

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def test_an_unknown_mapping_target_is_named_in_plain_english(tmp_path, capsys):
    code = cli(["ingest", "--db", str(tmp_path / "m.duckdb"), "--kind", "orders", "--map", "colour=Name",
                str(FIXTURES / "shopify_orders_export.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "'colour' is not one of the orders columns" in err and "a orders" not in err
