"""Overview page: the figures shown are the database's own counts."""

import psycopg
import pyarrow as pa


def rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def count(url: str, sql: str) -> int:
    return rows(url, sql)[0][0]


def metric(at, label_start: str) -> int:
    value = next(m for m in at.metric if m.label.startswith(label_start)).value
    return int(value.replace(",", ""))


def chart_data(chart):
    """The rows a rendered Vega-Lite chart draws (Streamlit ships them as Arrow)."""
    return pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_pandas()


def test_overview_shows_the_database_counts(demo_app, demo_db_url):
    at = demo_app()
    assert at.title[0].value == "Overview"
    assert metric(at, "Ratings") == count(demo_db_url, "SELECT count(*) FROM ratings")
    assert metric(at, "Users") == count(demo_db_url, "SELECT count(*) FROM users")
    assert metric(at, "Films") == count(demo_db_url, "SELECT count(*) FROM movies")
    assert metric(at, "Personalised") == count(demo_db_url, "SELECT count(*) FROM user_embeddings WHERE n_ratings >= 5")
    activity, stars, genres = at.get("vega_lite_chart")
    ratings = count(demo_db_url, "SELECT count(*) FROM ratings")
    assert chart_data(activity).query("kind == 'rating'")["count"].sum() == ratings
    drawn = chart_data(stars)
    assert drawn["ratings"].sum() == ratings
    assert drawn.set_index("stars")["ratings"].to_dict() == {
        float(s): n for s, n in rows(demo_db_url, "SELECT stars, count(*) FROM ratings GROUP BY stars")
    }
    loved = chart_data(genres)
    top = rows(
        demo_db_url,
        "SELECT g, count(*) FROM ratings r JOIN movies m ON m.id = r.movie_id, "
        "unnest(m.genres) g WHERE r.stars >= 4 GROUP BY g ORDER BY 2 DESC, g LIMIT 1",
    )[0]
    assert (loved["genre"].iloc[0], loved["loved"].iloc[0]) == top


def test_overview_on_an_empty_database_says_so(empty_app):
    at = empty_app()
    assert metric(at, "Ratings") == 0
    assert any("No ratings" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")
