"""Loads a function's handler the way the Lambda runtime does: from its code folder, by file path."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from connect_zendesk_local.cfn_template import FunctionSpec

Handler = Callable[[Any, Any], Any]


def load_handler(spec: FunctionSpec) -> Handler:
    module_file, _, attribute = spec.handler.rpartition(".")
    path = spec.code_dir / f"{module_file.replace('.', '/')}.py"
    # Each function's module is "app"; a unique module name keeps them apart in one process.
    module_name = f"functions.{spec.name}.{module_file}"
    module = sys.modules.get(module_name) or _import(module_name, path)
    handler = getattr(module, attribute)
    if not callable(handler):
        raise TypeError(f"{spec.handler} in {path} is not callable")
    return handler  # type: ignore[no-any-return]


def _import(module_name: str, path: Any) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def forget_loaded_handlers() -> None:
    """Drop imported handler modules: the next call imports them again, like a new Lambda container."""
    for name in [n for n in sys.modules if n.startswith("functions.")]:
        del sys.modules[name]
