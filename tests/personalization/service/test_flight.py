"""SingleFlight: callers during a load share its outcome (value or error); nothing is
remembered after it ends."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from personalization.service.flight import SingleFlight


def leader_and_waiter(leader_load: Callable[[], str]) -> tuple[list[object], list[int]]:
    """A leader whose load blocks until a waiter has joined; both outcomes, and how many times
    the waiter's own load ran."""
    gate, entered = threading.Event(), threading.Event()
    flight: SingleFlight[str] = SingleFlight()
    outcomes: list[object] = []
    waiter_loads: list[int] = []

    def blocking() -> str:
        entered.set()
        gate.wait(5)
        return leader_load()

    def waiter_load() -> str:
        waiter_loads.append(1)
        return "waiter"

    def call(load: Callable[[], str]) -> None:
        try:
            outcomes.append(flight.run(load))
        except Exception as exc:
            outcomes.append(exc)

    leader = threading.Thread(target=call, args=(blocking,))
    leader.start()
    assert entered.wait(5)
    waiter = threading.Thread(target=call, args=(waiter_load,))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive(), "the second call did not wait for the load in flight"
    gate.set()
    leader.join(5)
    waiter.join(5)
    assert flight.run(lambda: "later") == "later"  # the flight ended: the next call loads again
    return outcomes, waiter_loads


def test_a_call_made_during_a_load_gets_its_value_without_loading():
    outcomes, waiter_loads = leader_and_waiter(lambda: "leader")
    assert outcomes == ["leader", "leader"] and waiter_loads == []


def test_a_failed_load_fails_every_call_that_waited_for_it_and_is_not_remembered():
    def fail() -> str:
        raise ConnectionError("database down")

    outcomes, waiter_loads = leader_and_waiter(fail)
    assert len(outcomes) == 2 and all(isinstance(o, ConnectionError) for o in outcomes)
    assert waiter_loads == []


def test_a_lone_call_gets_its_own_error():
    flight: SingleFlight[int] = SingleFlight()
    with pytest.raises(ValueError):
        flight.run(lambda: int("x"))
