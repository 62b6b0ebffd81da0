"""Trainer and predictor together: a sweep through TrainerService, then predictions for its
``candidate`` version from a PredictorService that was running all along (no restart)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

pytest.importorskip("ray")
pytest.importorskip("ted_predictor")

from ted_predictor.config import PredictorConfig
from ted_predictor.server import create_server as create_predictor
from ted_protos.ted.v1 import (
    events_pb2,
    predictor_pb2,
    predictor_pb2_grpc,
    trainer_pb2,
    trainer_pb2_grpc,
)
from ted_trainer.server import create_server as create_trainer

pytestmark = pytest.mark.slow

SWEEP = """
name: mood
num_samples: 1
max_concurrent_trials: 2
resources_per_trial: {cpu: 1}
epochs: 3
overrides:
  transformer_size: 16
  number_of_attention_heads: 2
  embedding_dimension: 8
  encoding_dimension: 16
search_space:
  learning_rate: {grid: [0.003, 0.01]}
"""


def _moodbot() -> Path:
    env = os.environ.get("TED_SHARED_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    path = (root / "moodbot").resolve()
    if not (path / "domain.yml").is_file():
        pytest.skip(f"moodbot data not found at {path}")
    return path


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    import ray

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def test_sweep_through_trainer_then_predict_candidate_without_restart(
    ray_local: None, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    predictor, predictor_port = create_predictor(
        PredictorConfig(store=store, port=0, poll_interval_s=0.5)
    )
    trainer, trainer_port = create_trainer(store)
    predictor.start()
    trainer.start()
    try:
        with (
            grpc.insecure_channel(f"127.0.0.1:{trainer_port}") as trainer_channel,
            grpc.insecure_channel(f"127.0.0.1:{predictor_port}") as predictor_channel,
        ):
            trainer_stub = trainer_pb2_grpc.TrainerServiceStub(trainer_channel)
            predictor_stub = predictor_pb2_grpc.PredictorServiceStub(predictor_channel)
            job_id = trainer_stub.Sweep(
                trainer_pb2.SweepRequest(
                    spec_yaml=SWEEP, project=trainer_pb2.ProjectSource(path=str(_moodbot()))
                )
            ).job_id
            events = list(
                trainer_stub.WatchJob(trainer_pb2.WatchJobRequest(job_id=job_id), timeout=900)
            )
            assert events[-1].state.state == trainer_pb2.JOB_STATE_SUCCEEDED, events[-1]
            job = trainer_stub.GetJob(trainer_pb2.GetJobRequest(job_id=job_id))
            assert job.kind == trainer_pb2.JOB_KIND_SWEEP
            assert len(job.result.trials) == 2
            assert {t.version for t in job.result.trials} == {1, 2}
            assert job.result.alias == "candidate" and job.result.version in (1, 2)
            trial_starts = [e.trial for e in events if e.HasField("trial")]
            assert {t.trial_id for t in trial_starts} == {t.trial_id for t in job.result.trials}

            request = predictor_pb2.PredictRequest(
                model_spec=predictor_pb2.ModelSpec(name="mood", alias="candidate"),
                conversation=events_pb2.Conversation(
                    events=[events_pb2.Event(user=events_pb2.UserUttered(intent="greet"))]
                ),
                top_k=3,
            )
            deadline = time.monotonic() + 120
            while True:
                try:
                    reply = predictor_stub.Predict(request, timeout=10)
                    break
                except grpc.RpcError as e:
                    if time.monotonic() > deadline or e.code() not in (
                        grpc.StatusCode.NOT_FOUND,
                        grpc.StatusCode.UNAVAILABLE,
                    ):
                        raise
                    time.sleep(0.5)
            assert reply.model.name == "mood"
            assert reply.model.version == job.result.version
            assert len(reply.ranking) == 3
            assert all(0.0 <= s.confidence <= 1.0 for s in reply.ranking)
    finally:
        trainer.stop(grace=1)
        predictor.stop(grace=1)
