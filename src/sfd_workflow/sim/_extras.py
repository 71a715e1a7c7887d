"""Lazy imports of the ``sim`` extra's packages, failing with `MissingExtraError`."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from sfd_workflow.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, *, feature: str = "simulation", extra: str = "sim",
            package: str | None = None) -> Any:
    """Import `module`, or raise `MissingExtraError` naming the extra that provides it."""
    try:
        mod: ModuleType = importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(feature, extra, package or module.split(".")[0]) from exc
    return mod
