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
            items.append(ImportItem(str(path), file.name, det.kind, tuple(mapping.items()), unpivot))

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
        for warning in result.report.warnings if result.report else ():
            st.warning(f"{services.plain(result.file_name)}: {services.plain(warning)}")
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
