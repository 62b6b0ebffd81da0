"""A light client of the ted predictor: the gRPC client, a Rasa tracker reader, ``ted predict``.

Needs only grpc, protobuf, the generated ``ted.v1`` code and the event dataclasses of
ted-data-adapter (numpy + pyyaml); never TensorFlow, Keras or Ray. The names below are
imported on first use, so ``import ted_client`` stays cheap (grpc loads with the client).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ted_client.version import __version__

if TYPE_CHECKING:
    from ted_client.client import (
        ModelInfo,
        ModelRef,
        PredictionResult,
        PredictorClient,
        VersionStatusInfo,
    )
    from ted_client.convert import conversation_to_proto, event_to_proto, python_to_value
    from ted_client.errors import (
        ClientError,
        InvalidEventsError,
        InvalidModelRefError,
        PredictorClientError,
    )
    from ted_client.rasa_tracker import events_from_json, load_events_file
    from ted_client.security import ChannelSecurity, SecurityConfigError, ServerSecurity

# public name -> the module defining it
_EXPORTS: dict[str, str] = {
    "ModelInfo": "ted_client.client",
    "ModelRef": "ted_client.client",
    "PredictionResult": "ted_client.client",
    "PredictorClient": "ted_client.client",
    "VersionStatusInfo": "ted_client.client",
    "conversation_to_proto": "ted_client.convert",
    "event_to_proto": "ted_client.convert",
    "python_to_value": "ted_client.convert",
    "ClientError": "ted_client.errors",
    "InvalidEventsError": "ted_client.errors",
    "InvalidModelRefError": "ted_client.errors",
    "PredictorClientError": "ted_client.errors",
    "events_from_json": "ted_client.rasa_tracker",
    "load_events_file": "ted_client.rasa_tracker",
    "ChannelSecurity": "ted_client.security",
    "SecurityConfigError": "ted_client.security",
    "ServerSecurity": "ted_client.security",
}

__all__ = [
    "ChannelSecurity",
    "ClientError",
    "InvalidEventsError",
    "InvalidModelRefError",
    "ModelInfo",
    "ModelRef",
    "PredictionResult",
    "PredictorClient",
    "PredictorClientError",
    "SecurityConfigError",
    "ServerSecurity",
    "VersionStatusInfo",
    "__version__",
    "conversation_to_proto",
    "event_to_proto",
    "events_from_json",
    "load_events_file",
    "python_to_value",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ted_client' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
