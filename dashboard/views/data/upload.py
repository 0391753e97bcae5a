"""Upload: drop exports, check what was recognised, correct the mapping, import, see what was loaded or rejected."""

import streamlit as st

from dashboard import services
from dashboard.services import ImportItem, IngestError

st.title("Upload")
st.caption("Orders and reviews exports from Shopify, WooCommerce, Amazon, Etsy, Judge.me, Yotpo, a retail "
           "transaction log, or any CSV/TSV with a header. Re-uploading a file adds no duplicates.")

# A new uploader (fresh key) after each import, so the imported files leave the list.
generation = st.session_state.setdefault("upload_generation", 0)
files = st.file_uploader("Export files", type=["csv", "tsv", "txt"], accept_multiple_files=True,
                         key=f"uploader_{generation}")

items: list[ImportItem] = []
for file in files or []:
    fid = file.file_id
    with st.container(border=True):
        st.markdown(f"**{services.plain(file.name)}**")
        path = services.save_upload(file)
        kind = st.session_state.get(f"kind_{fid}")
        try:
            base = services.detect_upload(path, file.name, kind=kind)
            choices = {c: st.session_state.get(f"map_{fid}_{base.kind}_{c}")
                       for c in services.canonical_columns(base.kind)}
            det = services.detect_upload(path, file.name, kind=base.kind, mapping=services.user_mapping(base, choices))
        except IngestError as exc:
            st.error(services.plain(exc))
            if services.kind_can_be_chosen(path, file.name):  # only the kind was unclear: the user says it
                st.selectbox("Kind", services.KINDS, index=None, key=f"kind_{fid}",
                             placeholder="Choose what the file holds")
            continue

        st.write(f"Detected format **{det.format}**, kind **{det.kind}**.")
        if det.missing:
            st.warning(f"No column found for: {services.plain(', '.join(det.missing))}. Pick one below.")
        st.dataframe(services.preview(det), hide_index=True)

        with st.expander("Correct the mapping", expanded=bool(det.missing)):
            st.selectbox("Kind", services.KINDS, index=services.KINDS.index(det.kind), key=f"kind_{fid}")
            with st.form(f"mapping_{fid}"):
                options = services.header_choices(det)
                columns = st.columns(3)
                for i, canon in enumerate(services.canonical_columns(det.kind)):
                    key = f"map_{fid}_{det.kind}_{canon}"
                    current = st.session_state.get(key) or services.mapped_header(det, canon)
                    columns[i % 3].selectbox(canon, options, index=options.index(current) if current in options else 0,
                                             key=key)
                st.form_submit_button("Apply mapping")
        if not det.missing:  # a file without its required columns waits for the user's mapping
            mapping = tuple(services.user_mapping(base, choices).items())
            items.append(ImportItem(str(path), file.name, det.kind, mapping))

if st.button(f"Import {len(items)} files" if len(items) > 1 else "Import", type="primary", disabled=not items):
    bar = st.progress(0.0, text="Starting import…")
    results = services.import_files(items, progress=lambda f, m: bar.progress(f, text=services.plain(m)))
    st.session_state["import_results"] = results
    st.session_state["upload_generation"] = generation + 1
    st.rerun()

# Results of the last import: per-file counts, then each file's rejected rows.
results = st.session_state.get("import_results") or []
if results:
    st.subheader("Last import")
    for result in results:
        if result.error:
            st.error(services.plain(result.error))
    reports = [r.report for r in results if r.report is not None]
    if reports:
        st.dataframe([r.as_dict() for r in reports], hide_index=True,
                     column_order=["file", "format", "kind", "rows_read", "rows_loaded", "rows_rejected",
                                   "rows_duplicate", "batch_id"])
        loaded = sum(r.rows_loaded for r in reports)
        st.success(f"{loaded:,} rows loaded, {sum(r.rows_duplicate for r in reports):,} duplicates skipped, "
                   f"{sum(r.rows_rejected for r in reports):,} rejected.")
    for report in reports:
        if report.rows_rejected:
            st.markdown(f"Rejected rows of **{services.plain(report.file)}**")
            st.dataframe(services.rejected_rows(report.batch_id), hide_index=True)
            st.download_button("Download rejected rows (CSV)", services.rejected_csv(report.batch_id),
                               file_name=f"rejected_{report.batch_id}.csv", mime="text/csv",
                               key=f"rejected_{report.batch_id}", on_click="ignore")

with st.expander("Upload history"):
    st.dataframe(services.uploads(), hide_index=True)
