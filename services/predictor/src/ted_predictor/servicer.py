"""PredictorService: translate messages to domain events, ask the model manager, reply.

The methods are coroutines on the server's event loop (grpc.aio); model calls run on model
threads (the version's batcher, or a small pool for unbatched calls), so the loop only
parses, routes and answers. No status codes are chosen here: errors are raised and mapped in
:mod:`ted_predictor.status`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import Executor

import grpc
from google.protobuf.message import Message

from ted_data_adapter.errors import UnknownSymbolError
from ted_data_adapter.events import Event
from ted_predictor.batching import BatcherClosedError
from ted_predictor.config import PredictorConfig
from ted_predictor.convert import conversation_from_proto
from ted_predictor.errors import (
    InvalidRequestError,
    ModelNotFoundError,
    RequestDeadlineError,
    echo,
)
from ted_predictor.loading import Ranked
from ted_predictor.manager import ModelManager, ServedVersion, VersionState
from ted_predictor.metrics import PredictorMetrics
from ted_predictor.status import ConversationError, rpc_method
from ted_protos.ted.v1 import predictor_pb2, predictor_pb2_grpc

logger = logging.getLogger(__name__)

_STATES = {
    VersionState.LOADING: predictor_pb2.MODEL_VERSION_STATE_LOADING,
    VersionState.AVAILABLE: predictor_pb2.MODEL_VERSION_STATE_AVAILABLE,
    VersionState.UNLOADED: predictor_pb2.MODEL_VERSION_STATE_UNLOADED,
    VersionState.FAILED: predictor_pb2.MODEL_VERSION_STATE_FAILED,
}


def _check_top_k(top_k: int) -> int:
    if top_k < 0:
        raise InvalidRequestError("top_k", "must be >= 0 (0 returns every action)")
    return top_k


def _spec(
    spec: predictor_pb2.ModelSpec, *, name_required: bool = True
) -> tuple[str, int | None, str | None]:
    if name_required and not spec.name:
        raise InvalidRequestError("model_spec.name", "must name a model")
    choice = spec.WhichOneof("version_choice")
    if choice == "version":
        if spec.version < 1:
            raise InvalidRequestError("model_spec.version", "versions start at 1")
        return spec.name, spec.version, None
    if choice == "alias":
        if not spec.alias:
            raise InvalidRequestError("model_spec.alias", "must not be empty when set")
        return spec.name, None, spec.alias
    return spec.name, None, None


def _scores(
    ranking: Sequence[tuple[str, float]] | None, top_k: int
) -> list[predictor_pb2.ActionScore]:
    items = list(ranking or ())
    if top_k:
        items = items[:top_k]
    return [predictor_pb2.ActionScore(action=a, confidence=float(c)) for a, c in items]


def _ranking_message(ranked: Ranked, top_k: int) -> predictor_pb2.Ranking:
    return predictor_pb2.Ranking(
        actions=_scores(ranked.ranking, top_k),
        policy_name=ranked.policy_name,
        ted_ranking=_scores(ranked.ted_ranking, top_k),
    )


def _deadline(context: grpc.aio.ServicerContext) -> float | None:
    """The client's deadline on the loop's clock (None: no deadline); refuses a passed one.

    No timer is armed per request: the batcher checks deadlines when it takes a batch and
    gRPC cancels the handler of a call whose client gave up.
    """
    remaining = context.time_remaining()
    if remaining is None or remaining > 1e8:  # no deadline set
        return None
    if remaining <= 0:
        raise RequestDeadlineError("deadline exceeded before the request was handled")
    return asyncio.get_running_loop().time() + remaining


class PredictorServicer(predictor_pb2_grpc.PredictorServiceServicer):
    def __init__(
        self,
        manager: ModelManager,
        config: PredictorConfig,
        metrics: PredictorMetrics,
        model_threads: Executor,
    ) -> None:
        self._manager = manager
        self._config = config
        self.metrics = metrics
        self._model_threads = model_threads  # unbatched model calls

    async def _predict_unbatched(
        self,
        served: ServedVersion,
        conversations: Sequence[Sequence[Event]],
        top_k: int | None,
        deadline: float | None = None,
    ) -> list[Ranked]:
        loop = asyncio.get_running_loop()

        def run() -> list[Ranked]:
            if deadline is not None and loop.time() >= deadline:  # waited too long for a thread
                raise RequestDeadlineError("deadline exceeded while waiting for the model")
            return list(served.model.predict_batch(conversations, top_k))

        return await loop.run_in_executor(self._model_threads, run)

    def _resolved(self, served: ServedVersion) -> predictor_pb2.ResolvedModel:
        return predictor_pb2.ResolvedModel(name=served.name, version=served.version)

    @rpc_method("Predict", predictor_pb2.PredictRequest)
    async def Predict(
        self, request: predictor_pb2.PredictRequest, context: grpc.aio.ServicerContext
    ) -> predictor_pb2.PredictResponse:
        top_k = _check_top_k(request.top_k)
        name, version, alias = _spec(request.model_spec)
        events = conversation_from_proto(
            request.conversation, max_events=self._config.limits.max_events
        )
        served = self._manager.resolve(name, version, alias)
        ranked = await self._run_one(served, events, top_k or None, context)
        return predictor_pb2.PredictResponse(
            model=self._resolved(served),
            ranking=_scores(ranked.ranking, top_k),
            policy_name=ranked.policy_name,
            ted_ranking=_scores(ranked.ted_ranking, top_k),
        )

    async def _run_one(
        self,
        served: ServedVersion,
        events: Sequence[Event],
        top_k: int | None,
        context: grpc.aio.ServicerContext,
    ) -> Ranked:
        deadline = _deadline(context)
        if served.batcher is None:  # batching off
            self.metrics.batch_size.labels(model=served.name).observe(1)
            return (await self._predict_unbatched(served, [events], top_k, deadline))[0]
        try:
            return await served.batcher.submit(events, top_k, deadline=deadline)
        except BatcherClosedError:  # the version was unloaded after this request resolved it
            return (await self._predict_unbatched(served, [events], top_k, deadline))[0]

    @rpc_method("PredictBatch", predictor_pb2.PredictBatchRequest)
    async def PredictBatch(
        self, request: predictor_pb2.PredictBatchRequest, context: grpc.aio.ServicerContext
    ) -> predictor_pb2.PredictBatchResponse:
        top_k = _check_top_k(request.top_k)
        name, version, alias = _spec(request.model_spec)
        limit = self._config.limits.max_conversations
        if len(request.conversations) > limit:
            raise InvalidRequestError(
                "conversations", f"{len(request.conversations)} conversations, at most {limit}"
            )
        conversations = [
            conversation_from_proto(
                c, max_events=self._config.limits.max_events, field=f"conversations[{i}]"
            )
            for i, c in enumerate(request.conversations)
        ]
        served = self._manager.resolve(name, version, alias)
        deadline = _deadline(context)
        results: list[Ranked] = []
        if conversations:
            self.metrics.batch_size.labels(model=served.name).observe(len(conversations))
            try:
                results = await self._predict_unbatched(
                    served, conversations, top_k or None, deadline
                )
            except RequestDeadlineError:
                raise  # no conversation to blame: the call waited too long
            except Exception as batch_error:
                self._locate_failure(batch_error)
        return predictor_pb2.PredictBatchResponse(
            model=self._resolved(served),
            rankings=[_ranking_message(r, top_k) for r in results],
        )

    @staticmethod
    def _locate_failure(error: Exception) -> None:
        """Name the conversation an unknown name came from; anything else is a bug."""
        if isinstance(error, UnknownSymbolError) and error.conversation is not None:
            prefix = f"conversations[{error.conversation}]"
            raise ConversationError(prefix, error.in_conversation(None)) from error
        raise error

    @rpc_method("GetModelStatus", predictor_pb2.GetModelStatusRequest)
    async def GetModelStatus(
        self, request: predictor_pb2.GetModelStatusRequest, context: grpc.aio.ServicerContext
    ) -> predictor_pb2.GetModelStatusResponse:
        name, version, alias = _spec(request.model_spec, name_required=False)
        if not name and (version is not None or alias is not None):
            raise InvalidRequestError("model_spec.name", "a version or alias needs a model name")
        statuses = self._manager.statuses(name or None)
        if version is not None or alias is not None:
            wanted = (
                version if version is not None else self._manager.resolve(name, None, alias).version
            )
            statuses = [s for s in statuses if s.version == wanted]
            if not statuses:
                raise ModelNotFoundError(f"model {echo(name)} has no version {wanted}")
        response = predictor_pb2.GetModelStatusResponse()
        for status in statuses:
            item = response.versions.add(
                name=status.name,
                version=status.version,
                state=_STATES[status.state],
                aliases=list(status.aliases),
                load_seconds=status.load_seconds,
                error=status.error,
            )
            item.state_since.FromNanoseconds(int(status.since * 1e9))
        return response

    @rpc_method("ListModels", predictor_pb2.ListModelsRequest)
    async def ListModels(
        self, request: predictor_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> predictor_pb2.ListModelsResponse:
        response = predictor_pb2.ListModelsResponse()
        for summary in self._manager.summaries():
            response.models.add(
                name=summary.name,
                serving_versions=list(summary.serving_versions),
                latest_version=summary.latest_version,
                aliases=dict(summary.aliases),
            )
        return response


_METHODS = ("Predict", "PredictBatch", "GetModelStatus", "ListModels")


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


def add_to_server(servicer: PredictorServicer, server: grpc.aio.Server) -> None:
    """Register the service with requests left as bytes: the servicer parses them itself
    (grpc would answer INTERNAL for a message that does not parse)."""
    handlers = {
        method: grpc.unary_unary_rpc_method_handler(
            getattr(servicer, method),
            request_deserializer=None,
            response_serializer=_serialize,
        )
        for method in _METHODS
    }
    service = predictor_pb2.DESCRIPTOR.services_by_name["PredictorService"].full_name
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
