"""The HTTP API: ``create_app(service, settings)`` builds a FastAPI app over one ``Service``.

Routes are thin: check the key, let FastAPI validate the input, call one service verb, return its
result as JSON (the same shapes as the CLI's ``--json``). Handlers are plain functions, so FastAPI
runs them in its worker threads and the service's blocking database calls never block the loop.
Nothing is written unless the key, the input and the engine's own checks all passed first.
"""

import logging
import time
from typing import Annotated, Any

import psycopg
from fastapi import Body, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from personalization import observability
from personalization.api import views
from personalization.api.access import WRITE, ApiSettings
from personalization.api.errors import ApiError
from personalization.api.explain import add_explain_route
from personalization.api.groups import add_groups_route
from personalization.api.history import add_history_route
from personalization.api.onboarding import add_onboarding_route
from personalization.api.schemas import MAX_BATCH, BatchBody, FeedbackBody, RatingBody, check_batch_rows, check_text
from personalization.errors import (
    CineSyncError,
    ImportFormatError,
    InvalidFeedback,
    InvalidRating,
    StorageError,
    UnknownFilm,
    UnknownRating,
    UnknownUser,
)
from personalization.storage.ops import ping
from personalization.storage.retry import is_stale_prepared_statement

__all__ = ["create_app", "ApiError"]

log = logging.getLogger("cinesync.api")

MAX_USER_ID = 2**63 - 1
MAX_FILM_ID = 2**31 - 1
HEALTH_TIMEOUT = 2.0  # seconds /healthz waits for a pooled connection before answering 503
UserId = Annotated[int, Path(ge=0, le=MAX_USER_ID, description="The engine's user id (a Discord snowflake fits).")]
FilmId = Annotated[
    int,
    Path(ge=0, le=MAX_FILM_ID, description="The engine's film id (the number of its IMDb id, or a MovieLens movieId)."),
]

DESCRIPTION = """\
Online movie-taste learning over HTTP: rate films, send feedback, get explained recommendations.

Send `Authorization: Bearer <key>`: `CINESYNC_API_KEY` may read and write, `CINESYNC_API_READ_KEY`
may only read. Errors are JSON `{"error": code, "message": text}`; a refused request writes nothing.
"""


def _error(status: int, code: str, message: str, headers: dict | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status, headers=headers)


def _engine_status(exc: CineSyncError) -> tuple[int, str]:
    if isinstance(exc, UnknownFilm):
        return 404, "unknown_film"
    if isinstance(exc, UnknownUser):
        return 404, "unknown_user"
    if isinstance(exc, UnknownRating):
        return 404, "unknown_rating"
    if isinstance(exc, StorageError):
        return 503, "storage_error"
    if isinstance(exc, InvalidRating):
        return 422, "invalid_rating"
    if isinstance(exc, InvalidFeedback):
        return 422, "invalid_feedback"
    if isinstance(exc, ImportFormatError):
        return 422, "invalid_format"
    return 422, "invalid_input"


def _validation_message(errors) -> str:
    """One line a person can act on: where, what is wrong, what was sent."""
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",)) or "request"
        sent = err.get("input")
        if err.get("type") == "json_invalid":  # loc is ("body", <character position>)
            at = err.get("loc", ("", "?"))[-1]
            parts.append(f"the body is not valid JSON (at character {at}): send a JSON object")
            continue
        if isinstance(sent, bytes | bytearray):  # a body FastAPI did not parse: not sent as JSON
            parts.append(f"{where}: send the body as a JSON object with Content-Type: application/json")
            continue
        shown = "" if isinstance(sent, (dict, list)) or sent is None else f" (got {_short(repr(sent))})"
        parts.append(f"{where}: {err.get('msg', 'invalid')}{shown}")
    more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class _Metrics:
    """Request counts and latencies per route template, in this app's own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "cinesync_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "cinesync_http_request_duration_seconds",
            "Time to answer a request",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )


class _MetricsMiddleware:
    """Plain ASGI (no BaseHTTPMiddleware): adds a few microseconds, not a task per request."""

    def __init__(self, app, metrics: _Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], route, str(status[0])).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - start)


def create_app(service, settings: ApiSettings | None = None) -> FastAPI:
    """The API over ``service`` (a ``Service``; opened and closed by the caller). ``settings``
    defaults to ``ApiSettings.from_env()``, which refuses to build without CINESYNC_API_KEY."""
    settings = settings or ApiSettings.from_env()
    svc = service
    metrics = _Metrics()
    app = FastAPI(
        title="CineSync Personalization",
        version="1",
        description=DESCRIPTION,
        openapi_tags=[{"name": "users"}, {"name": "films"}, {"name": "ratings"}, {"name": "operations"}],
    )
    app.state.service, app.state.settings = svc, settings
    app.add_middleware(_MetricsMiddleware, metrics=metrics)
    bearer = HTTPBearer(auto_error=False, description="CINESYNC_API_KEY (read-write) or CINESYNC_API_READ_KEY")

    def scope_of(credentials: HTTPAuthorizationCredentials | None) -> str:
        scope = settings.scope_of(credentials.credentials if credentials else None)
        if scope is None:
            why = "no API key sent" if credentials is None else "wrong API key"
            raise ApiError(
                401,
                "unauthorized",
                f"{why}: send 'Authorization: Bearer <key>' with CINESYNC_API_KEY or CINESYNC_API_READ_KEY",
            )
        return scope

    def can_read(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
        return scope_of(credentials)

    def can_write(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
        scope = scope_of(credentials)
        if scope != WRITE:
            raise ApiError(403, "forbidden", "this key may only read: writes need CINESYNC_API_KEY")
        return scope

    Read = [Depends(can_read)]
    Write = [Depends(can_write)]

    # -- errors ----------------------------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _error(exc.status, exc.code, exc.message, headers, **exc.extra)

    @app.exception_handler(CineSyncError)
    async def engine_error(request: Request, exc: CineSyncError) -> JSONResponse:
        status, code = _engine_status(exc)
        return _error(status, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        detail = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in errors[:50]
        ]
        return _error(422, "invalid_request", _validation_message(errors), details=detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = (
            f"no route {request.method} {request.url.path}: see /docs"
            if exc.status_code in (404, 405)
            else str(exc.detail)
        )
        return _error(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(psycopg.OperationalError)  # also the pool's timeout and closed errors
    async def database_down(request: Request, exc: psycopg.OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return _error(503, "database_unavailable", "the database is not answering: try again shortly")

    @app.exception_handler(psycopg.errors.FeatureNotSupported)
    async def schema_changed(request: Request, exc: psycopg.errors.FeatureNotSupported) -> JSONResponse:
        if not is_stale_prepared_statement(exc):
            return await unexpected(request, exc)
        # a migration changed a column's type under this process: once per pooled connection
        log.warning("database schema changed under a prepared statement: %s", exc)
        return _error(503, "schema_changed", "the database schema was just upgraded: try again")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "internal_error", "unexpected error: the server log has the details")

    # -- users -------------------------------------------------------------------------------------
    @app.put(
        "/users/{user_id}/ratings/{film_id}",
        tags=["users"],
        dependencies=Write,
        summary="Rate a film (0.5-5 stars in half steps); re-rating replaces the earlier rating",
    )
    def put_rating(user_id: UserId, film_id: FilmId, body: RatingBody) -> dict:
        return views.result_dict(svc.rate(user_id, film_id, body.stars, at=body.at))

    @app.delete(
        "/users/{user_id}/ratings/{film_id}",
        tags=["users"],
        dependencies=Write,
        summary="Un-rate a film: remove the rating as if never given (404 if the user has not rated it)",
    )
    def delete_rating(user_id: UserId, film_id: FilmId) -> dict:
        return views.result_dict(svc.unrate(user_id, film_id))

    @app.post(
        "/users/{user_id}/feedback",
        tags=["users"],
        dependencies=Write,
        summary="Record love / like / dislike / hate / not_interested on a film",
    )
    def post_feedback(user_id: UserId, body: FeedbackBody) -> dict:
        return views.result_dict(svc.feedback(user_id, body.film_id, body.kind, context=body.context))

    @app.get(
        "/users/{user_id}/recommendations",
        tags=["users"],
        dependencies=Read,
        summary="Top-k films, each with its score parts and the reason it was picked",
    )
    def get_recommendations(
        user_id: UserId,
        k: Annotated[int, Query(ge=1, le=100, description="How many films (1-100).")] = 10,
        genre: Annotated[
            str | None, Query(min_length=1, max_length=100, description="Only films of this genre.")
        ] = None,
        decade: Annotated[
            int | None, Query(ge=1000, le=2999, description="Only films of this decade, e.g. 1990.")
        ] = None,
        mood: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=50,
                description="Only films in this mood, in the user's own order: uplifting, dark, thrilling, cozy, "
                "mind-bending, romantic, scary, funny, epic or thoughtful.",
            ),
        ] = None,
    ) -> dict:
        if genre is not None:
            check_text(genre, "genre")
        if mood is not None:
            check_text(mood, "mood")
        return views.result_dict(svc.recommend(user_id, k, genre=genre, decade=decade, mood=mood))

    @app.get(
        "/users/{user_id}/profile",
        tags=["users"],
        dependencies=Read,
        summary="The user's taste profile (404 for a user with nothing stored)",
    )
    def get_profile(user_id: UserId) -> dict:
        return views.result_dict(svc.profile(user_id))

    @app.get(
        "/users/{user_id}/data",
        tags=["users"],
        dependencies=Read,
        summary="Everything stored about the user: every row of every table holding their id (404 if none)",
    )
    def get_user_data(user_id: UserId) -> dict:
        return svc.user_data(user_id)  # the same document as `cinesync export-user`; UnknownUser: 404

    @app.delete(
        "/users/{user_id}",
        tags=["users"],
        dependencies=Write,
        summary="Forget the user: delete everything stored about them",
    )
    def delete_user(user_id: UserId) -> dict:
        return {"user_id": user_id, "deleted_rows": svc.forget(user_id)}

    # -- films -------------------------------------------------------------------------------------
    @app.get("/films", tags=["films"], dependencies=Read, summary="Search films by title")
    def search_films(
        query: Annotated[str, Query(max_length=200, description="Part of the title.")] = "",
        limit: Annotated[int, Query(ge=1, le=100)] = 25,
    ) -> dict:
        check_text(query, "query")
        return {"query": query, "items": [views.film_dict(f) for f in svc.search_films(query, limit)]}

    @app.get("/films/{film_id}", tags=["films"], dependencies=Read, summary="One film")
    def get_film(film_id: FilmId) -> dict:
        return views.film_dict(svc.film(film_id), metadata=True)

    @app.get(
        "/films/{film_id}/similar",
        tags=["films"],
        dependencies=Read,
        summary="Films whose content (genres, people, era) is closest to this one",
    )
    def get_similar(film_id: FilmId, k: Annotated[int, Query(ge=1, le=100)] = 10) -> dict:
        return views.similar_dict(film_id, svc.similar_films(film_id, k))

    # -- bulk --------------------------------------------------------------------------------------
    @app.post(
        "/ratings:batch",
        tags=["ratings"],
        dependencies=Write,
        summary=f"Apply up to {MAX_BATCH} dated ratings at once (all or nothing, idempotent)",
        responses={422: {"description": "Some rows are invalid: the report lists each one; nothing was written"}},
    )
    def post_batch(body: Annotated[BatchBody, Body()]) -> dict:
        events, errors = check_batch_rows(body.ratings, known_film=_known_film)
        if errors:
            raise ApiError(
                422,
                "invalid_rows",
                f"{len(errors)} of {len(body.ratings)} rows are invalid; "
                "nothing was written: fix them and send the batch again",
                rows=errors,
            )
        # One transaction for the whole batch: it is applied entirely or not at all.
        result = svc.rate_many(events, batch_size=max(1, len(events)))
        return {"received": len(events), **views.result_dict(result)}

    add_history_route(app, svc, Write)
    add_groups_route(app, svc, Read)
    add_explain_route(app, svc, Read)
    add_onboarding_route(app, svc, Read)

    def _known_film(film_id: int) -> bool:
        try:
            svc.film(film_id)
        except UnknownFilm:
            return False
        return True

    # -- operations --------------------------------------------------------------------------------
    @app.get("/healthz", tags=["operations"], summary="Liveness and database reachability (no key needed)")
    def healthz() -> JSONResponse:
        # A pooled SELECT 1 with its own short wait: a probe must answer within seconds, and
        # the request routes' wait (CINESYNC_POOL_TIMEOUT, 30 s) made it answer in 30 s while
        # the database was down. Pooled, so it says whether this process can serve requests.
        try:
            ping(svc.db.pool, timeout=HEALTH_TIMEOUT)
        except Exception as exc:  # any failure means: not healthy
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/status", tags=["operations"], dependencies=Read, summary="Row counts and model versions")
    def status() -> dict:
        return views.result_dict(svc.status())

    @app.get(
        "/metrics",
        tags=["operations"],
        dependencies=Read,
        response_class=Response,
        summary="Prometheus metrics (requests and latencies per route)",
    )
    def get_metrics() -> Response:
        # the routes' figures, then the engine's (events, verb latencies, caches, pool, model)
        return Response(generate_latest(metrics.registry) + observability.render(), media_type=CONTENT_TYPE_LATEST)

    return app
