"""Build backends by short name (txtai-style factories) and import optional packages lazily."""
from __future__ import annotations

import importlib
from typing import Any


def build(kind: str, name: str, registry: dict[str, str], **options: Any) -> Any:
    """Instantiate the backend called `name` from `registry` ({short name: dotted class path}).

    A dotted path such as ``mypkg.encoders.MyEncoder`` is accepted as a fallback.
    """
    target = registry.get(name) or (name if "." in name else None)
    if target is None:
        raise ValueError(
            f"Unknown {kind} {name!r}: expected one of {sorted(registry)} or a dotted class path"
        )
    module_name, _, attr = target.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"Cannot load {kind} {name!r} from {target!r}: {e}") from e
    return cls(**options)


def require(module: str, extra: str) -> Any:
    """Import an optional dependency or fail with the pip command that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"{module!r} is needed for this feature: pip install 'unirag[{extra}]' ({e})"
        ) from e
