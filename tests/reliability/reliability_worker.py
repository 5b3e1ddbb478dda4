"""A writer process for the reliability tests: rates, gives feedback, forgets and reads.

    python reliability_worker.py URL SEED EVENTS THREADS USERS FORGET_USERS N_FILMS [SLEEP]

USERS and FORGET_USERS are comma-separated ids (FORGET_USERS may be "-": none). Each of THREADS
threads does EVENTS operations on one shared ``Service``. Every acknowledged write (the verb
returned) is printed as one JSON line and flushed at once, so a parent that kills this process
knows exactly which events were acknowledged. Feedback carries a unique ``event`` id in its
context, so the parent can tell a stored event from a duplicate. Errors are printed as
``{"op": "error", ...}`` lines: a reliability test expects none.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import uuid
from pathlib import Path

from personalization.threads import configure_threads

configure_threads()

from personalization.config import Settings  # noqa: E402
from personalization.core.signals import FEEDBACK_KINDS  # noqa: E402
from personalization.service import Service  # noqa: E402

STARS = [x / 2 for x in range(1, 11)]
_out = threading.Lock()


def say(**line: object) -> None:
    text = json.dumps(line)
    with _out:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def work(svc: Service, rng: random.Random, events: int, users: list[int], forget_users: list[int], n_films: int,
         pause: float) -> None:  # fmt: skip
    everyone = users + forget_users
    for _ in range(events):
        user = rng.choice(everyone)
        film = rng.randint(1, n_films)
        roll = rng.random()
        try:
            if roll < 0.45:
                stars = rng.choice(STARS)
                say(op="send", user=user, film=film, stars=stars)  # may commit unacknowledged if killed
                result = svc.rate(user, film, stars)
                say(op="rate", user=user, film=film, stars=stars, n_ratings=result.n_ratings)
            elif roll < 0.8:
                kind = rng.choice(sorted(FEEDBACK_KINDS))
                event = uuid.uuid4().hex
                svc.feedback(user, film, kind, context={"event": event})
                say(op="feedback", user=user, film=film, kind=kind, event=event)
            elif roll < 0.83 and forget_users:
                victim = rng.choice(forget_users)
                svc.forget(victim)
                say(op="forget", user=victim)
            else:
                svc.recommend(user, 5)
                svc.history(user)
                say(op="read", user=user)
        except Exception as exc:  # the test fails on any of these
            say(op="error", error=f"{type(exc).__name__}: {exc}")
        if pause:
            time.sleep(pause)


def main(argv: list[str]) -> None:
    url, seed, events, threads = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    users = [int(u) for u in argv[4].split(",")]
    forget_users = [] if argv[5] == "-" else [int(u) for u in argv[5].split(",")]
    n_films = int(argv[6])
    pause = float(argv[7]) if len(argv) > 7 else 0.0
    settings = Settings(home=Path("/nonexistent"), pool_max=max(2, threads))
    with Service.open(settings, url=url, run_migrations=False) as svc:
        say(op="ready")
        pool = [
            threading.Thread(
                target=work, args=(svc, random.Random(seed * 100 + t), events, users, forget_users, n_films, pause)
            )
            for t in range(threads)
        ]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        say(op="done")


if __name__ == "__main__":
    main(sys.argv[1:])
