"""Versions: every segments, recommendations and forecast version kept, what each measured, which one the pages use;
roll back to an earlier one or delete old ones (sentiment versions are on Training, beside their training)."""

import streamlit as st

from dashboard import services

st.title("Model versions")
st.caption("Every run of a model is kept as a version, with what it measured when it was made. The pages use the "
           "active version; make an earlier one active to roll back, or delete versions you no longer need. "
           "Sentiment versions are on the Training page.")

job = services.current_job()
running = job is not None and job.running
if running:
    st.info("A model job is running; versions can be switched or deleted when it has finished.")

flash = st.session_state.pop("versions_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])


def _act(action, key: str, version: str) -> None:
    try:
        st.session_state["versions_flash"] = ("success", action(key, version))
    except Exception as exc:  # the active version, missing files, a running job: say so, change nothing
        st.session_state["versions_flash"] = ("error", f"Could not change version {services.plain(version)}: "
                                                       f"{services.plain(exc)}")


for family in services.FAMILIES:
    st.subheader(family.title)
    table = services.family_versions(family.key)
    if table.empty:
        st.info(f"No versions yet: {family.makes}.")
        continue
    st.dataframe(table[["version", "trained", "what it measured", "took", "files", "size"]], hide_index=True,
                 width="stretch", key=f"versions_table_{family.key}",
                 column_config={"what it measured": st.column_config.TextColumn(width="large")})
    options = table["version"].tolist()
    rows = table.set_index("version")
    c1, c2, c3 = st.columns([3, 2, 2], vertical_alignment="bottom")
    picked = c1.selectbox("Version", options, key=f"versions_pick_{family.key}",
                          format_func=lambda v: f"{v} (active)" if rows.loc[v, "active"] else v)
    row = rows.loc[picked]
    if family.activates:
        c2.button("Roll back to it" if row["older"] else "Make it active", key=f"versions_activate_{family.key}",
                  on_click=_act, args=(services.activate_version, family.key, picked),
                  disabled=running or bool(row["active"]) or not row["available"])
    with c3.popover("Delete", icon=":material/delete:", disabled=running or bool(row["active"])):
        st.write(f"Delete version {services.plain(picked)} and its {services.plain(row['size'])} of files?")
        st.button("Delete", key=f"versions_delete_{family.key}", type="primary",
                  on_click=_act, args=(services.delete_version, family.key, picked))
    st.caption(f"{services.plain(picked)}: {services.plain(row['what it measured'])}")
