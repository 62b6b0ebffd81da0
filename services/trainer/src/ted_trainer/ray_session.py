"""Connecting to Ray: a local instance by default, a cluster when given its address.

An unreachable address must give a clear error quickly instead of Ray's long retries, so a
``host:port`` address is probed with a plain TCP connect first.
"""

from __future__ import annotations

import logging
import socket
import threading

from ted_trainer.errors import RayUnavailableError

logger = logging.getLogger(__name__)
_lock = threading.Lock()
PROBE_TIMEOUT_S = 3.0


def probe_address(address: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise ``RayUnavailableError`` unless ``host:port`` (or ``ray://host:port``) accepts TCP."""
    if address in ("auto", "local"):
        return
    target = address.split("://", 1)[-1]
    host, sep, port_text = target.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise RayUnavailableError(
            f"Ray address {address!r} is not of the form host:port, ray://host:port or 'auto'"
        )
    try:
        with socket.create_connection((host, int(port_text)), timeout=timeout):
            pass
    except OSError as e:
        raise RayUnavailableError(
            f"cannot reach the Ray cluster at {address}: {e.strerror or e}"
            " (is `ray start --head` running there, and the port open?)"
        ) from e


def ensure_ray(address: str | None = None, *, num_cpus: int | None = None) -> None:
    """Connect this process to Ray once; reuse an existing connection."""
    import ray

    if address:
        probe_address(address)
    with _lock:
        if ray.is_initialized():
            return
        try:
            if address:
                ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
            else:
                ray.init(num_cpus=num_cpus, logging_level=logging.WARNING, log_to_driver=False)
        except (ConnectionError, RuntimeError, TimeoutError) as e:
            where = address or "a local instance"
            raise RayUnavailableError(f"cannot connect to Ray at {where}: {e}") from e
        logger.info("connected to Ray: %s", ray.cluster_resources())
