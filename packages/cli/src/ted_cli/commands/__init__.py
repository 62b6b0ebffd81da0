"""Subcommands of ``ted``; each module exposes ``register(subparsers)``."""
