"""What a test checks, read from its syntax tree: per test function, the checks that can
fail (asserts that are not tautologies, not swallowed by `try` or `suppress`, not dead after a
return or under `if False`; `assert*` helper calls; `pytest.raises`), and whether a return
comes before the first of them. The repair guards compare these before and after an edit.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

_BROAD = {"AssertionError", "Exception", "BaseException"}


@dataclass(frozen=True)
class FunctionChecks:
    """One test function: how many of its checks can fail, and whether it may return first."""

    checks: int
    early_return: bool


def tests_of(tree: ast.Module) -> dict[str, FunctionChecks]:
    """Each test function by qualified name: its live checks, and whether a return comes
    before its first check."""
    found: dict[str, FunctionChecks] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            found[node.name] = _test(node)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    item.name.startswith("test")
                ):
                    found[f"{node.name}.{item.name}"] = _test(item)
    return found


def _test(node: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionChecks:
    nodes = list(own_nodes(node.body))
    first_check = min(
        (n.lineno for n in nodes if _is_check(n) and isinstance(n, ast.expr | ast.stmt)),
        default=None,
    )
    early = any(
        isinstance(n, ast.Return) and (first_check is None or n.lineno < first_check) for n in nodes
    )
    return FunctionChecks(_live_checks(node.body), early)


def own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of a function body, without those of functions or classes defined in it."""
    nested = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    stack: list[ast.AST] = [node for node in body if not isinstance(node, nested)]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, nested):
                stack.append(child)


def _is_check(node: ast.AST) -> bool:
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Call):
        last = dotted(node.func).rsplit(".", 1)[-1]
        return last.lower().startswith("assert") or last in ("raises", "warns", "fail")
    return False


def _live_checks(body: list[ast.stmt]) -> int:
    """Checks that can fail: not tautologies, not swallowed, not after a return or raise."""
    total = 0
    for stmt in body:
        total += _stmt_checks(stmt)
        if isinstance(stmt, ast.Return | ast.Raise | ast.Continue | ast.Break):
            break
    return total


def _stmt_checks(stmt: ast.stmt) -> int:
    if isinstance(stmt, ast.Assert):
        return 0 if tautology(stmt.test) else 1
    if isinstance(stmt, ast.Expr):
        return sum(1 for n in ast.walk(stmt.value) if _is_check(n))
    if isinstance(stmt, ast.If):
        truth = constant(stmt.test)
        if truth is None:
            return _live_checks(stmt.body) + _live_checks(stmt.orelse)
        return _live_checks(stmt.body if truth else stmt.orelse)
    if isinstance(stmt, ast.For | ast.AsyncFor):
        return 0 if empty(stmt.iter) else _live_checks(stmt.body) + _live_checks(stmt.orelse)
    if isinstance(stmt, ast.While):
        return 0 if constant(stmt.test) is False else _live_checks(stmt.body)
    if isinstance(stmt, ast.With | ast.AsyncWith):
        names = [
            dotted(i.context_expr.func) for i in stmt.items if isinstance(i.context_expr, ast.Call)
        ]
        if any(n.rsplit(".", 1)[-1] == "suppress" for n in names):
            return 0
        raises = sum(
            1 for n in names if n.rsplit(".", 1)[-1] in ("raises", "warns", "assertRaises")
        )
        return raises + _live_checks(stmt.body)
    if isinstance(stmt, ast.Try | ast.TryStar):
        broad = any(_broad(h) for h in stmt.handlers)
        inner = 0 if broad else _live_checks(stmt.body)
        handlers = sum(_live_checks(h.body) for h in stmt.handlers)
        return inner + handlers + _live_checks(stmt.orelse) + _live_checks(stmt.finalbody)
    if isinstance(stmt, ast.Match):
        return sum(_live_checks(case.body) for case in stmt.cases)
    return 0


def _broad(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(dotted(k).rsplit(".", 1)[-1] in _BROAD for k in kinds)


def constant(node: ast.expr) -> bool | None:
    """The truth of an expression that is a literal, or None."""
    try:
        return bool(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def tautology(test: ast.expr) -> bool:
    """An assert that cannot fail: a true literal, a non-empty tuple, `x or True`, `x == x`."""
    if constant(test) is True or (isinstance(test, ast.Tuple) and test.elts):
        return True
    if isinstance(test, ast.BoolOp):
        parts = [tautology(v) for v in test.values]
        return any(parts) if isinstance(test.op, ast.Or) else all(parts)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return constant(test.operand) is False
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        same = ast.dump(test.left) == ast.dump(test.comparators[0])
        return same and isinstance(test.ops[0], ast.Eq | ast.Is | ast.LtE | ast.GtE)
    if isinstance(test, ast.Call) and dotted(test.func) == "isinstance" and len(test.args) == 2:
        return dotted(test.args[1]) == "object"
    return isinstance(test, ast.Lambda)


def empty(node: ast.expr) -> bool:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return not node.elts
    if isinstance(node, ast.Dict):
        return not node.keys
    if isinstance(node, ast.Call) and dotted(node.func) == "range" and node.args:
        return all(constant(a) is False for a in node.args[:1]) and len(node.args) == 1
    return False


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def module_rebinds(tree: ast.Module, tests: dict[str, FunctionChecks]) -> set[str]:
    """Test names assigned or deleted at module level (pytest then collects something else)."""
    names = {n for n in tests if "." not in n}
    found: set[str] = set()
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        found |= {t.id for t in targets if isinstance(t, ast.Name) and t.id in names}
    return found
