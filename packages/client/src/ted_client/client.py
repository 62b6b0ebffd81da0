"""A small typed client for PredictorService.

    with PredictorClient("127.0.0.1:50051") as client:
        result = client.predict("moodbot", events, top_k=3)
        print(result.version, result.ranking[0])

Failed calls raise :class:`ted_client.errors.PredictorClientError` with the status code name
and details. Only grpc and the generated ``ted.v1`` code are needed, no model code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc

from ted_client.convert import conversation_to_proto
from ted_client.errors import InvalidModelRefError, PredictorClientError
from ted_client.security import ChannelSecurity
from ted_data_adapter.events import Event
from ted_protos.ted.v1 import predictor_pb2, predictor_pb2_grpc

T = TypeVar("T")

_STATE_NAMES = {
    predictor_pb2.MODEL_VERSION_STATE_LOADING: "loading",
    predictor_pb2.MODEL_VERSION_STATE_AVAILABLE: "available",
    predictor_pb2.MODEL_VERSION_STATE_UNLOADED: "unloaded",
    predictor_pb2.MODEL_VERSION_STATE_FAILED: "failed",
}


@dataclass(frozen=True)
class ModelRef:
    """``NAME``, ``NAME@VERSION`` or ``NAME@ALIAS`` as a model spec."""

    name: str
    version: int | None = None
    alias: str | None = None

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        name, sep, ref = text.partition("@")
        if not name or (sep and not ref):
            raise InvalidModelRefError(text)
        if not sep:
            return cls(name)
        if ref.isdigit():
            return cls(name, version=int(ref))
        return cls(name, alias=ref)

    def to_proto(self) -> predictor_pb2.ModelSpec:
        spec = predictor_pb2.ModelSpec(name=self.name)
        if self.version is not None:
            spec.version = self.version
        elif self.alias is not None:
            spec.alias = self.alias
        return spec

    def __str__(self) -> str:
        ref = self.version if self.version is not None else self.alias
        return self.name if ref is None else f"{self.name}@{ref}"


@dataclass(frozen=True)
class PredictionResult:
    """The next action (``ranking[0]``), the policy that chose it, and TED's own ranking."""

    model: str
    version: int
    ranking: list[tuple[str, float]]  # the chosen action first
    policy_name: str = ""
    ted_ranking: list[tuple[str, float]] = field(default_factory=list)

    @property
    def action(self) -> str:
        return self.ranking[0][0]

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "policy_name": self.policy_name,
            "ranking": [{"action": a, "confidence": c} for a, c in self.ranking],
            "ted_ranking": [{"action": a, "confidence": c} for a, c in self.ted_ranking],
        }


@dataclass(frozen=True)
class VersionStatusInfo:
    name: str
    version: int
    state: str
    aliases: tuple[str, ...]
    load_seconds: float
    error: str


@dataclass(frozen=True)
class ModelInfo:
    name: str
    serving_versions: tuple[int, ...]
    latest_version: int
    aliases: dict[str, int]


def _ranking(scores: Sequence[predictor_pb2.ActionScore]) -> list[tuple[str, float]]:
    return [(s.action, float(s.confidence)) for s in scores]


def _as_ref(model: str | ModelRef) -> ModelRef:
    return model if isinstance(model, ModelRef) else ModelRef.parse(model)


class PredictorClient:
    """Blocking client over one channel; ``timeout`` is the deadline of every call."""

    def __init__(
        self,
        address: str,
        *,
        timeout: float = 10.0,
        channel: grpc.Channel | None = None,
        security: ChannelSecurity | None = None,
    ) -> None:
        """``security`` gives TLS and a token (:mod:`ted_client.security`); ``channel``, a
        channel the caller made and closes itself."""
        self.address = address
        self.timeout = timeout
        self._own_channel = channel is None
        if channel is None:
            channel = (security or ChannelSecurity()).open_channel(address)
        self._channel = channel
        self._stub = predictor_pb2_grpc.PredictorServiceStub(self._channel)

    def __enter__(self) -> PredictorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_channel:
            self._channel.close()

    def wait_ready(self, timeout: float) -> None:
        """Block until the channel is connected (the server is up)."""
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError as e:
            raise PredictorClientError("UNAVAILABLE", f"no server at {self.address}") from e

    def _call(self, method: Callable[..., T], request: Any, timeout: float | None) -> T:
        try:
            return method(request, timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as e:
            code = e.code() if hasattr(e, "code") else grpc.StatusCode.UNKNOWN
            details = e.details() if hasattr(e, "details") else str(e)
            raise PredictorClientError(code.name, details or "") from e

    def predict(
        self,
        model: str | ModelRef,
        events: Sequence[Event],
        *,
        top_k: int = 0,
        timeout: float | None = None,
    ) -> PredictionResult:
        """Ranked next actions for one conversation (``model`` like ``bot@3`` or ``bot@best``)."""
        request = predictor_pb2.PredictRequest(
            model_spec=_as_ref(model).to_proto(),
            conversation=conversation_to_proto(events),
            top_k=top_k,
        )
        response = self._call(self._stub.Predict, request, timeout)
        return PredictionResult(
            response.model.name,
            response.model.version,
            _ranking(response.ranking),
            response.policy_name,
            _ranking(response.ted_ranking),
        )

    def predict_batch(
        self,
        model: str | ModelRef,
        conversations: Sequence[Sequence[Event]],
        *,
        top_k: int = 0,
        timeout: float | None = None,
    ) -> list[PredictionResult]:
        request = predictor_pb2.PredictBatchRequest(
            model_spec=_as_ref(model).to_proto(),
            conversations=[conversation_to_proto(c) for c in conversations],
            top_k=top_k,
        )
        response = self._call(self._stub.PredictBatch, request, timeout)
        return [
            PredictionResult(
                response.model.name,
                response.model.version,
                _ranking(r.actions),
                r.policy_name,
                _ranking(r.ted_ranking),
            )
            for r in response.rankings
        ]

    def model_status(
        self, model: str | ModelRef | None = None, *, timeout: float | None = None
    ) -> list[VersionStatusInfo]:
        spec = _as_ref(model).to_proto() if model is not None else predictor_pb2.ModelSpec()
        request = predictor_pb2.GetModelStatusRequest(model_spec=spec)
        response = self._call(self._stub.GetModelStatus, request, timeout)
        return [
            VersionStatusInfo(
                v.name,
                v.version,
                _STATE_NAMES.get(v.state, "unknown"),
                tuple(v.aliases),
                v.load_seconds,
                v.error,
            )
            for v in response.versions
        ]

    def list_models(self, *, timeout: float | None = None) -> list[ModelInfo]:
        response = self._call(self._stub.ListModels, predictor_pb2.ListModelsRequest(), timeout)
        return [
            ModelInfo(m.name, tuple(m.serving_versions), m.latest_version, dict(m.aliases))
            for m in response.models
        ]
