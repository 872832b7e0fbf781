"""The clients generated from schemas/openapi.json type-check: the Python package and
flow.py under mypy --strict, the TypeScript types under tsc --strict (flow.ts). The
Python flow runs against the stack in tests/integration/test_generated_clients.py."""

from __future__ import annotations

import sys

from tests.clients import generate


def test_the_generated_python_client_and_the_flow_type_check(tmp_path):
    out = generate.python_client(tmp_path)
    checked = generate.run(
        sys.executable, "-m", "mypy", "--config-file", generate.HERE / "mypy.ini",
        "nuanxin_client", "flow.py", cwd=out,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Every success of the main flow is a named model, not an anonymous dictionary.
    models = {p.stem for p in (out / "nuanxin_client" / "models").glob("*.py")}
    assert {"claim_out", "verify_out", "redemption_out", "problem", "programme_out"} <= models


def test_the_generated_typescript_types_type_check():
    generate.typescript_types()
    checked = generate.run(generate.node_tool("tsc"), "-p", generate.HERE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
