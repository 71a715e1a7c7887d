"""The one gate of the optional extras: import a module or name the extra that provides it.

The core needs only its declared dependencies; each optional area (``diagrams``, ``slides``,
``sim``, ``dask``, ``store``, ``testing``, ``report``) imports its packages through `require`
when it is used, so that a missing package is a `MissingExtraError` saying what to install
(``pip install 'sfd-workflow[sim]'``), never a bare ImportError from deep inside.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from sfd_workflow.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, *, feature: str, extra: str, package: str | None = None) -> Any:
    """Import `module`, or raise `MissingExtraError` naming `extra` and the missing package.

    Args:
        module: the module to import (``"graphviz"``, ``"sqlalchemy"``, ``"pptx"``).
        feature: what the user asked for, in words (``"drawing diagrams"``).
        extra: the extra of ``pyproject.toml`` that installs it (``"diagrams"``).
        package: the distribution to name when it differs from the module's top package
            (``python-pptx`` for ``pptx``).
    """
    try:
        mod: ModuleType = importlib.import_module(module)
    except MissingExtraError:
        raise
    except ImportError as exc:
        missing = package or (exc.name or module).split(".")[0]
        raise MissingExtraError(feature, extra, missing) from exc
    return mod
