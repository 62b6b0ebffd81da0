"""TLS and bearer tokens for ted's gRPC services, on both ends of the channel.

Servers (the predictor, the trainer) take a :class:`ServerSecurity`: a certificate and key for
TLS, optionally a CA that client certificates must be signed by, and the tokens they accept.
Clients (``ted predict``, ``ted sweep --trainer``, :class:`~ted_client.PredictorClient`) take
a :class:`ChannelSecurity`. Tokens never come from the command line, where every user of the
machine can read them: from a file, or from an environment variable.

A token travels as ``authorization: Bearer <token>`` call metadata. The servers check it in an
interceptor before any servicer runs; the health service stays open so that load balancers
and orchestrators can probe without a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from ted_client.errors import ClientError

logger = logging.getLogger(__name__)

TOKEN_ENV = "TED_TOKEN"  # client: the token to send
SERVER_TOKENS_ENV = "TED_AUTH_TOKENS"  # server: the accepted tokens, comma or newline separated
AUTH_HEADER = "authorization"
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/",)


class SecurityConfigError(ClientError):
    """TLS files, tokens or the bind address do not make a usable, safe configuration."""


# --- tokens -----------------------------------------------------------------------------


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def _split_tokens(text: str) -> list[str]:
    tokens = []
    for line in text.replace(",", "\n").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            tokens.append(line)
    return tokens


def _read_secret_file(path: Path, what: str) -> str:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SecurityConfigError(f"{what} {path}: cannot read it ({e})") from e
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        logger.warning("%s %s can be read by other users; chmod 600 it", what, path)
    return text


def load_server_tokens(
    token_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> frozenset[bytes]:
    """The sha256 digests of the tokens a server accepts: one per line of ``token_file``
    (``#`` comments allowed) and those in ``$TED_AUTH_TOKENS``. Only digests are kept, so a
    configuration object that is logged or pickled to a worker process holds no token."""
    environ = os.environ if environ is None else environ
    tokens = _split_tokens(environ.get(SERVER_TOKENS_ENV, ""))
    if token_file is not None:
        from_file = _split_tokens(_read_secret_file(token_file, "token file"))
        if not from_file:
            raise SecurityConfigError(f"token file {token_file}: holds no token")
        tokens += from_file
    for token in tokens:
        if len(token) < 16:
            raise SecurityConfigError("a token must be at least 16 characters long")
    return frozenset(_digest(t) for t in tokens)


def load_client_token(
    token_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The token a client sends: the first line of ``token_file``, else ``$TED_TOKEN``."""
    environ = os.environ if environ is None else environ
    if token_file is not None:
        tokens = _split_tokens(_read_secret_file(token_file, "token file"))
        if not tokens:
            raise SecurityConfigError(f"token file {token_file}: holds no token")
        return tokens[0]
    return environ.get(TOKEN_ENV) or None


# --- server side --------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a hostname: it may resolve to any interface


def _read_pem(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SecurityConfigError(f"{what} {path}: cannot read it ({e})") from e
    if b"-----BEGIN" not in data:
        raise SecurityConfigError(f"{what} {path}: not a PEM file")
    return data


@dataclass(frozen=True)
class ServerSecurity:
    """How a server authenticates itself (TLS) and its clients (client certificates, tokens).

    ``insecure`` allows a non-loopback address without TLS and tokens (logged as a warning);
    without it such a bind is refused, because anyone on the network could then train from the
    server's files or read its models.
    """

    cert_file: Path | None = None
    key_file: Path | None = None
    client_ca_file: Path | None = None
    token_digests: frozenset[bytes] = field(default_factory=frozenset, repr=False)
    insecure: bool = False

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise SecurityConfigError("TLS needs both --tls-cert and --tls-key")
        if self.client_ca_file is not None and self.cert_file is None:
            raise SecurityConfigError("--tls-client-ca needs --tls-cert and --tls-key")

    @property
    def tls(self) -> bool:
        return self.cert_file is not None

    def check_bind(self, host: str) -> None:
        """Refuse a non-loopback ``host`` without TLS and tokens, unless ``insecure``."""
        if is_loopback(host) or (self.tls and self.token_digests):
            return
        missing = " and ".join(
            part
            for part, absent in (("TLS", not self.tls), ("a token", not self.token_digests))
            if absent
        )
        if not self.insecure:
            raise SecurityConfigError(
                f"refusing to listen on {host} without {missing}: give --tls-cert/--tls-key "
                f"and --token-file (or ${SERVER_TOKENS_ENV}), or --insecure to accept the risk"
            )
        logger.warning(
            "listening on %s without %s (--insecure): whoever reaches it may use it", host, missing
        )

    def credentials(self) -> grpc.ServerCredentials:
        assert self.cert_file is not None and self.key_file is not None
        key = _read_pem(self.key_file, "TLS key")
        cert = _read_pem(self.cert_file, "TLS certificate")
        client_ca = (
            _read_pem(self.client_ca_file, "client CA") if self.client_ca_file is not None else None
        )
        return grpc.ssl_server_credentials(
            [(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None
        )

    def add_port(self, server: Any, address: str) -> int:
        """Bind ``address`` on ``server`` (sync or aio) with TLS when configured; the port."""
        if self.tls:
            return int(server.add_secure_port(address, self.credentials()))
        return int(server.add_insecure_port(address))

    def interceptors(self, *, aio: bool = False) -> list[Any]:
        """The token check as a server interceptor (none when no token is configured)."""
        if not self.token_digests:
            return []
        cls = AioTokenAuthInterceptor if aio else TokenAuthInterceptor
        return [cls(self.token_digests)]


def _check_token(digests: frozenset[bytes], metadata: Sequence[Any] | None) -> str | None:
    """None when the call carries an accepted token, else why it does not."""
    values = [v for k, v in (metadata or ()) if k == AUTH_HEADER]
    if not values:
        return f"missing '{AUTH_HEADER}: Bearer <token>' metadata"
    scheme, _, token = str(values[0]).partition(" ")
    if scheme.lower() != "bearer" or not token:
        return f"'{AUTH_HEADER}' metadata must be 'Bearer <token>'"
    candidate = _digest(token.strip())
    # compare with every accepted digest: no early exit that would time the match
    matched = False
    for digest in digests:
        matched |= hmac.compare_digest(candidate, digest)
    return None if matched else "invalid token"


def _denying_handler(handler: Any, reason: str, *, aio: bool) -> Any:
    """A handler of the same kind as ``handler`` that ends the call UNAUTHENTICATED."""
    code = grpc.StatusCode.UNAUTHENTICATED
    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if aio:

        async def deny_aio(_request: Any, context: Any) -> Any:
            await context.abort(code, reason)

        deny: Callable[..., Any] = deny_aio
    else:

        def deny_sync(_request: Any, context: Any) -> Any:
            context.abort(code, reason)

        deny = deny_sync
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(deny, **kwargs)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(deny, **kwargs)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(deny, **kwargs)
    return grpc.stream_stream_rpc_method_handler(deny, **kwargs)


class _TokenCheck:
    """What both interceptors do once gRPC has found the method's handler."""

    def __init__(self, digests: Iterable[bytes]) -> None:
        self._digests = frozenset(digests)

    def _guard(self, handler: Any, details: Any, *, aio: bool) -> Any:
        if handler is None or details.method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        reason = _check_token(self._digests, details.invocation_metadata)
        if reason is None:
            return handler
        logger.warning("refused %s: %s", details.method, reason)
        return _denying_handler(handler, reason, aio=aio)


class TokenAuthInterceptor(_TokenCheck, grpc.ServerInterceptor):
    """Ends every call without an accepted bearer token with UNAUTHENTICATED (sync server)."""

    def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        return self._guard(continuation(handler_call_details), handler_call_details, aio=False)


class AioTokenAuthInterceptor(_TokenCheck, grpc.aio.ServerInterceptor):
    """The same check for a ``grpc.aio`` server."""

    async def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        handler = await continuation(handler_call_details)
        return self._guard(handler, handler_call_details, aio=True)


# --- client side --------------------------------------------------------------------------


class _BearerToken(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the bearer token to every call's metadata."""

    def __init__(self, token: str) -> None:
        self._header = (AUTH_HEADER, f"Bearer {token}")

    def _with_token(self, details: Any) -> Any:
        metadata = [*(details.metadata or ()), self._header]
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._with_token(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._with_token(details), requests)


@dataclass(frozen=True)
class ChannelSecurity:
    """How a client reaches a server: TLS (``tls``, a CA to trust, a client certificate) and a
    token. The default is what a loopback server without security needs."""

    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise SecurityConfigError("a client certificate needs both --tls-cert and --tls-key")

    @classmethod
    def from_options(
        cls,
        *,
        tls: bool = False,
        ca_file: Path | None = None,
        cert_file: Path | None = None,
        key_file: Path | None = None,
        token_file: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ChannelSecurity:
        """From command-line options: a CA or client certificate implies TLS; the token from
        ``token_file`` or ``$TED_TOKEN``."""
        return cls(
            tls=tls or ca_file is not None or cert_file is not None,
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
            token=load_client_token(token_file, environ),
        )

    def credentials(self) -> grpc.ChannelCredentials:
        root = _read_pem(self.ca_file, "CA") if self.ca_file is not None else None
        key = _read_pem(self.key_file, "client key") if self.key_file is not None else None
        cert = _read_pem(self.cert_file, "client certificate") if self.cert_file else None
        return grpc.ssl_channel_credentials(
            root_certificates=root, private_key=key, certificate_chain=cert
        )

    def open_channel(self, address: str, options: Sequence[tuple[str, Any]] = ()) -> grpc.Channel:
        """A channel to ``address`` with TLS and the token as configured."""
        if self.tls:
            channel = grpc.secure_channel(address, self.credentials(), options=list(options))
        else:
            if self.token is not None and not is_loopback(address.rpartition(":")[0]):
                logger.warning("sending a token to %s without TLS", address)
            channel = grpc.insecure_channel(address, options=list(options))
        if self.token is None:
            return channel
        return grpc.intercept_channel(channel, _BearerToken(self.token))


# --- local certificates -------------------------------------------------------------------


def make_self_signed(
    directory: Path, hosts: Sequence[str] = ("localhost", "127.0.0.1"), days: int = 30
) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem``, a self-signed certificate for ``hosts``, with the
    ``openssl`` command; for trying TLS on one machine (the certificate is its own CA, so it
    serves as ``--tls-client-ca`` and as a client's CA too). Not for production."""
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    if openssl is None:
        raise SecurityConfigError("the openssl command is needed to make a certificate")
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    names = ",".join(
        f"IP:{h}" if _is_ip(h) else f"DNS:{h}" for h in hosts
    )  # subjectAltName: what TLS clients check
    command = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", str(days), "-subj", f"/CN={hosts[0]}",
        "-addext", f"subjectAltName={names}", "-keyout", str(key), "-out", str(cert),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SecurityConfigError(f"openssl failed: {done.stderr.strip()[-300:]}")
    key.chmod(0o600)
    return cert, key


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
