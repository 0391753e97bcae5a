"""Sentiment in other languages: the whole training (base model chosen from the language mix, as `storelens sentiment
train` does) on each file of shared/datasets/reviews-multilingual/, against the better TF-IDF baseline trained on the
same reviews, held-out macro-F1 from the same run.

    python benchmarks/bench_sentiment_languages.py [--budget 300] [--only chinese_jd_phones,...] [--out-dir DIR]

Files run one after another (the CPU is shared; parallel runs would measure each other). Each file's report is
written to DIR/<key>.json as soon as it ends, with the machine's load average before and after, so a run cut short
keeps what it measured. `--english` adds the women's clothing reviews (the English shop).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _common import load_average  # noqa: E402

from engine import sentiment as S  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "reviews-multilingual"
CLOTHING = ROOT.parent / "shared" / "datasets" / "womens_clothing_reviews.csv"


def _frame(text: pd.Series, rating: pd.Series) -> pd.DataFrame:
    """(text, rating) rows with text and a 1-5 rating."""
    df = pd.DataFrame({"text": text.fillna("").astype(str).str.strip(), "rating": pd.to_numeric(rating, "coerce")})
    return df[(df["text"].str.len() > 0) & df["rating"].between(1, 5)].reset_index(drop=True)


def _amazon(name: str) -> pd.DataFrame:
    raw = pd.read_csv(DATA / name, header=None, names=["index", "text", "stars"])
    return _frame(raw["text"], raw["stars"])


def _olist() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "portuguese__olist_cabg-subset__order_reviews.csv")
    title = raw["review_comment_title"].fillna("").astype(str)
    body = raw["review_comment_message"].fillna("").astype(str)
    return _frame(pd.Series([S.compose_text(t, b) for t, b in zip(title, body)]), raw["review_score"])


def _jd_phones() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "chinese__jd_gekelly__phone_reviews_multi_sku.csv", encoding="utf-8-sig",
                      on_bad_lines="skip")
    return _frame(raw["content"], raw["score"])


FILES = {  # key: (what, loader); Chinese first, then Portuguese and Spanish (the brief's order of priority)
    "chinese_jd_phones": ("Chinese, JD phones", _jd_phones),
    "chinese_jd_gb18030": ("Chinese, JD (GB18030)", lambda: (lambda r: _frame(r["content"], r["score"]))(
        pd.read_csv(DATA / "chinese__jd_marginc-1015650__product_reviews_gb18030.csv", encoding="gb18030"))),
    "chinese_dianping": ("Chinese, Dianping", lambda: (lambda r: _frame(r["comment"], r["star"]))(
        pd.read_csv(DATA / "chinese__dianping_lamprose-sample__restaurant_reviews.csv", encoding="utf-8-sig"))),
    "portuguese_olist": ("Portuguese, Olist", _olist),
    "spanish_amazon": ("Spanish, Amazon", lambda: _amazon("spanish__amazon-marc_uniprompt__test_reviews.csv")),
    "french_amazon": ("French, Amazon", lambda: _amazon("french__amazon-marc_uniprompt__test_reviews.csv")),
    "indonesian_tokopedia": ("Indonesian, Tokopedia", lambda: (lambda r: _frame(r["Customer Review"],
                             r["Customer Rating"]))(pd.read_csv(DATA / "indonesian__tokopedia_prdect-id__product_"
                                                                "reviews.csv", sep=";"))),
}


def _english() -> pd.DataFrame:
    raw = pd.read_csv(CLOTHING)
    return _frame(pd.Series([S.compose_text(t, r) for t, r in zip(raw["Title"], raw["Review Text"])]), raw["Rating"])


def deletion_test(model: S.SentimentModel, df: pd.DataFrame, n: int) -> dict:
    """The faithfulness check on `n` held-out reviews of the trained model (the training's own split): how much
    deleting the top-attributed words moves the prediction against deleting as many random words (AOPC)."""
    from engine.explain import explain_review, faithfulness

    frame = S.prepare_frame(df)
    _, ev, _ = S.split_frame(frame, S.EVAL_FRACTION, 0)
    texts = [frame["text"].iat[i] for i in ev[:n]]
    top, rand, better, t0 = [], [], 0, time.monotonic()
    for text in texts:
        f = faithfulness(model, text, explain_review(model, text))
        top.append(f.aopc_top)
        rand.append(f.aopc_random)
        better += bool(f.faithful)
    mean_top, mean_rand = sum(top) / len(top), sum(rand) / len(rand)
    return {"n": len(texts), "aopc_top": round(mean_top, 4), "aopc_random": round(mean_rand, 4),
            "ratio": round(mean_top / mean_rand, 2) if mean_rand > 0 else None,  # random deletions may raise it
            "better_than_random": better,
            "seconds": round(time.monotonic() - t0, 1)}


def run_one(key: str, what: str, df: pd.DataFrame, budget: float, base_model: str | None, out_dir: Path,
            faithfulness_n: int = 0) -> dict:
    """Train on one file (seeded random 15% held out, as the baseline table) and keep the figures that matter."""
    load_before = load_average()
    t0 = time.monotonic()
    model, rep = S.train_frame(df, time_budget=budget, base_model=base_model, base_dir=out_dir / f"base-{key}")
    out = {"key": key, "file": what, "n_reviews": len(df), "load_before": load_before, "load_after": load_average(),
           "wall_seconds": round(time.monotonic() - t0, 1),
           **{k: rep.get(k) for k in ("macro_f1", "baseline_macro_f1", "margin_over_baseline", "transformer_macro_f1",
                                      "baseline_kind", "base_model", "base_model_choice", "n_train", "n_eval",
                                      "n_heldout", "transformer_examples_seen", "train_reviews_per_second",
                                      "encoder_layers", "runtime", "int8", "model_kind", "per_language", "seconds")}}
    if faithfulness_n:
        out["faithfulness"] = deletion_test(model, df, faithfulness_n)
    (out_dir / f"{key}.json").write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the files one after another and print one Markdown row per file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=300.0)
    ap.add_argument("--only", default="", help="comma-separated keys (default: all, in priority order)")
    ap.add_argument("--english", action="store_true", help="also the women's clothing reviews (key english_clothing)")
    ap.add_argument("--base-model", default=None, help="override the choice (as --base-model does)")
    ap.add_argument("--multilingual", action="store_true",
                    help="force multilingual-e5-small (converted for each file), e.g. on the English file")
    ap.add_argument("--faithfulness", type=int, default=0, help="then the deletion test on N held-out reviews")
    ap.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "_data" / "sentiment_languages"))
    args = ap.parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    every = {**FILES, "english_clothing": ("English, women's clothing", _english)}
    keys = [k for k in args.only.split(",") if k] or list(FILES) + (["english_clothing"] if args.english else [])
    jobs = [(k, *every[k]) for k in keys]
    print("| file | reviews (held out) | base model | model | baseline (kind) | margin | reviews seen | load |")
    print("|---|---|---|---|---|---|---|---|")
    for key, what, loader in jobs:
        df = loader()
        base = args.base_model
        if args.multilingual:
            from engine.sentiment._multilingual import convert

            base = str(convert(out_dir / f"base-{key}", df["text"].tolist()))
        try:
            r = run_one(key, what, df, args.budget, base, out_dir, args.faithfulness)
        except S.InsufficientDataError as exc:  # e.g. Dianping: no 3-star reviews, so no neutral label to learn
            (out_dir / f"{key}.json").write_text(json.dumps({"key": key, "file": what, "refused": str(exc)}))
            print(f"| {what} | training refused: {exc} |", flush=True)
            continue
        print(f"| {what} | {r['n_reviews']:,} ({r['n_eval']}) | {r['base_model_choice']['name']} | "
              f"{r['macro_f1']:.4f} | {r['baseline_macro_f1']:.4f} ({r['baseline_kind']}) | "
              f"{r['margin_over_baseline']:+.4f} | {r['transformer_examples_seen']:,} | "
              f"{r['load_before']} / {r['load_after']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
