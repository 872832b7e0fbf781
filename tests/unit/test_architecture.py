"""The shape of the code, checked: who may import what, and how long things may grow.

docs/ARCHITECTURE.md states the rules; each exception below says why it is one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"

# Clients of the engine's own HTTP API (they read its answers), not parts of the engine.
HTTP_CLIENTS = {"engine/cli", "engine/demo", "engine/bench", "engine/stack", "engine/chaos"}
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def modules() -> list[tuple[str, ast.Module, str]]:
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        rel = path.relative_to(ENGINE.parent).as_posix()
        text = path.read_text()
        found.append((rel, ast.parse(text), text))
    return found


def imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def offenders(rule) -> list[str]:
    return [f"{rel}: {name}" for rel, tree, _ in modules() for name in sorted(rule(rel, tree))]


def _under(rel: str, *folders: str) -> bool:
    return any(rel == f"{f}.py" or rel.startswith(f"{f}/") for f in folders)


def _matching(tree: ast.Module, pattern: str) -> set[str]:
    return {name for name in imports(tree) if re.match(pattern, name)}


def test_use_cases_depend_on_ports_not_adapters():
    def rule(rel, tree):
        if not _under(rel, "engine/usecases"):
            return set()
        return _matching(tree, r"engine\.(adapters|api|stream|cli)\b|redis\b|asyncpg|aiokafka")

    assert offenders(rule) == []


def test_the_domain_imports_nothing_outside_itself():
    def rule(rel, tree):
        if not _under(rel, "engine/domain"):
            return set()
        allowed = r"engine\.(domain|errors)\b"
        return {n for n in _matching(tree, r"engine\.") if not re.match(allowed, n)} | _matching(
            tree, r"redis\b|asyncpg|aiokafka|faust|fastapi|starlette"
        )

    assert offenders(rule) == []


def test_only_the_redis_adapter_knows_keys_and_clients():
    def rule(rel, tree):
        if _under(rel, "engine/adapters/redis"):
            return set()
        found = _matching(tree, r"engine\.adapters\.redis\.(keys|connection|replies)\b")
        if not _under(rel, "engine/adapters"):
            found |= _matching(tree, r"redis(\.|$)")
        return found

    assert offenders(rule) == []
    for rel, _, text in modules():
        if not _under(rel, "engine/adapters/redis"):
            assert not re.search(r"\b(redis|live|store)\.client\b", text), rel


def test_the_api_reaches_the_stores_only_through_use_cases():
    # The routes and the credential checks call use cases; only the composition root
    # (services.py) holds the adapters themselves.
    for rel, _, text in modules():
        if _under(rel, "engine/api") and rel != "engine/api/services.py":
            assert not re.search(r"(services\(request\)|\bs)\.(db|redis|decisions)\b", text), rel


def test_the_api_knows_no_adapter_nor_driver_error():
    # Adapters raise engine errors (BackendDown for a service down), so the routes map
    # those alone; only the composition root (services.py) builds adapters.
    def rule(rel, tree):
        if not _under(rel, "engine/api") or rel == "engine/api/services.py":
            return set()
        return _matching(tree, r"engine\.adapters|redis|asyncpg|aiokafka")

    assert offenders(rule) == []


# A storage shape in a port: Redis's hash of text, a database row, an untyped value.
STORAGE_SHAPE = re.compile(r"\bAny\b|\bRow\b|(dict|Mapping)\[str, (str|Any|object)\]")


def test_ports_speak_records_not_storage_shapes():
    def rule(rel, tree):
        if not _under(rel, "engine/usecases/ports"):
            return set()
        found = set()
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for fn in cls.body:
                if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
                    notes = [a.annotation for a in args] + [fn.returns]
                    text = " ".join(ast.unparse(n) for n in notes if n is not None)
                    if STORAGE_SHAPE.search(text):
                        found.add(f"{cls.name}.{fn.name}")
        return found

    assert offenders(rule) == []


# Words a Redis hash field shares with the rest of the engine, where they name a thing
# (a caller kind, a metric label, a decision's state) rather than how it is stored.
SHARED_WORDS = {"campaign", "merchant", "worker", "store", "acked", "taken"}


def redis_field_names() -> set[str]:
    """The hash fields the scripts read and write, less the engine's public vocabulary
    (the contract's and the events' properties, the domain's attributes and constants):
    what is left is how Redis stores a record, which only its adapter may know."""
    fields: set[str] = set()
    for lua in (ENGINE / "adapters/redis/lua").glob("*.lua"):
        for line in lua.read_text().splitlines():
            if re.search(r"redis\.call\('H[A-Z]+'", line):
                fields |= {f for f in re.findall(r"'([a-z_:]+)'", line) if f[0] != ":"}
    public = set(SHARED_WORDS)
    schemas = ENGINE.parent / "schemas"
    for path in [schemas / "openapi.json", *(schemas / "events").glob("*.json")]:
        public |= set(re.findall(r'"(\w+)":', path.read_text()))
    for rel, tree, _ in modules():
        if _under(rel, "engine/domain", "engine/usecases"):
            for node in ast.walk(tree):
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    public.add(node.target.id)
                elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                    public.add(str(node.value.value))
    return fields - public


def test_redis_field_names_stay_in_the_redis_adapter():
    storage = redis_field_names()
    assert {"face", "pcode", "refunded"} <= storage  # the check sees the scripts' fields

    def rule(rel, tree):
        if _under(rel, "engine/adapters/redis"):
            return set()
        return {
            f"{node.value!r} at line {node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (node.value in storage or node.value.rstrip("0123456789") in storage)
        }

    assert offenders(rule) == []


def test_no_function_takes_a_one_letter_parameter():
    # A parameter is read far from where it is passed: it says what it is. Lambdas and
    # comprehensions keep their short names.
    def rule(rel, tree):
        return {
            f"{node.name}({arg.arg})"
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            if len(arg.arg) == 1 and arg.arg != "_"
        }

    assert offenders(rule) == []


def test_only_the_stream_package_knows_faust():
    def rule(rel, tree):
        return set() if _under(rel, "engine/stream") else _matching(tree, r"faust|mode\b")

    assert offenders(rule) == []


def test_only_the_api_knows_http():
    def rule(rel, tree):
        if _under(rel, "engine/api", *HTTP_CLIENTS):
            return set()
        return _matching(tree, r"fastapi|starlette|uvicorn|httpx")

    assert offenders(rule) == []
    for rel, _, text in modules():
        if not _under(rel, "engine/api", *HTTP_CLIENTS):
            assert not re.search(r"status_code|\bstatus\s*=\s*[1-5]\d\d\b", text), rel
    from engine import errors

    assert not [e for e in vars(errors).values() if hasattr(e, "status")]


def test_functions_and_modules_stay_short():
    long = []
    for rel, tree, text in modules():
        if text.count("\n") > MAX_MODULE_LINES:
            long.append(f"{rel}: {text.count(chr(10))} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{rel}: {node.name} has {lines} lines")
    assert long == []


def test_no_test_module_imports_another_or_a_conftest():
    # Shared helpers live in tests/helpers; fixtures reach tests through pytest.
    tests = ENGINE.parent / "tests"
    for path in tests.rglob("*.py"):
        if "node_modules" in path.parts:
            continue
        text = path.read_text()
        found = re.findall(r"^from tests\.\w+\.(test_\w+|conftest) import", text, re.MULTILINE)
        assert not found, f"{path.relative_to(tests)} imports {found}"


def test_the_readme_layout_names_every_package_and_top_level_folder():
    readme = (ENGINE.parent / "README.md").read_text()
    layout = readme[readme.index("Layout (") : readme.index("## The API")]
    packages = [p for p in ENGINE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    named = [f"engine/{p.name}" for p in packages]
    named += [f"engine/{p.name}" for p in ENGINE.glob("*.py") if p.name != "__init__.py"]
    named += [f"{p.name}/" for p in ENGINE.parent.iterdir() if p.name in TOP_LEVEL]
    assert [n for n in named if f"`{n}" not in layout] == []


# The repository's own folders (not the build's or the tools' caches).
TOP_LEVEL = {"engine", "schemas", "loadtest", "ops", "tests", "docs"}
