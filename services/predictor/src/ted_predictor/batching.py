"""Dynamic batching: concurrent requests for one model version run as one predict_batch.

Requests wait on the server's event loop; a drain task takes what is queued (up to
``max_batch_size``, after waiting at most ``timeout_s`` for more) and runs it on a model
thread, so the loop keeps accepting requests while the model works and the next batch is
whatever arrived meanwhile. Only the model call leaves the loop: one thread hand-off per
batch instead of one per request. A request whose client gave up (gRPC cancelled it) or
whose deadline passed before its batch started is skipped, the latter answered with
:class:`RequestDeadlineError`; deadlines are checked once per batch rather than with a timer
per request, which cost more than the model at high load. If a batch fails (one
conversation names an unknown intent, say), the bad one is taken out and the rest rerun, so
only the bad request gets the error.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ted_data_adapter.errors import UnknownSymbolError
from ted_data_adapter.events import Event
from ted_predictor.config import BatchingConfig
from ted_predictor.errors import RequestDeadlineError
from ted_predictor.loading import Ranked, ServableModel

logger = logging.getLogger(__name__)

Outcome = tuple[Ranked | None, BaseException | None]


class _Item:
    __slots__ = ("deadline", "events", "future", "top_k")

    def __init__(
        self,
        events: Sequence[Event],
        top_k: int | None,
        future: asyncio.Future[Ranked],
        deadline: float | None,
    ) -> None:
        self.events = events
        self.top_k = top_k
        self.future = future
        self.deadline = deadline  # loop time, None: no deadline


class BatcherClosedError(RuntimeError):
    """The batcher was closed (its version unloaded) before the request was queued."""


class DynamicBatcher:
    """Groups ``submit`` calls made on one event loop into ``predict_batch`` calls.

    ``submit`` must be called on the server's loop; ``close`` may be called from any thread.
    """

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
        self._executor = ThreadPoolExecutor(config.workers, thread_name_prefix=f"model-{name}")
        self._pending: deque[_Item] = deque()
        self._draining = 0  # drain tasks running (at most config.workers)
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._idle = threading.Event()
        self._idle.set()

    @property
    def closed(self) -> bool:
        return self._closed

    def submit(
        self, events: Sequence[Event], top_k: int | None = None, *, deadline: float | None = None
    ) -> asyncio.Future[Ranked]:
        """Queue one conversation (on the server's loop); the future gets its ranking (at
        least ``top_k`` actions, all when None) or the model's error. A request still queued
        at ``deadline`` (the loop's clock) fails with :class:`RequestDeadlineError`;
        cancelling the future takes the request out of any batch not yet started."""
        if self._closed:
            raise BatcherClosedError("batcher is closed")
        loop = asyncio.get_running_loop()
        item = _Item(events, top_k, loop.create_future(), deadline)
        self._pending.append(item)
        if self._draining < self._config.workers:
            self._draining += 1
            self._idle.clear()
            task = loop.create_task(self._drain())
            self._tasks.add(task)  # a running task needs a reference, or it may be collected
            task.add_done_callback(self._tasks.discard)
        return item.future

    def close(self, timeout: float | None = None) -> None:
        """Refuse new requests, let queued ones finish (up to ``timeout`` s), stop the thread."""
        self._closed = True
        self._idle.wait(timeout)
        self._executor.shutdown(wait=False)

    def _take(self, now: float) -> list[_Item]:
        batch: list[_Item] = []
        while self._pending and len(batch) < self._config.max_batch_size:
            item = self._pending.popleft()
            if item.future.done():  # cancelled: the client gave up
                continue
            if item.deadline is not None and item.deadline <= now:
                item.future.set_exception(
                    RequestDeadlineError("deadline exceeded while waiting for the model")
                )
                continue
            batch.append(item)
        return batch

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                if self._config.timeout_s > 0 and len(self._pending) < self._config.max_batch_size:
                    await asyncio.sleep(self._config.timeout_s)
                else:  # one loop turn: requests that already arrived join this batch
                    await asyncio.sleep(0)
                batch = self._take(loop.time())
                if not batch:
                    continue
                if self._on_batch is not None:
                    self._on_batch(len(batch))
                requests = [(item.events, item.top_k) for item in batch]
                try:
                    outcomes = await loop.run_in_executor(self._executor, self._run, requests)
                except RuntimeError:  # executor shut down by close(): finish on the loop
                    outcomes = self._run(requests)
                for item, (result, error) in zip(batch, outcomes, strict=True):
                    if item.future.done():
                        continue
                    if error is not None:
                        item.future.set_exception(error)
                    else:
                        item.future.set_result(result)  # type: ignore[arg-type]
        except Exception:  # never leave a request waiting forever
            logger.exception("batch failed")
            while self._pending:
                item = self._pending.popleft()
                if not item.future.done():
                    item.future.set_exception(RuntimeError("batch failed"))
        finally:
            self._draining -= 1
            if self._draining == 0 and not self._pending:
                self._idle.set()

    def _run(self, requests: list[tuple[Sequence[Event], int | None]]) -> list[Outcome]:
        """Run ``requests`` as one batch (on a model thread).

        A conversation naming something the model does not know fails the batch with an
        UnknownSymbolError that says which conversation it was: that request gets the error
        (as if sent alone) and the rest run again without it. Any other failure is a bug and
        reaches every request of the batch.
        """
        outcomes: list[Outcome | None] = [None] * len(requests)
        remaining = list(range(len(requests)))
        while remaining:
            # rank only as many actions as the most demanding request wants (cheaper)
            wanted = [requests[i][1] for i in remaining]
            top_k = None if any(k is None for k in wanted) else max(k or 0 for k in wanted)
            try:
                results = self._model.predict_batch([requests[i][0] for i in remaining], top_k)
            except UnknownSymbolError as e:
                if e.conversation is not None and 0 <= e.conversation < len(remaining):
                    outcomes[remaining.pop(e.conversation)] = (None, e.in_conversation(None))
                    continue
                for index in remaining:
                    outcomes[index] = (None, e)
                break
            except Exception as e:
                for index in remaining:
                    outcomes[index] = (None, e)
                break
            for index, result in zip(remaining, results, strict=True):
                outcomes[index] = (result, None)
            break
        return [o if o is not None else (None, RuntimeError("not run")) for o in outcomes]
