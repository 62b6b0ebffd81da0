"""Hot reload, alias moves, refused versions and unloading, on a live server under load."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from pathlib import Path

import pytest
from predictor_testlib import GREETED, MODEL, make_config, publish_copy, running_server, wait_until

from ted_archive import ModelStore
from ted_client.client import PredictorClient
from ted_client.errors import PredictorClientError
from ted_predictor.config import PredictorConfig


class Hammer:
    """Background Predict calls during a test; records every failure and served version."""

    def __init__(self, client: PredictorClient, model: str = MODEL) -> None:
        self.client = client
        self.model = model
        self.failures: list[str] = []
        self.versions: list[int] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(3)]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.versions.append(self.client.predict(self.model, GREETED).version)
            except PredictorClientError as e:
                self.failures.append(str(e))

    def __enter__(self) -> Hammer:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()


def _latest(client: PredictorClient, ref: str = MODEL) -> int:
    return client.predict(ref, GREETED).version


def test_new_version_and_alias_moves_are_served_without_failures(store_copy: Path) -> None:
    with running_server(make_config(store_copy)) as (server, client), Hammer(client) as hammer:
        assert _latest(client) == 1
        v1_policy = server.manager.resolve(MODEL).model
        # the ensemble and TED's Keras model inside it must both be freed after unloading
        v1_refs = [weakref.ref(v1_policy), weakref.ref(v1_policy.ted.policy.model)]  # type: ignore[attr-defined]
        del v1_policy
        ModelStore(store_copy).set_alias(MODEL, "best", 1)
        wait_until(lambda: client.list_models()[0].aliases == {"best": 1}, what="alias best")
        assert publish_copy(store_copy) == 2
        wait_until(lambda: _latest(client) == 2, what="version 2 served")
        assert _latest(client, f"{MODEL}@best") == 1  # the aliased version stays
        assert client.list_models()[0].serving_versions == (1, 2)
        ModelStore(store_copy).set_alias(MODEL, "best", 2)
        wait_until(lambda: _latest(client, f"{MODEL}@best") == 2, what="alias moved")
        wait_until(lambda: client.list_models()[0].serving_versions == (2,), what="v1 unloaded")
        wait_until(
            lambda: (
                {s.version: s.state for s in client.model_status(MODEL)}
                == {1: "unloaded", 2: "available"}
            ),
            what="states after the alias move",
        )
        hammer.__exit__()
        assert hammer.failures == []
        assert set(hammer.versions) == {1, 2}
        gc.collect()
        # the unloaded policy and its Keras model are freed, not kept by the server or Keras
        wait_until(
            lambda: (gc.collect() or True) and all(ref() is None for ref in v1_refs),
            30,
            "v1 freed",
        )


def test_a_broken_new_version_is_refused_and_the_old_keeps_serving(
    store_copy: Path, tmp_path: Path
) -> None:
    store = ModelStore(store_copy)
    with running_server(make_config(store_copy)) as (_server, client), Hammer(client) as hammer:
        junk = tmp_path / "junk"
        junk.mkdir()
        (junk / "model.keras").write_bytes(b"not a model")
        assert store.save(MODEL, junk, config={}).version == 2
        wait_until(
            lambda: any(s.state == "failed" for s in client.model_status(MODEL)), what="v2 failed"
        )
        # a tampered archive (valid once, bytes changed after publishing) is refused too
        v3 = publish_copy(store_copy)
        archive = store.get(MODEL, v3).archive_path
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF
        archive.write_bytes(bytes(data))
        wait_until(
            lambda: {s.version: s.state for s in client.model_status(MODEL)}.get(v3) == "failed",
            what="v3 failed",
        )
        statuses = {s.version: s for s in client.model_status(MODEL)}
        assert statuses[1].state == "available"
        assert statuses[2].error and statuses[3].error
        assert _latest(client) == 1
        hammer.__exit__()
        assert hammer.failures == [] and set(hammer.versions) == {1}
        (info,) = client.list_models()
        assert info.serving_versions == (1,)


def _health(port: int) -> int:
    """The overall status, asked over the real grpc.health.v1 service."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        status: int = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status
        return status


def test_no_model_yet_is_unavailable_then_served(store_copy: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-store"
    empty.mkdir()
    config: PredictorConfig = make_config(empty, models=(MODEL,))
    with running_server(config, wait_for=None) as (server, client):
        try:
            client.predict(MODEL, GREETED)
            raise AssertionError("expected UNAVAILABLE")
        except PredictorClientError as e:
            assert e.code_name == "UNAVAILABLE"
        from grpc_health.v1 import health_pb2

        assert _health(server.port) == health_pb2.HealthCheckResponse.NOT_SERVING
        import shutil

        shutil.copytree(store_copy / MODEL, empty / MODEL)
        wait_until(lambda: server.manager.has_serving_version(MODEL), what="model loaded")
        assert _latest(client) == 1
        assert _health(server.port) == health_pb2.HealthCheckResponse.SERVING


def test_version_policy_latest_two(store_copy: Path) -> None:
    from ted_predictor.config import VersionPolicy

    publish_copy(store_copy)
    publish_copy(store_copy)
    config = make_config(store_copy, version_policy=VersionPolicy.parse("latest:2"))
    with running_server(config) as (_server, client):
        wait_until(lambda: client.list_models()[0].serving_versions == (2, 3), what="2 and 3")
        assert _latest(client) == 3 and _latest(client, f"{MODEL}@2") == 2
        try:
            client.predict(f"{MODEL}@1", GREETED)
            raise AssertionError("version 1 is not in the policy")
        except PredictorClientError as e:
            assert e.code_name == "NOT_FOUND"


def test_a_request_racing_an_unload_is_still_answered(store_copy: Path) -> None:
    """A request that resolved a version just before its batcher closed runs unbatched."""
    with running_server(make_config(store_copy)) as (server, client):
        served = server.manager.resolve(MODEL)
        assert served.batcher is not None
        served.batcher.close()  # what an unload does while the version is still routed
        result = client.predict(MODEL, GREETED)
        assert result.version == 1 and result.ranking


def test_two_model_threads_answer_and_stop_cleanly(store_copy: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from ted_predictor.config import BatchingConfig

    config = make_config(store_copy, batching=BatchingConfig(max_batch_size=4, workers=2))
    with running_server(config) as (server, client):
        expected = client.predict(MODEL, GREETED).ranking
        with ThreadPoolExecutor(12) as pool:
            rankings = list(pool.map(lambda _: client.predict(MODEL, GREETED).ranking, range(48)))
        # batch sizes differ in float rounding only
        for ranking in rankings:
            assert dict(ranking) == pytest.approx(dict(expected), abs=1e-5)
        batcher = server.manager.resolve(MODEL).batcher
        assert batcher is not None
    started = time.monotonic()
    batcher.close(timeout=10)  # already closed by the server stop: returns at once
    assert time.monotonic() - started < 1
    assert batcher.closed and batcher._executor._shutdown
