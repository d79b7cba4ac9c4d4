"""Stubs written out, one function per call.

Asked for a whole file, a 1.5B model writes its signatures and leaves the method's work as
`pass` under a comment ("Implement the logic to load the dataset"): gcn's data.py and
model.py were nothing else, and eight repair iterations did not turn them into a method. Asked
for one function, with the file around it, the same model writes a body. So each stub a file
is left with is asked for on its own, and put in its place only when the answer is a function
of that name that does something and the file still parses; anything else leaves the stub for
the checks and the repair loop to judge.
"""

from __future__ import annotations

import ast
import textwrap

from pydantic import BaseModel, ConfigDict

from papercoder import prompts
from papercoder.agents.coder import extract_python
from papercoder.errors import ModelOutputError
from papercoder.llm.client import ChatModel, ChatRequest, Message
from papercoder.llm.gateway import TruncatedReply
from papercoder.repair.autofix import add_imports, module_name
from papercoder.repo import parse, syntax_problem

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_Function = ast.FunctionDef | ast.AsyncFunctionDef


def is_stub(node: Definition) -> bool:
    """A function whose body does nothing (`pass`, `...`, a docstring, raising
    NotImplementedError); a class whose methods all are."""
    if isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, _Function)]
        return bool(methods) and all(is_stub(m) for m in methods)
    for statement in node.body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring, or `...`
        if isinstance(statement, ast.Raise) and "NotImplementedError" in ast.unparse(statement):
            continue
        return False
    return True


class Stub(BaseModel):
    """A function of a file that does nothing yet."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    qualname: str  # Class.method for a method


def stubs(code: str) -> list[Stub]:
    """The functions and methods of `code` that do nothing, in the file's order; not the
    abstract ones, an interface's (a Protocol's) or `__init__` with nothing to set."""
    try:
        tree = parse(code)
    except SyntaxError:
        return []
    found = []

    def visit(body: list[ast.stmt], owner: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
                if not bases & {"Protocol", "ABC"}:
                    visit(node.body, f"{owner}{node.name}.")
            elif isinstance(node, _Function) and is_stub(node) and _wanted(node):
                found.append(Stub(name=node.name, qualname=owner + node.name))

    visit(tree.body, "")
    return found


def _wanted(node: _Function) -> bool:
    decorators = {ast.unparse(d).rsplit(".", 1)[-1] for d in node.decorator_list}
    if decorators & {"abstractmethod", "overload"}:
        return False
    arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    return not (node.name == "__init__" and len(arguments) <= 1)


def fill_stubs(
    model: ChatModel,
    shared: list[Message],
    path: str,
    code: str,
    design: str,
    max_tokens: int,
    limit: int,
    elsewhere: frozenset[str] = frozenset(),
) -> tuple[str, list[str]]:
    """`code` with up to `limit` of its stubs written out, each asked for alone; and the
    qualified names of those that were. A stub of a name another module defines
    (`elsewhere`) is a copy the linker drops, and is not asked for."""
    filled: list[str] = []
    asked: set[str] = set(elsewhere)
    for _ in range(limit):
        left = [s for s in stubs(code) if s.qualname not in asked]
        if not left:
            break
        stub = left[0]
        asked.add(stub.qualname)
        task = prompts.render(
            "code_function",
            path=path,
            code=code.rstrip("\n"),
            qualname=stub.qualname,
            function=stub.name,
            design=design,
        )
        request = ChatRequest(
            agent="coder.function",
            messages=(*shared, Message(role="user", content=task)),
            max_tokens=max_tokens,
            temperature=0.0,
        )
        try:
            reply = model.complete(request)
        except (TruncatedReply, ModelOutputError):
            continue  # the stub stays: the checks and the repair loop judge it
        new = with_function(code, stub, extract_python(reply.content), module_name(path))
        if new is not None:
            code = new
            filled.append(stub.qualname)
    return code, filled


def with_function(code: str, stub: Stub, reply: str, module: str = "") -> str | None:
    """`code` with `stub` replaced by the function of that name in `reply` (at the stub's
    indentation) and the reply's imports added; None when the reply has no such function,
    has only another stub, or the file would not parse."""
    try:
        answer = parse(reply)
    except SyntaxError:
        return None
    candidates = [
        node
        for node in ast.walk(answer)
        if isinstance(node, _Function) and node.name == stub.name and not is_stub(node)
    ]
    target = _find(parse(code), stub.qualname)
    if not candidates or target is None:
        return None
    function = candidates[0]
    lines = reply.splitlines(keepends=True)
    text = textwrap.dedent("".join(lines[function.lineno - 1 : function.end_lineno]))
    indent = " " * target.col_offset
    text = textwrap.indent(text, indent) if indent else text
    rows = code.splitlines(keepends=True)
    # the stub's own decorators stay (a @staticmethod the reply leaves off)
    rows[target.lineno - 1 : target.end_lineno] = [text if text.endswith("\n") else text + "\n"]
    result = "".join(rows)
    imports = _new_imports(parse(code), answer, module)
    if imports:
        result = add_imports(result, imports) or result
    return result if syntax_problem(result, "x.py") is None else None


def _new_imports(tree: ast.Module, answer: ast.Module, module: str) -> list[str]:
    """The reply's top-level imports of names the file does not bind yet, never from the
    file's own module."""
    bound = {
        alias.asname or alias.name.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    new = []
    for node in answer.body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom) and (node.level or node.module == module):
            continue
        names = {alias.asname or alias.name.split(".")[0] for alias in node.names}
        if names - bound and "*" not in names:
            new.append(ast.unparse(node))
            bound |= names
    return new


def _find(tree: ast.Module, qualname: str) -> _Function | None:
    body: list[ast.stmt] = tree.body
    *owners, name = qualname.split(".")
    for owner in owners:
        found = [n for n in body if isinstance(n, ast.ClassDef) and n.name == owner]
        if not found:
            return None
        body = found[0].body
    functions = [n for n in body if isinstance(n, _Function) and n.name == name]
    return functions[0] if functions else None
