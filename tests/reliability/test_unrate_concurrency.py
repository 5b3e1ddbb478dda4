"""Un-rating while other threads and another process rate, give feedback and un-rate the same
users: nothing fails but the expected "not rated", each user's counters equal their stored rows,
and each stored vector equals a rebuild from the stored signals."""

from __future__ import annotations

import random
import threading

from reliability_helpers import Acks, check_consistency, load_films

from personalization.errors import UnknownRating
from personalization.service import Service

USERS = [1, 2, 3]
FILMS = 12  # few films: un-rates often meet a rating, re-rates often replace one


def test_unrate_rate_and_feedback_at_once_on_the_same_users(db_url, settings):
    load_films(db_url, 30)
    errors: list[BaseException] = []
    done = {"unrated": 0, "not_rated": 0}
    lock = threading.Lock()

    def work(svc: Service, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(120):
            user, film = rng.choice(USERS), rng.randint(1, FILMS)
            try:
                roll = rng.random()
                if roll < 0.45:
                    svc.rate(user, film, rng.randint(1, 10) / 2)
                elif roll < 0.55:
                    svc.feedback(user, film, rng.choice(["love", "hate"]))
                else:
                    try:
                        svc.unrate(user, film)
                        with lock:
                            done["unrated"] += 1
                    except UnknownRating:
                        with lock:
                            done["not_rated"] += 1
            except BaseException as exc:
                errors.append(exc)
                return

    with Service.open(settings, url=db_url) as one, Service.open(settings, url=db_url) as other:
        threads = [threading.Thread(target=work, args=(svc, seed)) for seed, svc in enumerate([one, one, other, other])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not errors, errors[:3]
    assert done["unrated"] > 20 and done["not_rated"] > 0, done
    check_consistency(db_url, Acks())  # counters equal rows; vectors equal their rebuilds
