"""Dynamic batching: concurrent requests for one model version run as one predict_batch.

A worker thread per served version takes the first queued request, then waits at most
``timeout_s`` for more (up to ``max_batch_size``) and runs them together. A request whose
client gave up (deadline passed) before its batch started is skipped. If the batch fails
(one conversation names an unknown intent, say), each request is run alone so only the bad
one gets the error.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from ted_data_adapter.errors import UnknownSymbolError
from ted_data_adapter.events import Event
from ted_predictor.config import BatchingConfig
from ted_predictor.errors import find_cause
from ted_predictor.loading import Ranked, ServableModel

logger = logging.getLogger(__name__)

_STOP = object()


class _Item:
    __slots__ = ("events", "future", "top_k")

    def __init__(self, events: Sequence[Event], top_k: int | None) -> None:
        self.events = events
        self.top_k = top_k
        self.future: Future[Ranked] = Future()


class BatcherClosedError(RuntimeError):
    """The batcher was closed (its version unloaded) before the request was queued."""


class DynamicBatcher:
    """Queue + worker thread(s) grouping ``submit`` calls into ``predict_batch`` calls."""

    def __init__(
        self,
        model: ServableModel,
        config: BatchingConfig,
        *,
        name: str,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._model = model
        self._config = config
        self._on_batch = on_batch
        self._queue: queue.SimpleQueue[_Item | object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"batcher-{name}-{n}", daemon=True)
            for n in range(config.workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, events: Sequence[Event], top_k: int | None = None) -> Future[Ranked]:
        """Queue one conversation; the future gets its ranking (at least ``top_k`` actions,
        all when None) or the model's error."""
        item = _Item(events, top_k)
        with self._lock:
            if self._closed:
                raise BatcherClosedError("batcher is closed")
            self._queue.put(item)
        return item.future

    def close(self, timeout: float | None = None) -> None:
        """Finish what is queued, then stop the worker."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)

    def _collect(self, first: _Item) -> tuple[list[_Item], bool]:
        batch = [first]
        stop = False
        deadline = time.monotonic() + self._config.timeout_s
        while len(batch) < self._config.max_batch_size:
            remaining = deadline - time.monotonic()
            try:
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is _STOP:
                stop = True
                break
            assert isinstance(item, _Item)
            batch.append(item)
        return batch, stop

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                self._drain()
                return
            assert isinstance(first, _Item)
            batch, stop = self._collect(first)
            self._execute(batch)
            if stop:
                self._drain()
                return

    def _drain(self) -> None:
        leftovers: list[_Item] = []
        other_stops = 0  # sentinels of the other workers go back for them
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Item):
                leftovers.append(item)
            else:
                other_stops += 1
        for start in range(0, len(leftovers), self._config.max_batch_size):
            self._execute(leftovers[start : start + self._config.max_batch_size])
        for _ in range(other_stops):
            self._queue.put(_STOP)

    def _execute(self, batch: list[_Item]) -> None:
        live = [item for item in batch if item.future.set_running_or_notify_cancel()]
        if not live:
            return
        if self._on_batch is not None:
            self._on_batch(len(live))
        self._predict(live)

    def _predict(self, items: list[_Item]) -> None:
        """Run ``items`` as one batch; a failing conversation is taken out and the rest rerun."""
        while items:
            # rank only as many actions as the most demanding request wants (cheaper)
            top_k = (
                None if any(i.top_k is None for i in items) else max(i.top_k or 0 for i in items)
            )
            try:
                results = self._model.predict_batch([item.events for item in items], top_k)
            except Exception as e:
                unknown = find_cause(e, UnknownSymbolError)  # names the conversation
                bad = unknown.conversation if unknown is not None else None
                if len(items) == 1:
                    items[0].future.set_exception(e)
                    return
                if isinstance(bad, int) and 0 <= bad < len(items):
                    failed = items.pop(bad)
                    failed.future.set_exception(_single(e))
                    continue
                for item in items:  # isolate the bad request(s) one by one
                    try:
                        result = self._model.predict_batch([item.events], item.top_k)[0]
                        item.future.set_result(result)
                    except Exception as single_error:
                        item.future.set_exception(single_error)
                return
            for item, result in zip(items, results, strict=True):
                item.future.set_result(result)
            return


def _single(error: Exception) -> Exception:
    """The error as if its conversation had been sent alone (conversation index dropped)."""
    unknown = find_cause(error, UnknownSymbolError)
    if unknown is not None and unknown.conversation is not None:
        return UnknownSymbolError(unknown.event_index, unknown.field, unknown.value)
    return error
