"""Per-RPC bookkeeping: counters and latency keep adding up through the cached series."""

from __future__ import annotations

from ted_predictor.metrics import PredictorMetrics


def _sample(metrics: PredictorMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_observe_rpc_counts_codes_and_errors_separately() -> None:
    metrics = PredictorMetrics()
    for _ in range(3):
        metrics.observe_rpc("Predict", "OK", 0.001)
    metrics.observe_rpc("Predict", "NOT_FOUND", 0.002)
    metrics.observe_rpc("ListModels", "OK", 0.004)
    assert _sample(metrics, "ted_predictor_requests_total", method="Predict", code="OK") == 3
    assert _sample(metrics, "ted_predictor_requests_total", method="Predict", code="NOT_FOUND") == 1
    assert _sample(metrics, "ted_predictor_errors_total", method="Predict", code="OK") == 0
    assert _sample(metrics, "ted_predictor_errors_total", method="Predict", code="NOT_FOUND") == 1
    count = "ted_predictor_request_latency_seconds_count"
    assert _sample(metrics, count, method="Predict") == 4
    assert _sample(metrics, count, method="ListModels") == 1
    total = _sample(metrics, "ted_predictor_request_latency_seconds_sum", method="Predict")
    assert abs(total - 0.005) < 1e-9
