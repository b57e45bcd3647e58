"""Build backends by short name (txtai-style factories) and import optional packages lazily.

Component configs are data: they may come from a store's metadata, a shared Chroma server or a
request as well as from the user's own config. So `build` only instantiates registered classes,
with option names checked against the constructor and values of plain (JSON) types. A dotted
class path is imported only when the caller passes ``allow_imports=True``, which the pipeline
does only for the user's own config or command line (`allow_imports: true` / `--allow-imports`),
never for stored metadata.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any

ALLOW_IMPORTS = "allow_imports"  # constructor flag that `build` passes on, never read from a config
_PLAIN = (str, int, float, bool, type(None))
# Python type names a constructor annotation may use, and the config values each accepts.
_ANNOTATED = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "None": (type(None),),
              "dict": (dict,), "list": (list, tuple), "tuple": (list, tuple), "Sequence": (list, tuple)}


def _is_plain(value: Any) -> bool:
    """True for JSON-like values: scalars, and lists/dicts of them with string keys."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _accepts(annotation: Any, value: Any) -> bool:
    """Whether `value` fits a simple annotation such as ``float`` or ``"dict[str, float] | None"``;
    annotations it cannot read accept any plain value."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    kinds: list[type] = []
    for part in text.split("|"):
        base = part.strip().split("[")[0].strip()
        if base not in _ANNOTATED:
            return True
        kinds.extend(_ANNOTATED[base])
    if isinstance(value, bool) and bool not in kinds:
        return False  # True is an int to Python, not to a config reader
    return isinstance(value, tuple(kinds))


def _check_options(kind: str, name: str, cls: type[Any], options: dict) -> None:
    params = inspect.signature(cls.__init__).parameters
    if ALLOW_IMPORTS in options:
        raise ValueError(f"{kind} {name!r}: {ALLOW_IMPORTS!r} is not a component option; set it on the "
                         "pipeline (allow_imports: true in your config, or --allow-imports)")
    open_ended = any(p.kind is p.VAR_KEYWORD for p in params.values())
    valid = sorted(n for n, p in params.items() if n not in ("self", ALLOW_IMPORTS)
                   and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    for key, value in options.items():
        if key not in params and not open_ended:
            raise ValueError(f"{kind} {name!r}: unknown option {key!r}; expected some of {valid}")
        if not _is_plain(value):
            raise ValueError(f"{kind} {name!r}: option {key!r} expected a plain value (text, number, "
                             f"true/false, list or mapping), got {type(value).__name__}")
        param = params.get(key)
        if param is not None and param.annotation is not param.empty and not _accepts(param.annotation, value):
            raise ValueError(f"{kind} {name!r}: option {key!r} expected {param.annotation}, got {value!r}")


def resolve(kind: str, name: object, registry: dict[str, str], allow_imports: bool = False) -> type[Any]:
    """The class registered as `name`, or, with `allow_imports`, the class a dotted path names."""
    if not isinstance(name, str):
        raise ValueError(f"Unknown {kind} {name!r}: expected a name, one of {sorted(registry)}")
    target = registry.get(name)
    if target is None:
        if "." in name and not allow_imports:
            raise ValueError(f"Unknown {kind} {name!r}: expected one of {sorted(registry)}; a dotted class "
                             "path is imported only from your own config with allow_imports: true "
                             "(or --allow-imports), never from a store or a request")
        if "." not in name:
            raise ValueError(f"Unknown {kind} {name!r}: expected one of {sorted(registry)}")
        target = name
    module_name, _, attr = target.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"Cannot load {kind} {name!r} from {target!r}: {e}") from e


def build(kind: str, name: object, registry: dict[str, str], options: dict | None = None,
          allow_imports: bool = False) -> Any:
    """Instantiate the backend called `name` from `registry` ({short name: dotted class path}).

    >>> build("encoder", "hash", {"hash": "unirag.rag.encoders.hashing.HashEncoder"}, {"dim": 8}).dim
    8
    >>> build("encoder", "subprocess.Popen", {}, {"args": ["true"]})
    Traceback (most recent call last):
    ...
    ValueError: Unknown encoder 'subprocess.Popen': expected one of []; a dotted class path is imported only from your own config with allow_imports: true (or --allow-imports), never from a store or a request
    """
    options = dict(options or {})
    cls = resolve(kind, name, registry, allow_imports)
    _check_options(kind, str(name), cls, options)
    if ALLOW_IMPORTS in inspect.signature(cls.__init__).parameters:
        options[ALLOW_IMPORTS] = allow_imports  # components that build components pass it on
    return cls(**options)


def from_config(kind: str, config: object, registry: dict[str, str], allow_imports: bool = False,
                default: str | None = None) -> Any:
    """Build from a ``{"name": ..., **options}`` mapping (its `to_dict()`)."""
    if not isinstance(config, dict):
        raise ValueError(f"{kind} config: expected a mapping with a 'name', got {config!r}")
    options = dict(config)
    name = options.pop("name", default)
    if name is None:
        raise ValueError(f"{kind} config: expected a 'name' (one of {sorted(registry)}), got {config!r}")
    return build(kind, name, registry, options, allow_imports)


def require(module: str, extra: str) -> Any:
    """Import an optional dependency or fail with the pip command that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"{module!r} is needed for this feature: pip install 'unirag[{extra}]' ({e})"
        ) from e
