"""Run every benchmark and assemble docs/benchmarks.md: `python benchmarks/run.py [--quick]`.

Each benchmark script writes its own section (docs/benchmarks_<name>.md) with the machine, the data size and
each figure beside a baseline measured in the same run; this joins them in a fixed order.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MODEL = ROOT / "benchmarks" / "_data" / "sentiment-model"  # trained by the sentiment run, explained by the next
# name → (script, extra args for a full run, extra args for --quick)
BENCHES = {
    "ingest": ("bench_ingest.py", [], ["--repeats", "1", "--real-repeats", "1"]),
    "corpus": ("bench_import_corpus.py", [], []),
    "sentiment": ("bench_sentiment.py", ["--save", str(MODEL)], ["--budget", "120", "--save", str(MODEL)]),
    "explain": ("bench_explain.py", ["--model", str(MODEL)], ["--model", str(MODEL), "--n", "10"]),
    "recommend": ("bench_recommend.py", [], ["--n-faith", "50", "--n-latency", "10"]),
    "forecast": ("bench_forecast.py", [], ["--origins", "3", "--scale-series", "50"]),
    "trust": ("bench_trust.py", [], ["--repeats", "1"]),
    "segments": ("bench_segments.py", [], ["--seeds", "0"]),
    "cluster": ("bench_cluster.py", ["--two-node"], ["--n", "2000", "--budget", "60"]),
}


def main() -> int:
    """Run the selected benchmarks, then write docs/benchmarks.md from their sections."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these (others keep their last section)")
    ap.add_argument("--quick", action="store_true", help="smaller budgets, for a smoke run")
    ap.add_argument("--assemble", action="store_true", help="only join the existing sections")
    args = ap.parse_args()
    status = 0
    if not args.assemble:
        # The slow-marked tests (full-size data) belong to the benchmark run, not to CI.
        status = subprocess.call([sys.executable, "-m", "pytest", "-q", "-m", "slow", "-p", "no:cacheprovider"], cwd=ROOT)
    for name in [] if args.assemble else args.only or BENCHES:
        script, full, quick = BENCHES[name]
        path = Path(__file__).parent / script
        if not path.exists():
            continue
        cmd = [sys.executable, str(path), *(quick if args.quick else full)]
        print(f"== {name}: {' '.join(cmd)}", flush=True)
        status |= subprocess.call(cmd, cwd=ROOT)
    sections = [
        (DOCS / f"benchmarks_{name}.md").read_text() for name in BENCHES if (DOCS / f"benchmarks_{name}.md").exists()
    ]
    header = (
        "# StoreLens benchmarks\n\n"
        "Written by `python benchmarks/run.py`; every figure stands beside a baseline measured in the same run.\n\n"
    )
    (DOCS / "benchmarks.md").write_text(header + "\n".join(sections))
    return status


if __name__ == "__main__":
    sys.exit(main())
