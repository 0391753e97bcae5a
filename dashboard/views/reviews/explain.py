"""Explain: which words made the model label a review the way it did (Captum attributions), how far that
explanation can be trusted (deletion test), and the top words as a chart.

Review text is user input. The only HTML this page renders is engine.explain.highlight_html's output, which
html-escapes every character of the review; everything else goes through services.plain or plain-text widgets.
"""

import pandas as pd
import streamlit as st

from dashboard import charts, services, views
from dashboard.views.widgets import model_fallback_notice, require_sentiment_model

SOURCES = ("A stored review", "Pasted text")
TARGETS = (None, "negative", "neutral", "positive")
_PICK = "explain_pick"  # selectbox of stored reviews
_CHOSEN = "explain_review_id"  # set by the Sentiment and Drivers pages' "Explain" buttons

st.title("Explain")
model_fallback_notice()
st.caption("Which words pushed the sentiment model toward the label it shows, with a check of how far the "
           "explanation can be trusted.")

require_sentiment_model("No sentiment model yet: explanations need a trained model. Train one on the Training "
                        "page (a few minutes on your own rated reviews), then come back here.")


def _id_typed() -> None:
    rid = (st.session_state.get("explain_id_entry") or "").strip()
    if rid:
        st.session_state[_CHOSEN] = rid
        st.session_state[_PICK] = rid


f = services.filters()
source = st.radio("What to explain", SOURCES, key="explain_source", horizontal=True, label_visibility="collapsed")
text, review = "", None
if source == SOURCES[0]:
    c1, c2 = st.columns([3, 1])
    search = c1.text_input("Find a review", key="explain_search",
                           placeholder="words in the title, text or product (reviews in the sidebar's dates)")
    c2.text_input("…or its review id", key="explain_id_entry", on_change=_id_typed)
    found = services.sentiment_reviews(f, search=search, limit=50)
    rows = {str(r["review_id"]): r for r in found.to_dict("records")}
    chosen = st.session_state.get(_CHOSEN)
    options = list(rows)
    if chosen and chosen not in rows:
        options.insert(0, chosen)
    if not options:
        st.info("No reviews match. Change the search or the sidebar's dates, paste a text instead, or pick a "
                "review on the Sentiment page.")
        st.stop()
    if st.session_state.get(_PICK) not in options:
        st.session_state[_PICK] = chosen if chosen in options else options[0]
    pick = st.selectbox("Review", options, key=_PICK, format_func=lambda rid: services.review_option_label(
        rows.get(rid) or services.explain_review_row(rid), rid))
    st.session_state[_CHOSEN] = pick
    review = services.explain_review_row(pick)
    if review is None:
        st.warning(f"There is no review with id {services.plain(pick)}.")
        st.stop()
    text = review["model_text"]
    st.caption(services.review_caption(review, pick))
    if review.get("review_ts") is not None and review.get("category") is not None:
        # The journey goes on to what drives this category's reviews in the review's week.
        st.page_link(views.DRIVERS, label=f"What drives {services.plain(review['category'])} reviews that week",
                     icon=":material/manage_search:",
                     query_params=services.drivers_request(review["category"], review["review_ts"], "W"))
else:
    text = st.text_area("Review text", key="explain_text", height=140, max_chars=20_000,
                        placeholder="Paste a review, e.g. “The zipper broke after two days.”")

target = st.selectbox("Explain the probability of", TARGETS, key="explain_target",
                      format_func=lambda t: "the predicted label" if t is None else f"'{t}'",
                      help="By default the predicted label is explained; pick a class to see what speaks for it.")

if not (text or "").strip():
    st.info("Paste or type a review to explain it." if source == SOURCES[1] else "This review has no text.")
    st.stop()

try:
    with st.spinner("Explaining…"):
        res = services.explanation(text, target)
except services.ExplainUnavailable as exc:
    st.error(services.plain(exc), icon=":material/error:")
    st.page_link(views.TRAINING, label="Go to Training", icon=":material/model_training:")
    st.stop()
e, fa = res.explanation, res.faithfulness

# ---- prediction: the figures the highlights explain (computed by the same function)
reading = services.explanation_reading(e, review)
cols = st.columns(4)
cols[0].metric("Predicted label", e.label, help="The model's decision, recomputed here with the function the "
                                                "highlights explain.")
for col, label in zip(cols[1:], e.probabilities):
    col.metric(f"P({label})", f"{e.probabilities[label]:.1%}")
if reading.stored_note:
    st.caption(reading.stored_note)
active = services.sentiment_active_version()
if res.model_version and active and res.model_version != active:
    st.warning(f"The active model version {services.plain(active)} could not be loaded; this explanation uses "
               f"the previous good version {services.plain(res.model_version)}.", icon=":material/warning:")

# ---- how far to trust it
if fa.n_words == 0:
    st.info(fa.badge, icon=":material/info:")
elif fa.faithful:
    st.success(fa.badge, icon=":material/verified:")
else:
    st.warning(fa.badge, icon=":material/warning:")

# ---- the review, highlighted (escaped by engine.explain.highlight_html: the only HTML on this page)
st.subheader(reading.headline)
st.caption(reading.scope)
st.html(res.html)
if e.truncated:
    st.warning(services.plain(e.note), icon=":material/content_cut:")

c1, c2 = st.columns([1, 3])
c1.metric("Weights add up within", f"{abs(e.convergence_delta):.3f}", help=reading.adds_up_help)
first = e.step_history[0][0] if e.step_history else e.steps_used
steps = f"{e.steps_used} integration steps"
if len(e.step_history) > 1:
    steps += f" (raised from {first}: " + ", ".join(f"{s} steps → |δ| {abs(d):.3f}" for s, d in e.step_history) + ")"
if e.converged:
    c2.caption(f"{reading.adds_up} Checked with {steps}; the weights are in probability units.")
else:
    c2.warning(f"Not converged: the weights add up only within {abs(e.convergence_delta):.3f} (more than 0.05) "
               f"after {steps}; they are approximate.", icon=":material/warning:")
if e.note and not e.truncated and len(e.step_history) <= 1 and e.converged:
    c2.caption(services.plain(e.note))

# ---- top words
st.plotly_chart(charts.explanation_words(e.tokens, e.target, k=15), key="explain_words_chart")

with st.expander("Details"):
    st.markdown(f"Model version {services.plain(res.model_version or '–')}; explained class "
                f"{services.plain(e.target)}; {e.n_tokens_explained} of {e.n_tokens_total} word pieces explained; "
                f"{e.seconds:.2f} s.")
    if fa.n_words:
        st.caption(f"Deletion test (AOPC): deleting the top-attributed words vs {fa.n_random} random draws of as many "
                   f"words, out of {fa.n_words} words. AOPC top {fa.aopc_top:.3f}, random {fa.aopc_random:.3f}.")
        st.dataframe(pd.DataFrame([{
            "share of words": f"{frac:.0%}", "words deleted": fa.k_words.get(frac),
            "drop when deleting top words": fa.drops_top.get(frac),
            "drop when deleting random words": fa.drops_random.get(frac),
        } for frac in fa.drops_top]), hide_index=True, key="explain_deletion_table")
    st.dataframe(pd.DataFrame(e.tokens, columns=["token", "start", "end", "attribution"]), hide_index=True,
                 key="explain_tokens_table")
