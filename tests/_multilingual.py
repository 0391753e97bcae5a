"""Generated rated reviews in English, Chinese, Japanese and German (words that carry the rating's polarity), for
the multilingual tests: small, made here, never downloaded."""

from __future__ import annotations

import numpy as np
import pandas as pd

WORDS = {
    "en": {"pos": ["love", "perfect", "beautiful", "great", "comfortable", "excellent"],
           "neg": ["terrible", "awful", "cheap", "ripped", "disappointed", "horrible"],
           "neu": ["okay", "fine", "average", "decent", "acceptable", "ordinary"],
           "things": ["the dress", "this top", "the fabric", "the fit"], "glue": "{a} was {w0} and {b} felt {w1}"},
    "zh": {"pos": ["很满意", "非常喜欢", "漂亮", "舒服", "推荐购买", "完美"],
           "neg": ["很失望", "要退货", "破损了", "质量很差", "后悔购买", "太难看"],
           "neu": ["一般般", "还行吧", "凑合", "普普通通", "马马虎虎", "中规中矩"],
           "things": ["这件衣服", "面料", "物流", "包装"], "glue": "{f}{a}{w0}，{b}{w1}。",
           "fillers": ["今天", "老实说", "我觉得", "收到后", "昨天", "总的来说", "说实话", "穿了以后", "第一次买", "给妈妈买的",
                       "试了一下", "这次", "上周", "朋友推荐", "打开一看", "用了几天"]},
    "ja": {"pos": ["とても良い", "最高です", "気に入りました", "綺麗です", "満足です", "おすすめです"],
           "neg": ["最悪です", "がっかり", "返品しました", "壊れていた", "ひどい", "安っぽい"],
           "neu": ["普通です", "まあまあ", "悪くない", "それなり", "可もなく", "平凡"],
           "things": ["この服は", "生地は", "配送は", "サイズは"], "glue": "{f}{a}{w0}。{b}{w1}。",
           "fillers": ["今日", "正直", "届いて", "昨日", "全体的に", "初めて", "母に", "試着して", "今回", "先週"]},
    "de": {"pos": ["wunderschön", "perfekt", "bequem", "großartig", "hervorragend", "toll"],
           "neg": ["schrecklich", "billig", "kaputt", "enttäuscht", "furchtbar", "zurückgeschickt"],
           "neu": ["okay", "durchschnittlich", "in Ordnung", "mittelmäßig", "passabel", "gewöhnlich"],
           "things": ["das Kleid", "der Stoff", "die Passform", "die Farbe"], "glue": "{a} war {w0} und {b} {w1}"},
}


def multilingual_reviews(counts: dict[str, int], seed: int = 0) -> pd.DataFrame:
    """`counts[lang]` reviews per language, interleaved in time, skewed positive like real shops (columns as the reviews table)."""
    rng = np.random.default_rng(seed)
    rows = []
    for lang, n in counts.items():
        w = WORDS[lang]
        ratings = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.15, 0.1, 0.2, 0.25, 0.3])
        for i, r in enumerate(ratings):
            pool = w["neg"] if r <= 2 else w["neu"] if r == 3 else w["pos"]
            w0, w1 = rng.choice(pool, size=2, replace=False)
            a, b = rng.choice(w["things"], size=2, replace=False)
            f = rng.choice(w.get("fillers", [""]))  # Chinese and Japanese: no space before the next word
            rows.append({"review_id": f"{lang}-{seed}-{i}", "rating": float(r), "title": None,
                         "text": w["glue"].format(a=a, b=b, w0=w0, w1=w1, f=f), "category": "Dresses",
                         "batch_id": f"ml-{seed}", "expected_language": lang})
    out = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    out.insert(1, "review_ts", pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(len(out)) * 5, unit="h"))
    return out
