"""A person's own data: ``user_data`` reads every table holding their id (exposures included),
and after ``forget`` no table holds it any more (checked against the database's own catalog)."""

from __future__ import annotations

import psycopg
import pytest

from personalization.errors import UnknownUser

# Every column of a base table that could hold a user id, found independently of the code under
# test: integer, bigint or array columns whose name mentions "user" or "member", and users.id.
USER_COLUMNS = """
SELECT table_name, column_name, data_type = 'ARRAY' FROM information_schema.columns
WHERE table_schema = current_schema()
  AND table_name IN (SELECT table_name FROM information_schema.tables
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
  AND ((column_name ~ '(user|member)' AND data_type IN ('integer', 'bigint', 'ARRAY'))
       OR (table_name = 'users' AND column_name = 'id'))"""


def rows_holding(url: str, user_id: int) -> dict[str, int]:
    out = {}
    with psycopg.connect(url) as conn:
        for table, column, is_array in conn.execute(USER_COLUMNS).fetchall():
            test = f'%s = ANY ("{column}")' if is_array else f'"{column}" = %s'
            out[f"{table}.{column}"] = conn.execute(
                f'SELECT count(*) FROM "{table}" WHERE {test}', (user_id,)
            ).fetchone()[0]
    return out


@pytest.fixture
def member(demo_service):
    """A demo user with ratings, feedback, a profile, a name and A/B exposures."""
    svc = demo_service
    user = next(u["id"] for u in svc.users(limit=10) if u["n_ratings"] >= 10)
    svc.set_user_name(user, "alice")
    svc.create_experiment("own-data", ["a", "b:weight_popularity=3"])
    picks = svc.recommend(user, 6)
    svc.feedback(user, picks.items[0].film.id, "love")
    svc.rate(user, picks.items[1].film.id, 4.5)
    svc.profile(user)
    return user


def test_user_data_holds_every_row_stored_about_them(demo_service, member, demo_db_url):
    data = demo_service.user_data(member)
    tables = data["tables"]
    assert data["user_id"] == member and data["complete"] is True
    assert {"users", "ratings", "feedback", "user_embeddings", "user_preferences", "experiment_exposures"} <= set(
        tables
    )
    rated, _ = demo_service.history(member)
    assert {r["movie_id"]: r["stars"] for r in tables["ratings"]} == rated
    assert tables["users"] == [{**tables["users"][0], "id": member, "name": "alice"}]
    assert [r["kind"] for r in tables["feedback"]] == ["love"]
    assert sorted(r["rank"] for r in tables["experiment_exposures"]) == [1, 2, 3, 4, 5, 6]
    assert len(tables["user_embeddings"][0]["embedding"]) == demo_service.model_settings.dim
    assert data["experiments"] and data["experiments"][0]["experiment"] == "own-data"
    # every table the catalog says holds their id is in the export, row for row
    counts = {k.split(".")[0]: n for k, n in rows_holding(demo_db_url, member).items() if n}
    assert {t: len(r) for t, r in tables.items()} == counts
    other = next(u["id"] for u in demo_service.users(limit=10) if u["id"] != member)
    assert all(r.get("user_id", r.get("id")) == member for rows in tables.values() for r in rows)
    assert demo_service.user_data(other)["user_id"] == other


def test_forget_leaves_no_table_holding_their_id(demo_service, member, demo_db_url):
    before = rows_holding(demo_db_url, member)
    assert before["experiment_exposures.user_id"] == 6 and before["users.id"] == 1
    deleted = demo_service.forget(member)
    assert deleted == sum(before.values())
    after = rows_holding(demo_db_url, member)
    assert set(after) == set(before) and not any(after.values()), {k: n for k, n in after.items() if n}
    with pytest.raises(UnknownUser):
        demo_service.user_data(member)
    assert (
        demo_service.experiment_report("own-data").variants[0].shown
        + demo_service.experiment_report("own-data").variants[1].shown
        == 0
    )
