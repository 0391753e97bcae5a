"""Forecast benchmark (issue 33): daily revenue of the retail log by country (developed on) and by product (held
out), horizon 28 days, rolling-origin backtest inside the data: mean MASE of the shown forecast beside the network,
the weekday median, seasonal naive, AutoETS, AutoTheta, Croston and Fracast-0 measured in the same run, 80% band
coverage, p10 below zero on never-negative series, closed days; optionally the training time for generated series.
Writes docs/benchmarks_forecast.md.

    python benchmarks/bench_forecast.py [--csv PATH] [--horizon 28] [--origins 3] [--seed 0] [--scale-series 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _common import RETAIL, cores, cpu_name, retail_db  # noqa: E402

OUT = ROOT / "docs" / "benchmarks_forecast.md"


def machine_info() -> dict:
    """CPU model and cores, torch and the GPU if any: what the figures were measured on."""
    import torch

    return {"cpu": cpu_name(), "cores": cores(), "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
            "load": os.getloadavg()[0]}


def load_store(csv: Path):
    """The retail log's cached database (shared with the other benchmarks)."""
    from engine.store import Store

    return Store.open(retail_db(csv))


def synthetic_scaling(n_series: int, n_days: int, seed: int) -> dict:
    """Seconds to train the network once on n_series generated daily series of n_days (default knobs)."""
    from engine.forecast import (
        ForecastConfig,
        SeriesSet,
        calendar_matrix,
        forecast_network,
        train_network,
    )

    rng = np.random.default_rng(seed)
    t = np.arange(n_days)
    week = np.array([1.0, 1.2, 1.1, 1.0, 1.4, 0.5, 0.3])
    level = rng.lognormal(4, 1, n_series)[:, None]
    values = level * (1 + 0.0005 * t) * week[t % 7] * rng.lognormal(0, 0.3, (n_series, n_days))

    series = SeriesSet([f"s{i}" for i in range(n_series)], pd.date_range("2022-01-03", periods=n_days), values, "D")
    config = ForecastConfig(horizon=28, seed=seed)
    cal = calendar_matrix(series, 28)
    t0 = time.perf_counter()
    net = train_network(values, cal, n_days, config)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    forecast_network(net, values, cal, n_days)
    return {"n_series": n_series, "n_days": n_days, "train_s": train_s, "forecast_s": time.perf_counter() - t0}


METHOD_ROWS = (("model", "StoreLens forecast (shown)"), ("network", "network alone"),
               ("weekday_median", "weekday median (8 weeks)"), ("seasonal_naive", "seasonal naive (7 days)"),
               ("auto_ets", "AutoETS"), ("auto_theta", "AutoTheta"), ("croston", "Croston (SBA)"),
               ("fracast", "Fracast-0 zero-shot"), ("ensemble", "ensemble (network + weekday median + Fracast)"))


def measure(store, by: str, args: argparse.Namespace) -> tuple[list[str], dict]:
    """One request's backtest as a section: mean MASE per method beside seasonal naive and the weekday median,
    coverage, the non-negativity and closed-day checks, and the per-series table."""
    from engine.forecast import ForecastConfig, ForecastModel

    config = ForecastConfig(metric="revenue", by=by, freq="D", horizon=args.horizon, top_n=args.top,
                            origins=args.origins, seed=args.seed)
    model = ForecastModel(config)
    t0 = time.perf_counter()
    report = model.fit(store, progress=lambda f, m: print(f"{f:4.0%} {by}: {m}", file=sys.stderr)
                       if "training step" not in m else None)
    wall = time.perf_counter() - t0
    table, pts, fc = model.result.table, model.result.points, model.result.forecast
    mase = {m: float(table[f"mase_{m}"].mean()) for m, _ in METHOD_ROWS}
    sn, wm = mase["seasonal_naive"], mase["weekday_median"]
    hist = model.result.history
    # strictly never below zero in the history before each origin (backtest) or in the whole history (forecast)
    first_neg = hist[hist["y"] < 0].groupby("series")["ts"].min()
    strict_pts = pts["origin"] <= pts["series"].map(first_neg).fillna(pd.Timestamp.max)
    strict_fc = ~fc["series"].isin(first_neg.index)
    below = int(((pts["p10"] < 0) & strict_pts).sum() + ((fc["p10"] < 0) & strict_fc).sum())
    checked = int(strict_pts.sum() + strict_fc.sum())
    almost = set(table.loc[table["never_negative"], "series"]) - set(fc.loc[strict_fc, "series"])
    closed_pts = pts[pts["closed"]]
    closed_fc = fc[fc["closed"]]
    closed_zero = bool((closed_fc[["p10", "p50", "p90", "mean"]] == 0).all().all())
    lines = [f"- backtest origins {', '.join(report['origins'])} (one more at {report['calibration_origin']} "
             f"calibrates and chooses for the first); {len(table)} series (total, top {args.top}, (other)); "
             f"wall time {wall:.0f} s", "",
             "| method | mean MASE | ratio to seasonal naive | ratio to weekday median |", "|---|---|---|---|"]
    for m, label in METHOD_ROWS:
        if np.isfinite(mase[m]):
            lines.append(f"| {label} | {mase[m]:.3f} | {mase[m] / sn:.2f}x | {mase[m] / wm:.2f}x |")
    lines += ["", f"80% band coverage of the shown forecast: {report['coverage_80']:.3f} (open days only: "
              f"{report['coverage_80_open_days']:.3f}; goal 0.75-0.85). p10 below zero where the series had never "
              f"gone below zero: {below} of {checked} cells (backtest and forecast); series with a rare day below "
              f"zero (at most 2% of days, also given a non-negative band): {', '.join(sorted(almost)) or 'none'}; "
              f"the others have days of returns and signed bands. Closed days: {len(closed_pts)} backtest cells "
              f"(actual "
              f"zero on {int((closed_pts['actual'] == 0).sum())}), {len(closed_fc)} forecast cells, all exactly zero: "
              f"{closed_zero}.", "",
              "| series | shown | MASE | network | weekday median | seasonal naive | AutoETS | Croston | Fracast-0 | "
              "coverage 80 | closed |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        lines.append(f"| {r.series} | {r.method} | {r.mase_model:.3f} | {r.mase_network:.3f} | "
                     f"{r.mase_weekday_median:.3f} | {r.mase_seasonal_naive:.3f} | {r.mase_auto_ets:.3f} | "
                     f"{r.mase_croston:.3f} | {r.mase_fracast:.3f} | {r.coverage_80:.2f} | {r.closed or ''} |")
    return lines, report


def main() -> int:
    """Run the backtest on the retail log, developed on the country split and checked on the product split, and
    write the section."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", type=Path, default=RETAIL)
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--origins", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--scale-series", type=int, default=0, help="generated series for the training-time check")
    args = ap.parse_args()

    store = load_store(args.csv)
    dev, report = measure(store, "country", args)
    held, _ = measure(store, "product_id", args)
    scaling = synthetic_scaling(args.scale_series, 730, args.seed) if args.scale_series else None
    info = machine_info()
    lines = [
        "## Forecasts (issue 33)", "",
        f"Generated by `benchmarks/bench_forecast.py` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.", "",
        f"- data: `{args.csv.name}` ({report['history_start']} .. {report['history_end']}, "
        f"{report['n_periods']} days), daily revenue (Overview rules: cancelled lines out, returns in), horizon "
        f"{args.horizon} days, {args.origins} origins; every method refitted at every origin on the history before it",
        "- shown forecast: per series the ensemble (mean of the network's, the weekday median's and Fracast-0's "
        "quantiles) unless another method beat it by 10% on each of at least 3 earlier origins; its MASE is out of "
        "sample (chosen on earlier origins only). Closed weekdays and holidays learned from the history before each "
        "origin; bands of series that (almost) never went below zero from a non-negative output distribution",
        "- every method's forecast passes through the same closed-day, hurdle (an empty weekday at least half the "
        "time has median 0) and non-negativity steps, so the baselines are measured at their strongest: seasonal "
        "naive scores 1.229 here against 1.429 as it was",
        "- before this issue (the issue-19 network, same data, origins and top 10, measured 2026-12-07): network "
        "0.883, plain weekday median 0.842, seasonal naive 1.429, AutoETS 1.029, coverage 0.80, and every Saturday "
        "forecast open (the total's first one 'between -10,000 and 13,000')",
        f"- machine: {info['cpu']}, {info['cores']} cores (shared with other work; load average "
        f"{info['load']:.1f} at the end), torch {info['torch']}, GPU: {info['gpu']}", "",
        "### Developed on: daily revenue by country (the issue's `--by country --freq D --horizon 28`)", "", *dev, "",
        "### Held out: daily revenue by product (top 10), run only after the choices above were made", "",
        "The retail log has no categories (one `(no category)` series), so the product split is the split nobody "
        "tuned to.", "", *held, "",
    ]
    if scaling:
        lines += [f"One training on {scaling['n_series']} generated {scaling['n_days']}-day daily series: "
                  f"{scaling['train_s']:.1f} s; their forecast {scaling['forecast_s']:.3f} s.", ""]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
