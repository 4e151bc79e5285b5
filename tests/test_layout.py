"""The package layout shows the flow, and imports run one way: a stage never imports a later one."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "chatbot"
# Lower layers first. A module may import its own layer or lower ones, never a higher one.
LAYERS = [
    {"errors", "config", "settings_doc", "fileutils", "textutils", "models", "collection"},
    {"ingest"},
    {"index"},
    {"engines", "model_server"},
    {"answer"},
    {"bot", "presentation"},
    {"evaluation", "cli", "server", "__main__", "__init__"},
]


def layer_of(module: str) -> int:
    top = module.split(".")[1] if module.startswith("chatbot.") else module
    return next(i for i, names in enumerate(LAYERS) if top in names)


def imports(path: Path) -> list[str]:
    """The chatbot modules a file imports, as absolute names."""
    package = "chatbot." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rstrip(".").split(".")
            base = base[: len(base) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            found += [target] if node.module else [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chatbot"):
            found.append(node.module)
    return [f for f in found if f.startswith("chatbot.") and f != "chatbot."]


def test_every_module_belongs_to_a_layer():
    for path in PACKAGE.rglob("*.py"):
        module = "chatbot." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        layer_of(module)  # raises StopIteration for a module no layer names


def test_no_module_imports_a_later_stage():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        module = "chatbot." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        wrong += [f"{module} -> {target}" for target in imports(path) if layer_of(target) > layer_of(module)]
    assert not wrong, wrong


def test_the_app_talks_to_the_engine_not_its_insides():
    source = (PACKAGE.parent / "app.py").read_text(encoding="utf-8")
    assert "chatbot.index" not in source and "chatbot.ingest" not in source and ".manifest" not in source
