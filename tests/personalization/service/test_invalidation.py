"""Invalidation notes: one typed value, one wire format (parsed and written in one place)."""

import pytest

from personalization.service.invalidation import Invalidation


@pytest.mark.parametrize(
    "note",
    [
        Invalidation.user(42, "123-456"),
        Invalidation("bulk", None, "123-456"),
        Invalidation("catalogue", None, "9-9"),
        Invalidation("reset"),
    ],
)
def test_notes_round_trip(note):
    assert Invalidation.parse(note.format()) == note


def test_wire_format_is_what_other_processes_send():
    assert Invalidation.user(42, "1-2").format() == "user:42:1-2"
    assert Invalidation.parse("bulk:1-2") == Invalidation("bulk", None, "1-2")
    assert Invalidation.parse("reset") == Invalidation("reset")  # the listener's, after a reconnect


@pytest.mark.parametrize("payload", ["", "nonsense", "user:abc:1-2", "user"])
def test_an_unreadable_note_drops_everything(payload):
    note = Invalidation.parse(payload)
    assert note.drops_everything and not note.is_from("1-2")


def test_own_notes_are_recognised():
    assert Invalidation.parse("user:7:1-2").is_from("1-2")
    assert not Invalidation.parse("user:7:3-4").is_from("1-2")
