"""Command-line options for TLS and tokens, on the servers and on their clients.

The option names are the same everywhere (``--tls-cert``, ``--tls-key``, ``--token-file``);
the objects they build live in ``ted_client.security``, imported only when a command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ted_cli.errors import CliError


def add_security_options(p: argparse.ArgumentParser) -> None:
    """TLS, client certificates and tokens of a server (``ted_client.security``)."""
    g = p.add_argument_group("security (required to bind an address other than loopback)")
    g.add_argument("--tls-cert", type=Path, default=None, help="server certificate chain (PEM)")
    g.add_argument("--tls-key", type=Path, default=None, help="private key of --tls-cert (PEM)")
    g.add_argument(
        "--tls-client-ca",
        type=Path,
        default=None,
        help="require client certificates signed by this CA (PEM)",
    )
    g.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="accepted bearer tokens, one per line (also $TED_AUTH_TOKENS; never on the "
        "command line)",
    )
    g.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback --host without TLS and tokens (logged as a warning)",
    )


def server_security(args: argparse.Namespace) -> Any:
    """The ``ServerSecurity`` the options describe; a CliError says what is wrong."""
    try:
        from ted_client.security import SecurityConfigError, ServerSecurity, load_server_tokens
    except ImportError as e:
        raise CliError(f"the client package is not installed ({e}); install ted-cli[serve]") from e
    try:
        security = ServerSecurity(
            cert_file=args.tls_cert,
            key_file=args.tls_key,
            client_ca_file=args.tls_client_ca,
            token_digests=load_server_tokens(args.token_file),
            insecure=args.insecure,
        )
        if security.tls:
            security.credentials()  # unreadable or non-PEM files are reported before binding
        security.check_bind(args.host)
    except SecurityConfigError as e:
        raise CliError(str(e)) from e
    return security


def add_client_security_options(p: argparse.ArgumentParser) -> None:
    """TLS and the token of a client (``ted predict``, ``ted sweep --trainer``)."""
    g = p.add_argument_group("security")
    g.add_argument("--tls", action="store_true", help="use TLS (trusting the system's CAs)")
    g.add_argument("--tls-ca", type=Path, default=None, help="CA to trust (PEM); implies --tls")
    g.add_argument("--tls-cert", type=Path, default=None, help="client certificate (PEM)")
    g.add_argument("--tls-key", type=Path, default=None, help="key of --tls-cert (PEM)")
    g.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="file holding the bearer token to send (default: $TED_TOKEN)",
    )


def client_security(args: argparse.Namespace) -> Any:
    """The ``ChannelSecurity`` the options describe; a CliError says what is wrong."""
    try:
        from ted_client.security import ChannelSecurity, SecurityConfigError
    except ImportError as e:
        raise CliError(f"the client package is not installed ({e}); pip install ted-client") from e
    try:
        security = ChannelSecurity.from_options(
            tls=args.tls,
            ca_file=args.tls_ca,
            cert_file=args.tls_cert,
            key_file=args.tls_key,
            token_file=args.token_file,
        )
        if security.tls:
            security.credentials()  # unreadable or non-PEM files are reported before calling
    except SecurityConfigError as e:
        raise CliError(str(e)) from e
    return security
