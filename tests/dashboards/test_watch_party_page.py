"""Watch-party page: the service's group list, with every member's predicted stars."""

from __future__ import annotations

import pytest

from personalization.config import Settings
from personalization.service import Service


@pytest.fixture
def svc(demo_db_url, tmp_path):
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        yield svc


def test_watch_party_page_shows_the_group_list(demo_app, svc):
    at = demo_app("watch_party")
    members = at.multiselect(key="party_members").value
    assert len(members) == 2
    table = next(d.value for d in at.dataframe)
    picks = svc.group_recommend(members, 10)
    assert table["film"].tolist() == [p.film.label for p in picks.items]
    member_columns = [c for c in table.columns if c not in ("rank", "film", "genres", "group")]
    assert len(member_columns) == 2 and (table[member_columns].min(axis=1) >= 2.0).all()  # least misery

    at.radio(key="party_strategy").set_value("approval").run()
    at.selectbox(key="party_mood").set_value("funny").run()
    table = next(d.value for d in at.dataframe)
    picks = svc.group_recommend(members, 10, strategy="approval", mood="funny")
    assert table["film"].tolist() == [p.film.label for p in picks.items]
    assert table["group"].tolist() == [p.score for p in picks.items]

    at.multiselect(key="party_members").set_value(members[:1]).run()
    assert any("at least two members" in i.value for i in at.info)


def test_watch_party_page_on_an_empty_database(empty_app):
    at = empty_app("watch_party")
    assert any("at least two users" in i.value for i in at.info)
