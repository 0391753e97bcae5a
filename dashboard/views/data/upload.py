"""Upload: drop exports, check what was recognised, correct the mapping, import, see what was loaded, updated or
rejected; the history lists every upload, and a wrong one is undone (after a confirmation) or replaced."""

import streamlit as st

from dashboard import services
from dashboard.services import ImportItem, IngestError

st.title("Upload")
st.caption("Orders and reviews exports from Shopify, WooCommerce, Amazon, Etsy, Judge.me, Yotpo, a retail "
           "transaction log, or any CSV/TSV with a header. Re-uploading a file adds no duplicates; a row whose "
           "content changed is updated (the later export wins).")

# A new uploader (fresh key) after each import, so the imported files leave the list.
generation = st.session_state.setdefault("upload_generation", 0)
files = st.file_uploader("Export files", type=["csv", "tsv", "txt"], accept_multiple_files=True,
                         key=f"uploader_{generation}")

# Files removed from the picker (cancelled) leave the private upload folder at once.
services.discard_uploads_except(services.save_upload(file) for file in files or [])

items: list[ImportItem] = []
for file in files or []:
    fid = file.file_id
    with st.container(border=True):
        st.markdown(f"**{services.plain(file.name)}**")
        path = services.save_upload(file)
        kind = st.session_state.get(f"kind_{fid}")
        unpivot = bool(st.session_state.get(f"unpivot_{fid}"))
        try:
            base = services.detect_upload(path, file.name, kind=kind, unpivot=unpivot)
            choices = {r["index"]: st.session_state.get(f"col_{fid}_{base.kind}_{r['index']}")
                       for r in services.column_table(base)}
            mapping = services.mapping_from_columns(base, choices)
            det = services.detect_upload(path, file.name, kind=base.kind, mapping=mapping, unpivot=unpivot)
        except IngestError as exc:
            st.error(services.plain(exc))
            if services.kind_can_be_chosen(path, file.name):  # only the kind was unclear: the user says it
                st.selectbox("Kind", services.KINDS, index=None, key=f"kind_{fid}",
                             placeholder="Choose what the file holds")
            continue

        st.write(f"Detected format **{services.plain(det.format)}**, kind **{det.kind}**.")
        for note in base.notes:
            st.info(services.plain(note))
        if det.missing:
            st.warning(f"No column found for: {services.plain(', '.join(det.missing))}. Pick one below.")
        st.dataframe(services.preview(det), hide_index=True)

        # Every source column with three sample values, the guessed field and its confidence; guesses below the
        # confidence threshold are shown but left blank, so nothing doubtful is applied without the user.
        with st.expander("Check the columns", expanded=bool(det.missing) or det.format == "generic"):
            st.selectbox("Kind", services.KINDS, index=services.KINDS.index(det.kind), key=f"kind_{fid}")
            if base.wide:
                st.checkbox(f"Unpivot the {len(base.wide)} product columns into order lines", key=f"unpivot_{fid}")
            with st.form(f"mapping_{fid}"):
                options = services.field_options(base)
                head = st.columns([2, 4, 3])
                head[0].markdown("**Column**")
                head[1].markdown("**Sample values**")
                head[2].markdown("**Field**")
                for row in services.column_table(base):
                    key = f"col_{fid}_{base.kind}_{row['index']}"
                    current = st.session_state.get(key) or services.default_field(row)
                    cells = st.columns([2, 4, 3])
                    cells[0].text(row["column"])
                    cells[1].text(" | ".join(s[:40] for s in row["samples"]) or "(empty)")
                    cells[2].selectbox(services.plain(services.confidence_label(row)), options,
                                       index=options.index(current) if current in options else 0, key=key)
                st.form_submit_button("Apply mapping")
        if not det.missing:  # a file without its required columns waits for the user's mapping
            replace = False
            earlier, differs = services.earlier_upload(path, det)
            if earlier is not None:
                when = f"{earlier.created_at:%Y-%m-%d %H:%M}" if earlier.created_at else "earlier"
                if differs:
                    st.info(f"This file was imported on {when} with a different mapping "
                            f"({earlier.rows_loaded:,} rows loaded, batch {earlier.batch_id}). Importing it again "
                            "without replacing would leave those rows as they are.")
                    replace = st.checkbox("Replace that upload: undo it and import the file with this mapping",
                                          value=True, key=f"replace_{fid}")
                else:
                    st.info(f"This file was already imported on {when} with the same mapping (batch "
                            f"{earlier.batch_id}); importing it again adds nothing.")
            items.append(ImportItem(str(path), file.name, det.kind, tuple(mapping.items()), replace, unpivot))

if st.button(f"Import {len(items)} files" if len(items) > 1 else "Import", type="primary", disabled=not items):
    bar = st.progress(0.0, text="Starting import…")
    results = services.import_files(items, progress=lambda f, m: bar.progress(f, text=services.plain(m)))
    st.session_state["import_results"] = results
    st.session_state["upload_generation"] = generation + 1
    st.rerun()

def _rows_to_check(caption: str, what: str, batch_id: str, rows, columns: dict, csv: bytes) -> None:
    """A caption, the rows of one upload a merchant should look at, and their formula-safe CSV."""
    st.markdown(caption)
    st.dataframe(rows, hide_index=True, column_config=columns)
    st.download_button(f"Download {what} {'rows' if what == 'rejected' else 'lines'} (CSV)", csv,
                       file_name=f"{what}_{batch_id}.csv", mime="text/csv", key=f"{what}_{batch_id}",
                       on_click="ignore")


# Results of the last import: per-file counts, then each file's rejected rows.
results = st.session_state.get("import_results") or []
if results:
    st.subheader("Last import")
    for result in results:
        if result.error:
            st.error(services.plain(result.error))
        for warning in result.report.warnings if result.report else ():
            st.warning(f"{services.plain(result.file_name)}: {services.plain(warning)}")
    reports = [r.report for r in results if r.report is not None]
    if reports:
        st.dataframe(services.report_table(reports), hide_index=True)
        for report in reports:  # green only when the store changed
            changed, message = services.result_message(report)
            (st.success if changed else st.warning)(services.plain(message))
    for report in reports:
        if report.rows_rejected:
            _rows_to_check(f"Rejected rows of **{services.plain(report.file)}** (line numbers as in the file; the "
                           "header is line 1)", "rejected", report.batch_id, services.rejected_rows(report.batch_id),
                           services.REJECTED_COLUMNS, services.rejected_csv(report.batch_id))
        if report.lines_missing:
            _rows_to_check(f"Order lines of **{services.plain(report.file)}**'s orders that earlier uploads stored "
                           "and this export lacks: they are kept, not deleted. Check whether the export or the "
                           "earlier upload was wrong; undoing that upload takes them out.", "missing",
                           report.batch_id, services.missing_lines(report.batch_id), services.MISSING_COLUMNS_SHOWN,
                           services.missing_csv(report.batch_id))

# History: every upload, and undo behind a confirmation that says what will go.
st.subheader("Upload history")
undone = st.session_state.pop("undo_result", None)
if undone is not None:
    st.success(services.plain(f"Undone: {undone.summary()}."))
if st.session_state.get("undo_error"):
    st.error(services.plain(st.session_state.pop("undo_error")))
history = services.history()
if history.empty:
    st.caption("No uploads yet.")
else:
    st.dataframe(history, hide_index=True)
    batches = list(history["batch_id"])
    pending = st.session_state.get("undo_pending")
    if pending not in batches:
        pending = st.session_state["undo_pending"] = None
    if pending is None:
        choice = st.selectbox("Upload to undo", batches, format_func=services.upload_label, key="undo_batch")
        if st.button("Undo this upload…", key="undo_start"):
            st.session_state["undo_pending"] = choice
            st.rerun()
    else:
        what = services.undo_preview(pending)
        st.warning(services.plain(f"Undo {what.summary()}. To have them back, import the file again."))
        confirm, cancel, _ = st.columns([1, 1, 4])
        if confirm.button("Yes, undo it", type="primary", key="undo_confirm"):
            try:
                st.session_state["undo_result"] = services.undo(pending)
            except IngestError as exc:  # already undone elsewhere, or the database refused: nothing changed
                st.session_state["undo_error"] = str(exc)
            st.session_state["undo_pending"] = None
            st.session_state.pop("import_results", None)  # the last import's counts may describe the undone upload
            st.rerun()
        if cancel.button("Cancel", key="undo_cancel"):
            st.session_state["undo_pending"] = None
            st.rerun()
