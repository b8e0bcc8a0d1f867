"""Subcommands of the ``crawler`` CLI; each module exposes ``register(subparsers)`` and ``run(args)``."""
