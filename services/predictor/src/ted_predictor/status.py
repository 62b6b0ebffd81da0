"""The one place where exceptions become gRPC status codes, plus per-RPC metrics and logs.

Bad input is never INTERNAL: request validation errors and the data adapter's unknown-name
errors are INVALID_ARGUMENT with the field path; unknown models NOT_FOUND; models not yet
loaded UNAVAILABLE. Only a real bug (an unexpected exception) is INTERNAL, and it is logged
with its traceback.
"""

from __future__ import annotations

import functools
import logging
import time
from asyncio import CancelledError as LoopCancelledError
from collections.abc import Awaitable, Callable
from concurrent.futures import CancelledError
from typing import Any, TypeVar

import grpc
from google.protobuf.message import DecodeError, Message

from ted_data_adapter.errors import DataError, UnknownSymbolError
from ted_predictor.errors import (
    InvalidRequestError,
    ModelLoadError,
    ModelNotFoundError,
    ModelUnavailableError,
    RequestDeadlineError,
    clip,
    echo,
)
from ted_predictor.metrics import PredictorMetrics

logger = logging.getLogger(__name__)

# The longest details string sent: the message travels percent-encoded in trailing metadata,
# which clients cap at 8 KB, and one non-ASCII character can take 12 bytes there.
DETAILS_LIMIT = 500

Request = TypeVar("Request")
Response = TypeVar("Response")


class ConversationError(Exception):
    """An error about one conversation of a request, located by ``prefix``."""

    def __init__(self, prefix: str, error: BaseException) -> None:
        super().__init__(f"{prefix}: {error}")
        self.prefix = prefix
        self.error = error


# the data adapter's field names -> the field of the ted.v1.Event message
_EVENT_FIELDS = {
    "intent": "user.intent",
    "entity": "user.entities",
    "action": "action.name",
    "slot": "slot.name",
    "active_loop": "active_loop.name",
    "event type": "kind",
}


def _unknown_symbol_field(error: UnknownSymbolError, prefix: str) -> str:
    field = _EVENT_FIELDS.get(error.field, error.field)
    return f"{prefix}.events[{error.event_index}].{field}"


def status_for(
    error: BaseException, *, events_prefix: str = "conversation"
) -> tuple[grpc.StatusCode, str]:
    """Status code and message for ``error``; ``events_prefix`` locates the conversation.

    The message is clipped to :data:`DETAILS_LIMIT` characters (and a marker), whatever it
    echoes.
    """
    code, message = _status_for(error, events_prefix)
    return code, clip(message, DETAILS_LIMIT)


def _status_for(error: BaseException, events_prefix: str) -> tuple[grpc.StatusCode, str]:
    if isinstance(error, ConversationError):
        return _status_for(error.error, error.prefix)
    if isinstance(error, InvalidRequestError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    if isinstance(error, UnknownSymbolError):
        field = _unknown_symbol_field(error, events_prefix)
        return (
            grpc.StatusCode.INVALID_ARGUMENT,
            f"{field}: unknown {error.field} {echo(error.value)}",
        )
    if isinstance(error, DataError):
        return grpc.StatusCode.INVALID_ARGUMENT, f"{events_prefix}: {error}"
    if isinstance(error, ModelNotFoundError):
        return grpc.StatusCode.NOT_FOUND, str(error)
    if isinstance(error, (ModelUnavailableError, ModelLoadError)):
        return grpc.StatusCode.UNAVAILABLE, str(error)
    if isinstance(error, RequestDeadlineError):
        return grpc.StatusCode.DEADLINE_EXCEEDED, str(error) or "deadline exceeded"
    if isinstance(error, (CancelledError, LoopCancelledError)):
        return grpc.StatusCode.CANCELLED, "request cancelled"
    return grpc.StatusCode.INTERNAL, "internal error (logged by the server)"


Handler = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]


def parse_request(request: Any, request_type: type[Message]) -> Any:
    """The request message; raw bytes (see ``generic_handler``) are parsed here, so a
    corrupt message is INVALID_ARGUMENT instead of grpc's INTERNAL."""
    if not isinstance(request, bytes):
        return request
    try:
        return request_type.FromString(request)
    except DecodeError as e:
        name = request_type.DESCRIPTOR.full_name
        raise InvalidRequestError("request", f"not a valid {name} message ({e})") from e


def rpc_method(method: str, request_type: type[Message]) -> Callable[[Handler], Handler]:
    """Decorate a servicer method: parse, map errors to statuses, count and time every call.

    The servicer provides its :class:`PredictorMetrics` as ``self.metrics``.
    """

    def decorate(func: Handler) -> Handler:
        @functools.wraps(func)
        async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
            metrics: PredictorMetrics = self.metrics
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            message = ""
            try:
                return await func(self, parse_request(request, request_type), context)
            except LoopCancelledError:  # gRPC cancelled the call: the client gave up
                code = grpc.StatusCode.CANCELLED
                raise
            except Exception as e:
                code, message = status_for(e)
                if code is grpc.StatusCode.INTERNAL:
                    logger.exception("unexpected error in %s", method)
                else:
                    logger.debug("%s refused: %s %s", method, code.name, message)
            finally:
                metrics.observe_rpc(method, code.name, time.perf_counter() - started)
            await context.abort(code, message)  # raises; outside the try: not caught above

        return wrapper

    return decorate
