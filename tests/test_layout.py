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
    {"bot", "presentation", "page_images"},
    {"library"},
    {"evaluation", "cli", "library_cli", "server", "__main__", "__init__"},
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
    unplaced = []
    for path in PACKAGE.rglob("*.py"):
        module = "chatbot." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        top = module.split(".")[1]
        if not any(top in names for names in LAYERS):
            unplaced.append(module)
    assert not unplaced, f"modules no layer names: {unplaced}"


def test_no_module_imports_a_later_stage():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        module = "chatbot." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        wrong += [f"{module} -> {target}" for target in imports(path) if layer_of(target) > layer_of(module)]
    assert not wrong, wrong


# The engine's insides: the front ends (app, CLI, HTTP API, evaluation) ask `Chatbot`, never these.
INSIDES = {"index", "retriever", "parts", "judge", "vectors", "embedder", "answerability", "_generator"}
FRONT_ENDS = [PACKAGE.parent / "app.py", PACKAGE / "cli.py", PACKAGE / "library_cli.py", PACKAGE / "server.py",
              *sorted((PACKAGE / "evaluation").glob("*.py"))]


def reach_throughs(source: str) -> list[str]:
    """`bot.index…`, `bot.retriever…` and the like, and any attribute of the generator (`bot.generator.busy`):
    the front end reaching past the engine's front door."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "bot" and node.attr in INSIDES:
            found.append(f"bot.{node.attr} (line {node.lineno})")
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "generator"
                and isinstance(node.value.value, ast.Name) and node.value.value.id == "bot"):
            found.append(f"bot.generator.{node.attr} (line {node.lineno})")
    return sorted(found, key=lambda f: int(f.rsplit(" ", 1)[1].rstrip(")")))


def test_the_reach_through_check_finds_what_it_looks_for():
    assert reach_throughs("bot.index.manifest.n_chunks\nbot.generator.busy\nbot.ask(q)") == [
        "bot.index (line 1)", "bot.generator.busy (line 2)"]


def test_the_front_ends_talk_to_the_engine_not_its_insides():
    wrong = {path.name: found for path in FRONT_ENDS if (found := reach_throughs(path.read_text(encoding="utf-8")))}
    assert not wrong, wrong
    for path in FRONT_ENDS:
        source = path.read_text(encoding="utf-8")
        assert "chatbot.index" not in source and "chatbot.ingest" not in source and ".manifest" not in source, path.name
