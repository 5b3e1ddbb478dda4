"""A file import's binary COPY and its two writer threads: rows stored exactly as read, and a
chunk that fails rolls back whole while the others finish whole."""

from __future__ import annotations

import psycopg
import pytest


def _file(tmp_path, n_users=30, per_user=9):
    rows = [
        (u, 1 + (u * 7 + k) % 12, 0.5 + (u + k) % 10 / 2, 1_000_000 + u * 1000 + k * 37.125)
        for u in range(1, n_users + 1)
        for k in range(per_user)
    ]
    path = tmp_path / "ratings.csv"
    path.write_text("userId,movieId,rating,timestamp\n" + "".join(f"{u},{f},{s},{t}\n" for u, f, s, t in rows[::-1]))
    return path, rows


def _stored(db_url):
    with psycopg.connect(db_url) as conn:
        ratings = conn.execute(
            "SELECT user_id, movie_id, stars::float8, extract(epoch FROM rated_at)::float8 FROM ratings ORDER BY 1, 4"
        ).fetchall()
        counts = dict(conn.execute("SELECT user_id, n_ratings FROM user_embeddings").fetchall())
    return ratings, counts


@pytest.fixture
def small_parts(monkeypatch):
    from personalization.service import ingest
    from personalization.storage import bulk

    monkeypatch.setattr(bulk.BinaryCopy, "ROWS_PER_WRITE", 5)  # each COPY in many writes
    monkeypatch.setattr(ingest, "CHUNK", 20)  # about a dozen chunks, two at a time
    monkeypatch.setattr(ingest, "WRITERS", 2)


def test_a_file_import_stores_every_row_as_read(service, small_catalogue, tmp_path, db_url, small_parts):
    path, rows = _file(tmp_path)
    read, result = service.import_ratings(path)
    assert read == len(rows) and result.applied == len(rows)
    ratings, counts = _stored(db_url)
    # one rating per (user, film) is kept: the newest of the file's
    latest = {}
    for u, f, s, t in rows:
        latest[(u, f)] = (s, t)
    assert ratings == sorted(((u, f, s, t) for (u, f), (s, t) in latest.items()), key=lambda r: (r[0], r[3]))
    assert counts == {u: sum(1 for (v, _) in latest if v == u) for u in range(1, 31)}


def test_a_chunk_that_fails_rolls_back_whole_and_the_others_finish_whole(
    service, small_catalogue, tmp_path, db_url, small_parts, monkeypatch
):
    from personalization.service import ingest

    real = ingest.insert_ratings

    def failing(session, new, replaced):
        real(session, new, replaced)  # written, then the chunk fails before its commit
        if 17 in new.users.tolist():
            raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "insert_ratings", failing)
    path, rows = _file(tmp_path)
    with pytest.raises(RuntimeError, match="disk full"):
        service.import_ratings(path)
    ratings, counts = _stored(db_url)
    per_user = {}
    for u, *_ in ratings:
        per_user[u] = per_user.get(u, 0) + 1
    assert 17 not in per_user and 17 not in counts  # its whole chunk (and its user rows) rolled back
    assert per_user and per_user == {u: n for u, n in counts.items() if n}  # the others: all or nothing
    assert set(per_user.values()) == {len({f for v, f, _, _ in rows if v == 1})}

    monkeypatch.setattr(ingest, "insert_ratings", real)
    read, result = service.import_ratings(path)  # run again: completes, nothing twice
    ratings, counts = _stored(db_url)
    assert len(ratings) == sum(counts.values()) == result.applied + result.unchanged
