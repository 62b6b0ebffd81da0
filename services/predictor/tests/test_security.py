"""The predictor behind TLS and bearer tokens: a real server on loopback, a real model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from predictor_testlib import GREETED, MODEL, TrainedModel, make_config, wait_until

from ted_client.client import PredictorClient
from ted_client.errors import PredictorClientError
from ted_client.security import (
    SERVER_TOKENS_ENV,
    ChannelSecurity,
    SecurityConfigError,
    ServerSecurity,
    load_server_tokens,
    make_self_signed,
)
from ted_predictor.server import create_server

TOKEN = "predictor-token-0123456789"
OVERRIDE = [("grpc.ssl_target_name_override", "localhost")]


def test_tls_and_token_guard_predict_but_not_health(trained: TrainedModel, tmp_path: Path) -> None:
    try:
        cert, key = make_self_signed(tmp_path / "tls")
    except SecurityConfigError as e:
        pytest.skip(str(e))
    store = tmp_path / "store"
    shutil.copytree(trained.store, store)
    security = ServerSecurity(
        cert_file=cert,
        key_file=key,
        token_digests=load_server_tokens(environ={SERVER_TOKENS_ENV: TOKEN}),
    )
    server, port = create_server(make_config(store, security=security))
    server.start()
    address = f"127.0.0.1:{port}"
    try:
        wait_until(lambda: server.manager.has_serving_version(MODEL), what="model loaded")
        good = ChannelSecurity(tls=True, ca_file=cert, token=TOKEN)
        with PredictorClient(address, channel=good.open_channel(address, OVERRIDE)) as client:
            assert client.predict(MODEL, GREETED).model == MODEL
        untokened = ChannelSecurity(tls=True, ca_file=cert)
        with PredictorClient(address, channel=untokened.open_channel(address, OVERRIDE)) as client:
            with pytest.raises(PredictorClientError) as info:
                client.predict(MODEL, GREETED)
            assert info.value.code_name == "UNAUTHENTICATED"
            with pytest.raises(PredictorClientError, match="UNAUTHENTICATED"):
                client.list_models()
        # health stays open for probes, over TLS
        with untokened.open_channel(address, OVERRIDE) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            answer = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        # plaintext is refused by the TLS port
        plain = PredictorClient(address, security=ChannelSecurity(token=TOKEN), timeout=5)
        with plain, pytest.raises(PredictorClientError, match="UNAVAILABLE"):
            plain.predict(MODEL, GREETED)
    finally:
        server.stop(1.0)


def test_public_address_without_tls_and_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecurityConfigError, match=r"refusing to listen on 0\.0\.0\.0"):
        create_server(make_config(tmp_path, host="0.0.0.0"))
