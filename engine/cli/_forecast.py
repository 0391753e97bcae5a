"""`storelens forecast`: every series of a metric forecast by the global network, with the backtest that says how
good it has been against seasonal naive, AutoETS and AutoTheta; the forecasts as CSV, the track record as JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import UsageError, emit, model_errors, open_store, progress

# The contract's metrics, plus the share of negative reviews (the engine forecasts it too).
CLI_METRICS = ("revenue", "units", "orders", "sentiment", "negative_share")
CSV_COLUMNS = ["series", "ts", "p10", "p50", "p90", "mean"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `forecast` command to the parser."""
    p = sub.add_parser("forecast", parents=[common], help="forecast each series of a metric, with its track record")
    # Values are checked by the handler, not argparse, so a bad one is one line and exit 2 (not a usage dump).
    p.add_argument("--metric", required=True, help="revenue, units, orders or sentiment (also: negative_share)")
    p.add_argument("--by", default="total", metavar="COLUMN|total",
                   help="split by category, country, product_id, ... or total (default)")
    p.add_argument("--freq", default="D", help="D (daily, default) or W (weekly)")
    p.add_argument("--horizon", required=True, metavar="N", help="periods ahead to forecast")
    p.add_argument("--top", default="10", metavar="N", help="split values kept apart; the rest pooled as (other)")
    p.add_argument("--origins", default="3", metavar="N", help="backtest origins (default 3)")
    p.add_argument("--seed", default="0", metavar="N")
    p.add_argument("--output", type=Path, metavar="CSV", help="write the forecasts (series, ts, p10, p50, p90, mean)")

    @model_errors
    def forecast(args: argparse.Namespace) -> int:
        """Validate, fit (backtest + final), register the version, write the CSV, report the track record."""
        from engine.forecast import ForecastConfig, ForecastModel, register_forecast
        from engine.store import write_safe_csv

        if args.metric not in CLI_METRICS:
            raise UsageError(f"unknown metric '{args.metric}'; choose one of: {', '.join(CLI_METRICS[:4])}.")
        config = ForecastConfig(metric=args.metric, by=args.by, freq=args.freq, horizon=_int(args.horizon, "--horizon"),
                                top_n=_int(args.top, "--top"), origins=_int(args.origins, "--origins"),
                                seed=_int(args.seed, "--seed", minimum=0))
        try:
            config.validate()
        except ValueError as exc:
            raise UsageError(f"{exc}.") from exc
        if args.output is not None and not args.output.parent.is_dir():
            raise UsageError(f"the folder of {args.output} does not exist.")
        store = open_store(args)
        try:
            model = ForecastModel(config)
            report = model.fit(store, progress=progress(True))
            version = register_forecast(store, model, report)
        finally:
            store.close()
        out = model.result.forecast[CSV_COLUMNS].copy()
        out["ts"] = out["ts"].dt.strftime("%Y-%m-%d")
        if args.output is not None:
            write_safe_csv(out, args.output)
        emit(args, {"model_version": version, **report}, _human(report, version, args.output))
        return 0

    p.set_defaults(func=forecast)


def _int(text: str, flag: str, minimum: int = 1) -> int:
    """A whole-number option; anything else is the user's input error (exit 2, one line)."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise UsageError(f"{flag} must be a whole number, not '{text}'.") from None
    if value < minimum:
        what = "above 0" if minimum == 1 else f"at least {minimum}"
        raise UsageError(f"{flag} must be a whole number {what}, not {value}.")
    return value


def _human(report: dict, version: str, output: Path | None) -> list[str]:
    """The track record in plain words: each series against seasonal naive, and where the model loses."""
    from engine.forecast import METHOD_LABELS

    def f(x: object) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    lines = [f"forecast {version}: {report['metric']} by {report['by']}, {report['horizon']} {report['freq']} ahead; "
             f"backtest from {len(report['origins'])} origins ({', '.join(report['origins'])})",
             f"overall MASE: model {f(report['mase_model'])}, seasonal naive {f(report['mase_seasonal_naive'])}, "
             f"AutoETS {f(report['mase_auto_ets'])}, AutoTheta {f(report['mase_auto_theta'])}; "
             f"80% interval coverage {f(report['coverage_80'])}"]
    for s in report["series"]:
        verdict = "" if not s["model_loses"] else "  <- the model loses to seasonal naive here"
        best = "" if s["winner"] == "model" else f"; best: {METHOD_LABELS[s['winner']]}"
        lines.append(f"  {s['series']}: MASE {f(s['mase'])} vs seasonal naive {f(s['baseline_mase'])}, "
                     f"coverage {f(s['coverage_80'])}{best}{verdict}")
    if output is not None:
        lines.append(f"forecasts written to {output}")
    return lines
