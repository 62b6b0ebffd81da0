"""The trainer behind bearer tokens (and TLS): a real server on loopback.

None of these calls reach Ray, so the server points at an address where nothing listens.
"""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from ted_client.security import (
    SERVER_TOKENS_ENV,
    ChannelSecurity,
    SecurityConfigError,
    ServerSecurity,
    load_server_tokens,
    make_self_signed,
)
from ted_protos.ted.v1 import trainer_pb2, trainer_pb2_grpc
from ted_trainer.server import create_server

TOKEN = "trainer-token-0123456789"


def _get_job_code(address: str, client: ChannelSecurity) -> grpc.StatusCode:
    options = [("grpc.ssl_target_name_override", "localhost")] if client.tls else []
    with client.open_channel(address, options) as channel:
        stub = trainer_pb2_grpc.TrainerServiceStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.GetJob(trainer_pb2.GetJobRequest(job_id="nope"), timeout=10)
    return info.value.code()


def test_every_trainer_call_needs_the_token(tmp_path: Path) -> None:
    try:
        cert, key = make_self_signed(tmp_path / "tls")
    except SecurityConfigError as e:
        pytest.skip(str(e))
    security = ServerSecurity(
        cert_file=cert,
        key_file=key,
        token_digests=load_server_tokens(environ={SERVER_TOKENS_ENV: TOKEN}),
    )
    server, port = create_server(tmp_path / "store", ray_address="127.0.0.1:1", security=security)
    server.start()
    address = f"127.0.0.1:{port}"
    try:
        tls = {"tls": True, "ca_file": cert}
        assert _get_job_code(address, ChannelSecurity(**tls, token=TOKEN)) is (
            grpc.StatusCode.NOT_FOUND  # authenticated: the servicer answered
        )
        assert _get_job_code(address, ChannelSecurity(**tls)) is grpc.StatusCode.UNAUTHENTICATED
        wrong = ChannelSecurity(**tls, token="x" * 20)
        assert _get_job_code(address, wrong) is grpc.StatusCode.UNAUTHENTICATED
        # a streaming call is refused the same way
        with ChannelSecurity(**tls).open_channel(
            address, [("grpc.ssl_target_name_override", "localhost")]
        ) as channel:
            stream = trainer_pb2_grpc.TrainerServiceStub(channel).WatchJob(
                trainer_pb2.WatchJobRequest(job_id="nope"), timeout=10
            )
            with pytest.raises(grpc.RpcError) as info:
                list(stream)
            assert info.value.code() is grpc.StatusCode.UNAUTHENTICATED
    finally:
        server.stop(grace=0)


def test_public_address_needs_tls_and_token_or_insecure(tmp_path: Path) -> None:
    with pytest.raises(SecurityConfigError, match="without TLS and a token"):
        create_server(tmp_path / "store", host="0.0.0.0", ray_address="127.0.0.1:1")
    server, _port = create_server(
        tmp_path / "store",
        host="0.0.0.0",
        ray_address="127.0.0.1:1",
        security=ServerSecurity(insecure=True),
    )
    server.stop(grace=0)
