"""The backends API's Sanic application: bearer-token auth, the Idempotency-Key
requirement, JSON errors, request logging and the routes (bot/backends/routes.py),
wired in one factory. Nothing happens at import."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Optional

from sanic import Sanic
from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge, SanicException
from sanic.handlers import ErrorHandler
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.backends import routes
from bot.backends.errors import ApiError
from bot.backends.service import Backend
from bot.backends.validation import check_idempotency_key
from bot.runtime import bearer_matches

logger = logging.getLogger(__name__)

OPENAPI_PATH = Path(__file__).parent / "openapi.yaml"
API_PREFIX = "/v1/"


def error_response(error: ApiError, headers: Optional[dict] = None) -> HTTPResponse:
    return routes.respond(error.body(), error.status, headers)


def as_api_error(request: Request, exception: BaseException) -> ApiError:
    if isinstance(exception, ApiError):
        return exception
    if isinstance(exception, NotFound):
        return ApiError(404, "not_found")
    if isinstance(exception, MethodNotSupported):
        return ApiError(405, "method_not_allowed")
    if isinstance(exception, PayloadTooLarge):
        return ApiError(413, "payload_too_large")
    status = getattr(exception, "status_code", 500)
    if isinstance(exception, SanicException) and status < 500:
        return ApiError(status, "invalid_request")
    logger.error("unhandled error on %s %s", request.method, request.path, exc_info=exception)
    return ApiError(500, "internal_error")


class JsonErrorHandler(ErrorHandler):
    """Every error leaves as {"error": {...}}; a traceback only ever reaches the log."""

    def default(self, request: Request, exception: BaseException) -> HTTPResponse:
        return error_response(as_api_error(request, exception))


async def authenticate(request: Request) -> Optional[HTTPResponse]:
    request.ctx.started = time.perf_counter()
    if not request.path.startswith(API_PREFIX):
        return None
    if not bearer_matches(request.headers.get("authorization"), request.app.ctx.token):
        return error_response(ApiError(401, "unauthorized"), {"WWW-Authenticate": "Bearer"})
    return None


async def require_idempotency_key(request: Request) -> None:
    if request.method == "POST" and request.path.startswith(API_PREFIX):
        request.ctx.idempotency_key = check_idempotency_key(request.headers.get("idempotency-key"))


async def log_request(request: Request, response: HTTPResponse) -> None:
    started = getattr(request.ctx, "started", None)
    elapsed = (time.perf_counter() - started) * 1000 if started else 0.0
    # The path only: query strings may carry members' identifiers.
    logger.info("%s %s %s %.1f ms", request.method, request.path, response.status, elapsed)


def create_app(backend: Backend, token: str, name: str = "hm_backends") -> Sanic:
    app = Sanic(name, error_handler=JsonErrorHandler(), configure_logging=False)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.backend = backend
    app.ctx.token = token
    app.ctx.openapi = OPENAPI_PATH.read_text(encoding="utf-8")
    app.register_middleware(authenticate, "request")
    app.register_middleware(require_idempotency_key, "request")
    app.register_middleware(log_request, "response")
    app.register_listener(lambda app, loop: backend.start(), "before_server_start")
    app.register_listener(lambda app, loop: backend.stop(), "after_server_stop")
    routes.register(app)
    return app
