"""A/B tests: each variant's outcome rate with its 95 % interval, and the verdict against the control."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, ui


@st.cache_data(ttl=data.READ_TTL, show_spinner=False)
def experiments(key: str) -> list[dict]:
    return [e.to_dict() for e in data.service().experiments()]


@st.cache_data(ttl=data.READ_TTL, show_spinner=False)
def report(key: str, name: str, metric: str) -> dict:
    return data.service().experiment_report(name, metric=metric).to_dict()


def rates_frame(report: dict) -> pd.DataFrame:
    """One row per variant: its rate and interval, in percent."""
    rows = [
        {
            "variant": v["variant"],
            "members": v["members"],
            "picks shown": v["shown"],
            "outcomes": v["outcomes"],
            "rate %": round(100 * v["rate"], 2),
            "low %": round(100 * v["ci95"][0], 2),
            "high %": round(100 * v["ci95"][1], 2),
        }
        for v in report["variants"]
    ]
    return pd.DataFrame(rows)


def rates_chart(frame: pd.DataFrame, metric: str) -> alt.LayerChart:
    """Each variant's rate (a point) and its 95 % interval (a bar), the control first."""
    order = frame["variant"].tolist()
    y = alt.Y("variant:N", sort=order, title=None)
    bars = (
        alt.Chart(frame)
        .mark_rule(strokeWidth=3)
        .encode(y=y, x=alt.X("low %:Q", title=f"{metric} rate, % of picks shown (95% interval)"), x2="high %:Q")
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=120)
        .encode(y=y, x="rate %:Q", tooltip=list(frame.columns), color=alt.Color("variant:N", sort=order, legend=None))
    )
    return bars + points


key = ui.connect()
st.title("A/B tests")
found = experiments(key)
if not found:
    ui.empty_state("No A/B tests yet.", "Start one with `cinesync ab create NAME A B:blend_weight=0.8`.")
    st.stop()

names = [e["name"] for e in found]
left, right = st.columns([3, 1])
name = left.selectbox(
    "Experiment",
    names,
    key="ab_experiment",
    format_func=lambda n: f"{n} ({next(e['status'] for e in found if e['name'] == n)})",
)
metric = right.radio(
    "Outcome",
    ["liked", "acted"],
    key="ab_metric",
    help="liked: rated 4+ stars, loved or liked; acted: any rating or feedback",
)
chosen = next(e for e in found if e["name"] == name)
variants = "; ".join(
    f"**{v['name']}** {', '.join(f'{k}={x:g}' for k, x in v['settings'].items()) or '(no change)'}"
    for v in chosen["variants"]
)
st.markdown(
    f"{variants}  \n{chosen['exposures']} exposures to {chosen['members']} members, since {chosen['created_at'][:16]}"
    + (f", stopped {chosen['stopped_at'][:16]}" if chosen["stopped_at"] else ", running")
)

result = report(key, name, metric)
frame = rates_frame(result)
if frame["picks shown"].sum() == 0:
    st.info("Nothing shown to a member of this experiment yet.", icon=":material/hourglass_empty:")
    st.stop()
ui.chart(rates_chart(frame, metric), key="ab_rates")
st.dataframe(frame, hide_index=True, key="ab_table")
for comparison in result["comparisons"]:
    if not comparison["decided"]:
        st.info(comparison["verdict"], icon=":material/balance:")
    elif comparison["difference"] > 0:
        st.success(comparison["verdict"], icon=":material/trending_up:")
    else:
        st.warning(comparison["verdict"], icon=":material/trending_down:")
st.caption(
    "Rates per distinct pick shown; intervals are Wilson's on the effective number of picks (a member's "
    "picks are alike), the difference Newcombe's. See docs/experiments.md."
)
