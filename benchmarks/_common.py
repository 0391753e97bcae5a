"""What the benchmark scripts share: the real retail log beside the checkout, one cached import of it, and the
machine the figures were measured on."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RETAIL = ROOT.parent / "shared" / "datasets" / "online_retail_until_2011-09-30.csv"
RETAIL_DB = ROOT / "benchmarks" / "_data" / "retail.duckdb"


def cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo ({} where there is none)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields


def cpu_name() -> str:
    """The CPU's model name, for the machine line of every benchmark section."""
    return cpuinfo().get("model name") or platform.processor() or platform.machine()


def cores() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0))


def load_average() -> str:
    """The 1-minute load average: on a shared machine, times depend on it."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "n/a"


def retail_db(csv: Path = RETAIL) -> Path:
    """The retail log imported once with the product's importer (benchmarks/_data, git-ignored)."""
    if not RETAIL_DB.exists():
        from engine.ingest import ingest
        from engine.store import Store

        RETAIL_DB.parent.mkdir(parents=True, exist_ok=True)
        store = Store.open(RETAIL_DB)
        try:
            ingest(store, csv)
        finally:
            store.close()
    return RETAIL_DB
