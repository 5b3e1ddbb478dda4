"""Bad input, fuzzed with hypothesis: the learning core keeps its vectors finite and of unit
length, re-rating replaces and the rebuild equals the online path; the importers answer any
damaged file with a clear ImportFormatError; the service's arguments are refused with a clear
CineSyncError, and nothing is written when they are."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from personalization.core import signals
from personalization.core.user_model import UserModel
from personalization.data.importers import read_movielens
from personalization.errors import CineSyncError, ImportFormatError
from personalization.service.results import check_user_id

DIM = 32
STARS = st.sampled_from([x / 2 for x in range(1, 11)])
KINDS = st.sampled_from(list(signals.FEEDBACK_KINDS))
FAST = settings(max_examples=80, deadline=None)
DB = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- the learning core --------------------------------------------------------------------------
items = arrays(np.float32, DIM, elements=st.floats(-1e6, 1e6, allow_nan=False, width=32))
strengths = st.one_of(STARS.map(signals.stars_strength), KINDS.map(signals.feedback_strength))


@FAST
@given(st.lists(st.tuples(items, strengths), max_size=40))
def test_any_signal_sequence_keeps_the_vector_finite_and_of_unit_length(events):
    rule = UserModel(DIM, 0.1, 0.15)
    vector = rule.zero()
    for item, strength in events:
        vector = rule.step(vector, item, strength)
        assert vector.dtype == np.float32 and vector.shape == (DIM,)
        assert np.all(np.isfinite(vector))
        norm = float(np.linalg.norm(vector))
        assert norm == 0.0 or abs(norm - 1.0) < 1e-5  # zero only when nothing is known
    assert np.array_equal(rule.rebuild(events), vector)  # the rebuild is the online path


@FAST
@given(st.lists(st.tuples(items, strengths), max_size=10), items)
def test_a_non_finite_film_vector_changes_nothing(events, item):
    rule = UserModel(DIM, 0.1, 0.15)
    vector = rule.rebuild(events)
    bad = item.copy()
    bad[0] = np.nan
    assert np.array_equal(rule.step(vector, bad, 1.0), vector)


_user_ids = itertools.count(10_000)


@DB
@given(st.lists(st.tuples(st.integers(1, 12), STARS), min_size=1, max_size=25))
@example([(1, 3.0)])  # found by a clean CI run: one neutral rating leaves the vector at zero
@example([(1, 5.0), (1, 3.0)])
def test_re_rating_replaces_and_the_stored_vector_is_the_rebuild(service, small_catalogue, ratings):
    user = next(_user_ids)
    for film, stars in ratings:
        service.rate(user, film, stars)
    last = dict(ratings)  # the latest rating of each film wins
    rated, _ = service.history(user)
    assert rated == pytest.approx(last)
    vector, n_ratings = service.user_vector(user)
    assert n_ratings == len(last)
    service.vectors.clear()
    with service.repo.session() as session:
        rebuilt = service.engine.rebuilt_vector(session, user)
    assert np.allclose(vector, rebuilt, atol=2e-5)
    assert np.all(np.isfinite(vector))
    if all(stars == 3.0 for stars in last.values()):  # only neutral ratings: nothing is known yet
        assert not np.any(vector)
    else:
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


# -- service arguments --------------------------------------------------------------------------
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.text(max_size=30),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
)


def _rows(url: str) -> tuple[int, ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM ratings), (SELECT count(*) FROM feedback),"
            " (SELECT count(*) FROM user_embeddings)"
        ).fetchone()
    assert row is not None
    return tuple(row)


@DB
@given(user=junk, film=junk, stars=junk, kind=junk)
def test_bad_service_arguments_get_a_clear_error_and_write_nothing(service, small_catalogue, db_url, user, film,
                                                                    stars, kind):  # fmt: skip
    before = _rows(db_url)
    for call in (
        lambda: service.rate(user, film, stars),
        lambda: service.rate(1, film, stars),
        lambda: service.rate(user, 1, 4.0),
        lambda: service.feedback(user, film, kind),
        lambda: service.feedback(1, 1, kind),
        lambda: service.recommend(user, stars),
    ):
        try:
            call()
        except CineSyncError as exc:
            assert str(exc) and len(str(exc)) < 500
            continue
        # Accepted: then the arguments were valid ones (hypothesis found a real id and rating).
    if _rows(db_url) != before:  # something was written: then some call's arguments were all valid
        assert (
            accepted(check_user_id, user)
            or accepted(service.film, film)
            and (accepted(signals.check_stars, stars) or accepted(signals.check_kind, kind))
        ), (user, film, stars, kind)


def accepted(check, value) -> bool:
    try:
        check(value)
    except Exception:  # refused, whatever the way: not an accepted value
        return False
    return True


# -- importers ----------------------------------------------------------------------------------
MOVIES = "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n2,Heat (1995),Action|Crime\n"
RATINGS = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964982931\n2,1,5.0,964983000\n"


def damage(text: str, data: st.DataObject) -> bytes:
    how = data.draw(
        st.sampled_from(["truncate", "encoding", "bom", "crlf", "extra", "missing", "duplicate", "huge", "garbage"])
    )
    if how == "truncate":
        return text.encode()[: data.draw(st.integers(0, len(text) - 1))]
    if how == "encoding":
        return text.replace("Toy", "Tøy").encode(data.draw(st.sampled_from(["latin-1", "utf-16", "cp1252"])))
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if how == "crlf":
        return text.replace("\n", "\r\n").encode()
    if how == "extra":
        return "\n".join(line + ",extra" for line in text.splitlines()).encode() + b"\n"
    if how == "missing":
        return "\n".join(line.rsplit(",", 1)[0] for line in text.splitlines()).encode() + b"\n"
    if how == "duplicate":
        lines = text.splitlines()
        return "\n".join([*lines, lines[-1], lines[-1]]).encode() + b"\n"
    if how == "huge":
        return text.replace("Heat", "H" * data.draw(st.integers(10_000, 100_000))).encode()
    return text.encode() + data.draw(st.binary(min_size=1, max_size=50))


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_a_damaged_movielens_folder_is_read_or_refused_with_a_clear_error(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("ml")
    which = data.draw(st.sampled_from(["movies", "ratings", "both"]))
    (folder / "movies.csv").write_bytes(damage(MOVIES, data) if which != "ratings" else MOVIES.encode())
    (folder / "ratings.csv").write_bytes(damage(RATINGS, data) if which != "movies" else RATINGS.encode())
    try:
        loaded = read_movielens(folder)
    except ImportFormatError as exc:
        message = str(exc)
        assert message and len(message) < 1000, message[:200]  # says where, not the whole field
        return
    # Read (a BOM, CRLF or a repeated row is harmless): then it is well-formed, and stable.
    assert {f.id for f in loaded.films} <= {1, 2}
    assert all(0.5 <= s <= 5 and f in {1, 2} for _, f, s, _ in loaded.ratings)
    assert read_movielens(folder) == loaded


def test_an_import_with_a_bad_row_half_way_writes_nothing(db_url, tmp_path):
    folder = tmp_path / "ml"
    folder.mkdir()
    (folder / "movies.csv").write_text(MOVIES)
    good = "".join(f"{u},1,4.0,96498{u:04d}\n" for u in range(1, 500))
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + good + "7,1,eleven,964982703\n" + good)
    env = {**os.environ, "CINESYNC_DATABASE_URL": db_url, "CINESYNC_HOME": str(tmp_path / "home")}
    cinesync = str(Path(sys.executable).with_name("cinesync"))
    done = subprocess.run([cinesync, "import", "movielens", str(folder)], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "eleven" in done.stderr and "Traceback" not in done.stderr, done.stderr[-1000:]
    assert _rows(db_url)[1:] == (0, 0, 0)


def test_a_field_longer_than_the_csv_limit_is_refused_with_a_clear_error(tmp_path):
    (tmp_path / "movies.csv").write_text(MOVIES.replace("Heat", "H" * 200_000))
    (tmp_path / "ratings.csv").write_text(RATINGS)
    with pytest.raises(ImportFormatError):
        read_movielens(tmp_path)
