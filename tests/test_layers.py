"""The import graph of the `unirag` package: no cycles between modules, and no import upwards
across the layers rag <- parsers <- pipelines <- eval <- shells (the CLI and the chat server).
Imports inside functions count too: a lazy import is still a dependency."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("rag", "parsers", "pipelines", "eval")
SHELLS = ("unirag.pipelines.cli", "unirag.pipelines.chat")
LAYERS = ("unirag.rag", "unirag.parsers", "unirag.pipelines", "unirag.eval", "shells")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(("unirag",) + (parts[:-1] if parts[-1] == "__init__" else parts))


def modules() -> dict[str, Path]:
    found = {module_name(p): p for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))}
    found["unirag"] = ROOT / "unirag" / "__init__.py"
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The unirag modules `name` imports (`from a.b import c` counts as a.b.c when that is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        out.update(t for t in targets if t in known and t != name)
    return out


def layer(name: str) -> int:
    if name == "unirag":  # the package itself: a version and lazy exports, no imports
        return 0
    if name.startswith(SHELLS):
        return len(LAYERS) - 1
    return next(i for i, prefix in enumerate(LAYERS) if name == prefix or name.startswith(prefix + "."))


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def test_no_import_goes_up_a_layer():
    upward = [f"{a} -> {b}" for a, targets in graph().items() for b in sorted(targets)
              if layer(b) > layer(a)]
    assert not upward


def test_no_import_cycles():
    edges = graph()
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles
