"""Every registered rule (`pipeline.findings.all_rules()`, all families) has a positive case somewhere in tests/.

A rule id counts as covered when it appears as a string in an expectation context:

- inside an `assert` statement (including `[rule/id]` in an expected message);
- compared (`==`, `in`, ...) inside a `test_*` function, the usual `[f for f in findings if f.rule == "..."]`
  that an assert then reads;
- in a module-level table (an UPPER_CASE name) or a `parametrize` argument, unless the row it sits in
  carries the constant `False` (a negative row of a `(rule, ..., expected)` table);
- as `expect: rule:` in a `tests/fixtures/**/expected.yml` of the bad-post corpus.

A rule with no such case fails this test; `EXCEPTIONS` lists the ones deliberately left out, with why.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import yaml
from conftest import PROJECT

from pipeline.check import CHECK_MODULES
from pipeline.findings import RULE_MODULES, all_rules

TESTS = PROJECT / "tests"

# rule id -> why it has no positive case (keep empty unless a rule cannot be triggered from a test)
EXCEPTIONS: dict[str, str] = {}


def _strings(node: ast.AST) -> Iterator[str]:
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            yield n.value


def _negative_row(node: ast.AST) -> bool:
    return isinstance(node, ast.Tuple) and any(
        isinstance(e, ast.Constant) and e.value is False and type(e.value) is bool for e in node.elts
    )


def _expectation_strings(tree: ast.Module) -> Iterator[str]:
    """Strings of a test module that sit in an assert, a comparison in a test, or a positive table row."""

    def visit(node: ast.AST, in_test: bool, in_table: bool) -> Iterator[str]:
        if isinstance(node, ast.Assert):
            yield from _strings(node)
            return
        if isinstance(node, ast.Compare) and in_test:
            yield from _strings(node)
            return
        if in_table and _negative_row(node):
            return
        if in_table and isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
            return
        if isinstance(node, ast.FunctionDef):
            in_test = in_test or node.name.startswith("test_")
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "parametrize":
                    for arg in dec.args[1:]:
                        yield from visit(arg, in_test, True)
        for child in ast.iter_child_nodes(node):
            yield from visit(child, in_test, in_table)

    for stmt in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value = [stmt.target], stmt.value
        if value is not None and any(isinstance(t, ast.Name) and t.id.isupper() for t in targets):
            yield from visit(value, False, True)
        else:
            yield from visit(stmt, False, False)


def covered_rule_ids(rule_ids: set[str]) -> set[str]:
    found: set[str] = set()
    for path in sorted(TESTS.rglob("*.py")):
        if path.name == Path(__file__).name:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for text in _expectation_strings(tree):
            if text in rule_ids:
                found.add(text)
            elif "[" in text:
                found.update(r for r in rule_ids if f"[{r}]" in text)
    for path in sorted((TESTS / "fixtures").rglob("expected.yml")):
        expect = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("expect")
        for item in expect if isinstance(expect, list) else [expect]:
            if isinstance(item, dict) and item.get("rule") in rule_ids:
                found.add(item["rule"])
    return found


def _registry() -> set[str]:
    for name in (*RULE_MODULES, *CHECK_MODULES):
        importlib.import_module(name)
    return {r.id for r in all_rules()}


def test_every_registered_rule_has_a_positive_case_in_tests() -> None:
    ids = _registry()
    assert len(ids) >= 70
    assert set(EXCEPTIONS) <= ids, "an exception names a rule that no longer exists"
    missing = sorted(ids - covered_rule_ids(ids) - set(EXCEPTIONS))
    assert missing == [], f"rules with no positive case in tests/: {missing}"


def test_the_coverage_scan_ignores_negative_rows_and_bare_mentions() -> None:
    source = """
CASES = [("rule/pos", "x", True), ("rule/neg", "y", False)]
ALLOW = {"rule": "rule/table"}
def helper():
    return [f for f in [] if f.rule == "rule/helper"]
def test_x():
    data = {"rule": "rule/bare"}
    hits = [f for f in [] if f.rule == "rule/compared"]
    assert "[rule/bracket] msg" in hits
"""
    strings = set(_expectation_strings(ast.parse(source)))
    assert {"rule/pos", "rule/table", "rule/compared", "[rule/bracket] msg"} <= strings
    assert not {"rule/neg", "rule/helper", "rule/bare"} & strings
