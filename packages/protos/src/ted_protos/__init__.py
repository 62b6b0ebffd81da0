"""Generated protobuf and gRPC code for the ted.v1 API."""

from ted_protos.version import __version__

__all__ = ["__version__"]
