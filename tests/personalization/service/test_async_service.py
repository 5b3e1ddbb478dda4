"""``AsyncService`` is ``Service`` verb for verb: same parameters, awaitable, same results."""

import asyncio
import inspect

from personalization.service import AsyncService, Service

NOT_VERBS = {"open"}  # a constructor: AsyncService wraps an open Service


def public_methods(cls) -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_")
        and name not in NOT_VERBS
        and (inspect.isfunction(member) or inspect.ismethod(member))
    }


def test_every_public_service_method_has_an_async_twin_with_the_same_parameters():
    verbs = public_methods(Service)
    assert len(verbs) >= 30  # the whole API, not an accident of inspect
    for name, method in verbs.items():
        twin = getattr(AsyncService, name, None)
        assert twin is not None, f"AsyncService lacks {name}"
        assert inspect.iscoroutinefunction(twin), f"AsyncService.{name} is not async"
        ours, theirs = inspect.signature(method), inspect.signature(twin)
        assert list(ours.parameters.values()) == list(theirs.parameters.values()), name
        assert str(ours.return_annotation) == str(theirs.return_annotation), name
    assert set(public_methods(AsyncService)) == set(verbs)  # and nothing else


def test_async_twins_return_what_the_service_returns(demo_service):
    asvc = AsyncService(demo_service)
    user = demo_service.users("", 1)[0]["id"]

    async def calls():
        return (
            await asvc.recommend(user, 3),
            await asvc.users("", 2),
            await asvc.search_films("", 2),
            asvc.model_settings,
        )

    recs, users, films, settings = asyncio.run(calls())
    assert [r.film.id for r in recs.items] == [r.film.id for r in demo_service.recommend(user, 3).items]
    assert users == demo_service.users("", 2) and films == demo_service.search_films("", 2)
    assert settings is demo_service.model_settings
