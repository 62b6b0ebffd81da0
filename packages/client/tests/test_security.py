"""TLS, client certificates and bearer tokens between real gRPC servers and clients on loopback.

The servers here answer one raw-bytes echo method, so the checks run without the services;
the services' own tests run the same security in front of their servicers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from ted_client.security import (
    SERVER_TOKENS_ENV,
    ChannelSecurity,
    SecurityConfigError,
    ServerSecurity,
    is_loopback,
    load_client_token,
    load_server_tokens,
    make_self_signed,
)

TOKEN = "s3cret-token-0123456789"
ECHO = "/test.Echo/Say"


def _echo_handler() -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(
        "test.Echo", {"Say": grpc.unary_unary_rpc_method_handler(lambda req, _ctx: req)}
    )


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    try:
        return make_self_signed(tmp_path_factory.mktemp("tls"))
    except SecurityConfigError as e:
        pytest.skip(str(e))


def _sync_server(security: ServerSecurity) -> Iterator[int]:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=2), interceptors=security.interceptors()
    )
    server.add_generic_rpc_handlers((_echo_handler(),))
    port = security.add_port(server, "127.0.0.1:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(0)


def _call(port: int, client: ChannelSecurity, host: str = "127.0.0.1") -> bytes:
    options = [("grpc.ssl_target_name_override", "localhost")] if client.tls else []
    with client.open_channel(f"{host}:{port}", options) as channel:
        return bytes(channel.unary_unary(ECHO)(b"hello", timeout=10))


def _code(port: int, client: ChannelSecurity) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        _call(port, client)
    return info.value.code()


def test_token_required_without_tls() -> None:
    security = ServerSecurity(token_digests=load_server_tokens(environ={SERVER_TOKENS_ENV: TOKEN}))
    for port in _sync_server(security):
        assert _call(port, ChannelSecurity(token=TOKEN)) == b"hello"
        assert _code(port, ChannelSecurity()) is grpc.StatusCode.UNAUTHENTICATED
        assert _code(port, ChannelSecurity(token="wrong-token-0123456789")) is (
            grpc.StatusCode.UNAUTHENTICATED
        )


def test_tls_with_token_and_client_certificates(cert: tuple[Path, Path], tmp_path: Path) -> None:
    cert_file, key_file = cert
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# accepted tokens\n{TOKEN}\n", encoding="utf-8")
    tokens.chmod(0o600)
    security = ServerSecurity(
        cert_file=cert_file,
        key_file=key_file,
        client_ca_file=cert_file,
        token_digests=load_server_tokens(tokens, environ={}),
    )
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    for port in _sync_server(security):
        good = ChannelSecurity.from_options(
            ca_file=cert_file,
            cert_file=cert_file,
            key_file=key_file,
            token_file=token_file,
            environ={},
        )
        assert good.tls
        assert _call(port, good) == b"hello"
        # a plaintext client cannot talk to a TLS server
        assert _code(port, ChannelSecurity(token=TOKEN)) is grpc.StatusCode.UNAVAILABLE
        # TLS without a client certificate is refused by the handshake
        no_cert = ChannelSecurity(tls=True, ca_file=cert_file, token=TOKEN)
        assert _code(port, no_cert) is grpc.StatusCode.UNAVAILABLE
        # a client certificate but no token
        no_token = ChannelSecurity(
            tls=True, ca_file=cert_file, cert_file=cert_file, key_file=key_file
        )
        assert _code(port, no_token) is grpc.StatusCode.UNAUTHENTICATED


def test_aio_server_checks_tokens() -> None:
    security = ServerSecurity(token_digests=load_server_tokens(environ={SERVER_TOKENS_ENV: TOKEN}))

    async def run() -> tuple[bytes, grpc.RpcError]:
        server = grpc.aio.server(interceptors=security.interceptors(aio=True))
        server.add_generic_rpc_handlers((_echo_handler(),))
        port = security.add_port(server, "127.0.0.1:0")
        await server.start()
        loop = asyncio.get_running_loop()
        try:
            answer = await loop.run_in_executor(None, _call, port, ChannelSecurity(token=TOKEN))
            try:
                await loop.run_in_executor(None, _call, port, ChannelSecurity())
            except grpc.RpcError as e:
                return answer, e
            raise AssertionError("a call without a token was answered")
        finally:
            await server.stop(0)

    answer, error = asyncio.run(run())
    assert answer == b"hello"
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "authorization" in (error.details() or "")


def test_non_loopback_bind_needs_tls_and_token_or_insecure(
    cert: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(SecurityConfigError, match="without TLS and a token"):
        ServerSecurity().check_bind("0.0.0.0")
    tokens = load_server_tokens(environ={SERVER_TOKENS_ENV: TOKEN})
    with pytest.raises(SecurityConfigError, match="without TLS"):
        ServerSecurity(token_digests=tokens).check_bind("10.1.2.3")
    ServerSecurity(cert_file=cert[0], key_file=cert[1], token_digests=tokens).check_bind("::")
    with caplog.at_level(logging.WARNING, logger="ted_client.security"):
        ServerSecurity(insecure=True).check_bind("0.0.0.0")
    assert "--insecure" in caplog.text
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.5"):
        ServerSecurity().check_bind(host)
        assert is_loopback(host)
    assert not is_loopback("my-host.example.org")


def test_tokens_come_from_files_or_the_environment(tmp_path: Path) -> None:
    assert load_server_tokens(environ={}) == frozenset()
    many = load_server_tokens(environ={SERVER_TOKENS_ENV: f"{TOKEN},another-token-0123456789"})
    assert len(many) == 2 and TOKEN.encode() not in many  # only digests are kept
    with pytest.raises(SecurityConfigError, match="at least 16"):
        load_server_tokens(environ={SERVER_TOKENS_ENV: "short"})
    empty = tmp_path / "empty"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(SecurityConfigError, match="holds no token"):
        load_server_tokens(empty, environ={})
    with pytest.raises(SecurityConfigError, match="cannot read"):
        load_client_token(tmp_path / "missing", environ={})
    assert load_client_token(environ={"TED_TOKEN": TOKEN}) == TOKEN
    assert load_client_token(environ={}) is None
    assert TOKEN not in repr(ChannelSecurity(token=TOKEN))


def test_bad_tls_files_are_reported(tmp_path: Path) -> None:
    not_pem = tmp_path / "cert.pem"
    not_pem.write_text("hello", encoding="utf-8")
    with pytest.raises(SecurityConfigError, match="both --tls-cert and --tls-key"):
        ServerSecurity(cert_file=not_pem)
    with pytest.raises(SecurityConfigError, match="not a PEM file"):
        ServerSecurity(cert_file=not_pem, key_file=not_pem).credentials()
    with pytest.raises(SecurityConfigError, match="cannot read"):
        ServerSecurity(cert_file=tmp_path / "x", key_file=tmp_path / "y").credentials()
