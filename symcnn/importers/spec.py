"""SPEC -> model: `package.module:callable` or `path/to/file.py:callable`, called with no arguments.

symcnn does not patch the user's packages: when an import fails, the error
says which import and why.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from ..errors import SymcnnError

HINT = "SPEC is package.module:callable or path/to/file.py:callable, e.g. torchvision.models:resnet18"


def load_model(spec: str):
    """Import SPEC's module and call its callable with no arguments."""
    where, colon, name = spec.rpartition(":")
    if not colon or not where or not name.isidentifier():
        raise SymcnnError(f"SPEC '{spec}' names no callable", hint=HINT)
    module = _import(where)
    target = getattr(module, name, None)
    if target is None:
        raise SymcnnError(f"{where} has no '{name}'", hint=HINT)
    if not callable(target):
        raise SymcnnError(f"{where}:{name} is not callable", hint=HINT)
    try:
        return target()
    except Exception as error:  # noqa: BLE001 - the user's code may raise anything
        raise SymcnnError(f"calling {where}:{name}() failed: {type(error).__name__}: {error}") from None


def _import(where: str):
    try:
        if where.endswith(".py") or "/" in where or "\\" in where:
            path = Path(where)
            if not path.is_file():
                raise SymcnnError(f"no such file: {where}", hint=HINT)
            module_spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules.setdefault(path.stem, module)
            module_spec.loader.exec_module(module)
            return module
        return importlib.import_module(where)
    except SymcnnError:
        raise
    except BaseException as error:  # an import can fail in any way, SystemExit included
        if isinstance(error, KeyboardInterrupt):
            raise
        failed = getattr(error, "name", None)
        which = f" (importing '{failed}')" if failed and failed != where else ""
        raise SymcnnError(
            f"cannot import {where}{which}: {type(error).__name__}: {error}",
            hint="the module must import on its own; symcnn does not patch packages",
        ) from None
