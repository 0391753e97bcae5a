"""Training: fine-tune the sentiment model in the background, compare it with the baseline, manage versions."""

import streamlit as st

from dashboard import charts, services
from dashboard.views.widgets import job_panel, model_fallback_notice

st.title("Sentiment model")
model_fallback_notice()
st.caption("Teaches a language model to read your reviews the way your star ratings do (1–2 stars negative, "
           "3 neutral, 4–5 positive) and tests it on your newest 15% of reviews against a simple word-counting "
           "method. A version that does better becomes the active one and then labels every review, including those "
           "without stars. Runs in the background: you can leave this page.")


# ---- the running (or last) job, and the labelling of every review that follows a training (its own job: it runs
# beside the other pages' jobs)
job = job_panel("training", services.job_outcome)
running = job is not None and job.running
labelling_job = job_panel("training_labelling", services.job_outcome, background=True)
labelling = labelling_job is not None and labelling_job.running
if labelling:
    st.caption("Drivers, segments, forecasts and the other pages keep working meanwhile; the Sentiment page shows "
               "each review's newest label as soon as it is written.")

# ---- train a new version
data = services.sentiment_training_data()
labels = data["labels"]
n_rated = data["n_rated"]
shortfall = services.training_shortfall(data)
enough = shortfall is None
with st.container(border=True):
    st.subheader("Train a new version")
    if n_rated:
        pos = labels["positive"] / n_rated
        st.caption(f"{n_rated:,} rated reviews with text to learn from: {labels['negative']:,} negative, "
                   f"{labels['neutral']:,} neutral, {labels['positive']:,} positive ({pos:.0%} positive). Rare "
                   "labels count as much as common ones, in training and in the score.")
    if not enough:
        st.warning(f"{shortfall} Import a reviews export with star ratings on the Upload page.")
    budget = st.slider("Time to spend on training (seconds)", min_value=30, max_value=1800, value=600, step=30,
                       key="training_budget",
                       help="Training stops within this time, keeping the best model it reached; labelling every "
                            "review afterwards runs on its own in the background. On a 2-core computer, 600 s (10 "
                            "minutes) is a good start.")
    base = st.text_input("Start from (advanced)", value="", key="training_base_model",
                         placeholder="chosen from your reviews' languages (included)",
                         help="Leave empty to let StoreLens choose from your reviews' languages: the included "
                              "all-MiniLM-L6-v2 for a shop that reviews in English, the included multilingual "
                              "multilingual-e5-small when a tenth or more of the reviews are in other languages. "
                              "Or give a local folder or a Hugging Face model id already downloaded to this "
                              "computer.")
    score_after = st.checkbox("Label every review with the new version when it is made active", value=True,
                              key="training_score_after",
                              help="A new version is made active only when it beats the simple method and scores "
                                   "at least as well as the active version; otherwise it is kept, and you can "
                                   "activate it in the versions table.")
    activate = st.checkbox("Make it the active version whatever it scores", value=False,
                           key="training_activate_anyway",
                           help="Like `storelens sentiment train --activate`: for when you know better than the test "
                                "reviews, e.g. they are few. Otherwise a version that does not beat the simple "
                                "method, or scores below the active version, is kept but not used.")
    level, estimate = services.training_estimate(budget, score_after) if enough else ("info", "")
    if estimate:
        (st.warning if level == "warning" else st.info)(estimate, icon=":material/schedule:")
    if st.button("Train", type="primary", icon=":material/model_training:", key="training_go",
                 disabled=running or labelling or not enough or level == "warning"):
        try:
            services.start_training(budget, base, score_after, activate)
            st.rerun()
        except services.JobBusyError as exc:
            st.warning(services.plain(exc))

# ---- the active version's scores (or the newest one's, while none is active)
metrics = services.sentiment_metrics()
if not metrics:
    st.info("No model yet: the Sentiment page labels reviews by their star ratings until one is trained.")
    st.stop()

version = metrics.get("model_version")
if services.sentiment_active_version() is None:
    st.subheader(f"Newest version {services.plain(version)} (not active)")
    st.caption("No version is active, so the Sentiment page labels reviews by their star ratings. Activate this one "
               "in the versions table below if you want it anyway.")
else:
    st.subheader(f"Active version {services.plain(version)}")
f_model, f_base = metrics.get("macro_f1"), metrics.get("baseline_macro_f1")
st.caption("Score: the share of test reviews labelled right, each label (negative, neutral, positive) counting "
           "equally; 1.0 is every one right. Simple method: counting words.")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Your model's score", "–" if f_model is None else f"{f_model:.3f}",
          None if f_model is None or f_base is None else f"{f_model - f_base:+.3f} vs simple", border=True,
          help="Macro-F1 on the test reviews: 1.0 labels every one right; each label counts equally.")
c2.metric("Simple method's score", "–" if f_base is None else f"{f_base:.3f}", border=True,
          help="Macro-F1 of word counting (TF-IDF of words and word pairs, or of 1-3 characters where that does "
               "better, as in Chinese or Japanese, with logistic regression) on the same test reviews: the model is "
               "worth using only when it beats this.")
c3.metric("Test reviews", f"{metrics.get('n_eval', 0):,}", border=True,
          help="Your newest reviews (when they are dated), kept aside during training, so the score shows how the "
               "model does on reviews it has never seen.")
c4.metric("Training reviews", f"{metrics.get('n_train', 0):,}", border=True,
          help="Your rated reviews with text, older than the test reviews.")
if f_model is not None and f_base is not None and not metrics.get("beats_baseline", f_model > f_base):
    st.warning("This version does not beat the simple method on the test reviews "
               f"(score {f_model:.3f} vs {f_base:.3f} for counting words). Give it more time, or import more "
               "rated reviews.",
               icon=":material/warning:")
for caption in services.model_details(metrics):
    st.caption(caption)

labels_order = metrics.get("labels") or list(services.SENTIMENT_LABELS)
left, right = st.columns(2)
with left:
    tab_model, tab_base = st.tabs(["Your model", "Simple method"])
    with tab_model:
        st.plotly_chart(charts.confusion_matrix(metrics.get("confusion_matrix"), labels_order), key="training_cm")
    with tab_base:
        st.plotly_chart(charts.confusion_matrix(metrics.get("baseline_confusion_matrix"), labels_order,
                                                "Simple method: test reviews by true and given label"),
                        key="training_cm_base")
with right:
    st.markdown("**How often each label is right (test reviews)**")
    st.caption("precision: of the reviews given this label, the share that had it; recall: of the reviews that "
               "had it, the share that got it; F1: the two together; reviews: how many test reviews had it.")
    st.dataframe(services.per_class_table(metrics), hide_index=True, column_config={
        **{c: st.column_config.NumberColumn(c, format="%.3f") for c in ("precision", "recall", "F1")},
        "support": st.column_config.NumberColumn("reviews"),
        "baseline F1": st.column_config.NumberColumn("simple F1", format="%.3f",
                                                     help="F1 of the simple word-counting method"),
        "baseline precision": None, "baseline recall": None,  # the simple method's F1 says enough here
    })

# ---- per language: where the model is strong or weak, beside the simple method on the same reviews
by_language = services.per_language_table(metrics)
if len(by_language) > 1 or services.languages_too_few(metrics):
    st.markdown("**Scores per language (test reviews)**")
    st.dataframe(by_language, hide_index=True, key="training_languages", column_config={
        c: st.column_config.NumberColumn(c, format="%.3f") for c in ("model", "simple method", "difference")})
    for sentence in services.languages_too_few(metrics):
        st.caption(sentence)

# ---- versions: activate / roll back
st.subheader("Versions")
versions = services.sentiment_versions()


def _activate(v: str) -> None:
    try:
        services.sentiment_activate(v)
        st.session_state["training_flash"] = ("success", f"Version {v} is active now.")
    except Exception as exc:  # missing/corrupt files, unknown version, a running job: say so, keep the old one
        st.session_state["training_flash"] = ("error", f"Could not activate version {v}: {exc}")


def _delete(v: str) -> None:
    try:
        freed = services.sentiment_delete(v)
        st.session_state["training_flash"] = ("success", f"Version {v} was deleted ({freed:,.1f} MB freed).")
    except Exception as exc:  # the active version, a running job: say so, delete nothing
        st.session_state["training_flash"] = ("error", f"Could not delete version {v}: {exc}")


flash = st.session_state.pop("training_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(services.plain(flash[1]))

if not versions.empty:
    widths = [4, 3, 2, 2, 2, 3, 2, 2, 3, 2]
    for col, name in zip(st.columns(widths), [*services.VERSION_COLUMNS, "", ""]):
        col.markdown(f"**{name}**" if name else "")
    for row in services.version_rows(versions):  # newest first
        cols = st.columns(widths)
        for col, cell in zip(cols, row["cells"]):
            col.write(cell)
        if row["active"]:
            cols[8].button("Active", key=f"training_activate_{row['version']}", disabled=True)
        else:
            cols[8].button("Roll back" if row["older"] else "Activate", key=f"training_activate_{row['version']}",
                           on_click=_activate, args=(row["version"],),
                           disabled=running or labelling or not row["available"])
            with cols[9].popover("Delete", icon=":material/delete:", disabled=running or labelling):
                st.write(f"Delete version {row['version']} and its {row['size_mb']:,.1f} MB of files? "
                         "Reviews it scored keep their scores.")
                st.button("Delete", key=f"training_delete_{row['version']}", type="primary",
                          on_click=_delete, args=(row["version"],))

# ---- scoring
st.subheader("Scores")
cov = services.sentiment_coverage(services.Filters())
st.caption(f"{cov.n_model:,} of {cov.n_reviews:,} reviews have a model score; "
           f"{cov.n_not_scored_by_active:,} are not scored by the active version yet.")
if note := services.engine_note():
    st.caption(note)
c1, c2 = st.columns(2)
if c1.button("Score all reviews", key="training_score_all", icon=":material/bolt:", disabled=running or labelling):
    try:
        services.start_scoring(only_new=False)
        st.rerun()
    except services.JobBusyError as exc:
        st.warning(services.plain(exc))
if c2.button("Score only reviews not scored by the active version", key="training_score_new",
             disabled=running or labelling or not cov.n_not_scored_by_active):
    try:
        services.start_scoring(only_new=True)
        st.rerun()
    except services.JobBusyError as exc:
        st.warning(services.plain(exc))
