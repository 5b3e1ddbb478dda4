"""Overview page: the figures shown are the database's own counts."""

import psycopg


def count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def metric(at, label_start: str) -> int:
    value = next(m for m in at.metric if m.label.startswith(label_start)).value
    return int(value.replace(",", ""))


def test_overview_shows_the_database_counts(demo_app, demo_db_url):
    at = demo_app()
    assert at.title[0].value == "Overview"
    assert metric(at, "Ratings") == count(demo_db_url, "SELECT count(*) FROM ratings")
    assert metric(at, "Users") == count(demo_db_url, "SELECT count(*) FROM users")
    assert metric(at, "Films") == count(demo_db_url, "SELECT count(*) FROM movies")
    assert metric(at, "Personalised") == count(
        demo_db_url, "SELECT count(*) FROM user_embeddings WHERE n_ratings >= 5")
    specs = {c.proto.spec for c in at.get("vega_lite_chart")}
    assert len(specs) == 3  # activity, star distribution, genres


def test_overview_on_an_empty_database_says_so(empty_app):
    at = empty_app()
    assert metric(at, "Ratings") == 0
    assert any("No ratings" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")
