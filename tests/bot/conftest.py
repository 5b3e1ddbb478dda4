"""Fixtures for the bot tests: the real service on a real PostgreSQL (``demo_service`` from
tests/conftest.py) wrapped in ``AsyncService`` as the bot uses it, the cogs around it, and a
runner for coroutines. The stand-in interactions live in ``discord_fakes``.
"""

from __future__ import annotations

import asyncio

import pytest

from personalization.service import AsyncService


@pytest.fixture
def asvc(demo_service) -> AsyncService:
    return AsyncService(demo_service)


@pytest.fixture
def run():
    """Run one coroutine to completion (pytest-asyncio is not a dependency)."""
    return lambda coro: asyncio.run(coro)


@pytest.fixture
def cogs(asvc):
    """The bot's cogs around the demo service, keyed by class name."""
    from bot.cogs import COGS

    return {cog.__name__: cog(asvc) for cog in COGS}
