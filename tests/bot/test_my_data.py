"""``/my_data``: the member's whole stored data as a JSON file, sent privately."""

from __future__ import annotations

import gzip
import json

from discord_fakes import BOT_USER, FakeInteraction

from bot.cogs import my_data
from bot.cogs.my_data import MyData, data_file, summary_text


def test_my_data_sends_everything_stored_as_a_private_file(asvc, demo_service, run):
    demo_service.create_experiment("bot-data", ["a", "b:weight_popularity=2"])
    demo_service.recommend(5, 3)  # logs three exposures for member 5
    cog = MyData(asvc)
    i = FakeInteraction(5, name="bob")
    run(cog.my_data.callback(cog, i))
    what, kwargs = i.first
    assert what == "defer" and kwargs["ephemeral"] is True
    sent = i.last_sent
    assert sent["ephemeral"] is True and sent["file"].filename == "cinesync-data-5.json"
    data = json.loads(sent["file"].fp.read())
    assert data == json.loads(json.dumps(demo_service.user_data(5) | {"exported_at": data["exported_at"]}))
    rated, _ = demo_service.history(5)
    assert len(data["tables"]["ratings"]) == len(rated) and len(data["tables"]["experiment_exposures"]) == 3
    assert f"ratings {len(rated)}" in sent["content"] and "**bot-data**" in sent["content"]
    assert "/forget_me" in sent["content"]


def test_my_data_for_someone_unknown_says_nothing_is_stored(asvc, run):
    cog = MyData(asvc)
    i = FakeInteraction(BOT_USER)
    run(cog.my_data.callback(cog, i))
    assert i.last_sent["ephemeral"] is True and "file" not in i.last_sent
    assert "stores nothing about you" in i.last_sent["content"]


def test_a_large_export_is_compressed_to_fit(monkeypatch):
    data = {"user_id": 7, "tables": {"ratings": [{"movie_id": n, "stars": 4.0} for n in range(500)]}, "experiments": []}
    monkeypatch.setattr(my_data, "FILE_LIMIT", 1000)
    f = data_file(data)
    assert f.filename == "cinesync-data-7.json.gz" and json.loads(gzip.decompress(f.fp.read())) == data
    assert summary_text(data).startswith(
        "Everything CineSync stores about you is in this file (rows per table: ratings 500)"
    )
