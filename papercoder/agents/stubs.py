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
import io
import re
import textwrap
import tokenize
from collections.abc import Callable, Iterator

from pydantic import BaseModel, ConfigDict, Field

from papercoder import prompts
from papercoder.agents.coder import extract_python, salvage, unfenced
from papercoder.errors import ModelOutputError
from papercoder.llm.client import ChatModel, ChatRequest, ContextLengthExceeded, Message
from papercoder.llm.gateway import TruncatedReply
from papercoder.llm.loops import before_loop
from papercoder.repair.autofix import add_imports, module_name
from papercoder.repo import parse, source_lines, syntax_problem

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
    line: int  # where its `def` is
    why: str = "does nothing yet"
    faults: int = Field(default=1, ge=1, description="how many things `why` lists as wrong")
    afresh: bool = Field(
        default=False,
        description="shown without its body (or with `shown` as its body): what is wrong is"
        " all of it",
    )
    shown: str = Field(
        default="",
        description="shown afresh, the body it has in the question instead (the tool's start"
        " of it: adam's loop with Algorithm 1's lines as comments)",
    )


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
                if not _interface(node):
                    visit(node.body, f"{owner}{node.name}.")
            elif isinstance(node, _Function) and is_stub(node) and _wanted(node):
                found.append(Stub(name=node.name, qualname=owner + node.name, line=node.lineno))

    visit(tree.body, "")
    return found


# calls that read a data file: numpy's, pandas', an image reader's (`open` is looked at apart)
_READERS = {
    "loadtxt", "genfromtxt", "fromfile", "read_csv", "read_table", "read_json", "read_parquet",
    "read_excel", "read_pickle", "imread",
}  # fmt: skip
_LOADING_MODULES = {"np", "numpy", "torch", "joblib"}  # whose `load(path)` reads a file


def readers(code: str, present: frozenset[str]) -> list[Stub]:
    """The functions and methods of `code` that read a data file the repository does not have
    (t-SNE's `load_data(file_path)` opening the path it is given): no data file exists in
    the sandbox, so the smoke run and the tests fail there. A read counts when it names a
    file the repository lacks, or reads a parameter whose default names one, or, in a
    function named for loading data (`load_data`, `read_dataset`), a parameter with no
    default. A file the repository has (config.yaml), a temporary path, an in-memory
    buffer or another variable does not count; `present` holds the repository's paths."""
    try:
        tree = parse(code)
    except SyntaxError:
        return []
    names = {p.rsplit("/", 1)[-1] for p in present}
    found = []
    why = "reads a data file, and no data file exists"
    for qualname, node in _functions(tree.body, ""):
        if any(_reads_absent(c, names, node) for c in ast.walk(node) if isinstance(c, ast.Call)):
            found.append(Stub(name=node.name, qualname=qualname, line=node.lineno, why=why))
    return found


def _functions(body: list[ast.stmt], owner: str) -> Iterator[tuple[str, _Function]]:
    """The functions of `body` and the methods of its classes, with their qualified names."""
    for node in body:
        if isinstance(node, ast.ClassDef):
            yield from _functions(node.body, f"{owner}{node.name}.")
        elif isinstance(node, _Function):
            yield owner + node.name, node


_DATA_LOADER = re.compile(r"^_?(?:load|read|get|fetch|open)_?\w*?(?:data|dataset|graph|corpus)")
_TEMPORARY = {"tmp_path", "tmpdir", "StringIO", "BytesIO", "TemporaryDirectory", "mkdtemp"}


def _reads_absent(call: ast.Call, names: set[str], function: _Function) -> bool:
    func = call.func
    if isinstance(func, ast.Name) and func.id == "open":
        mode = call.args[1] if len(call.args) > 1 else None
        mode = next((k.value for k in call.keywords if k.arg == "mode"), mode)
        if isinstance(mode, ast.Constant) and set(str(mode.value)) & set("wax+"):
            return False  # it writes
    elif not (
        isinstance(func, ast.Attribute)
        and (
            func.attr in _READERS
            or (func.attr == "load" and getattr(func.value, "id", "") in _LOADING_MODULES)
        )
    ):
        return False
    if not call.args:
        return False
    path = call.args[0]
    if any(getattr(n, "id", getattr(n, "attr", "")) in _TEMPORARY for n in ast.walk(path)):
        return False
    if isinstance(path, ast.Name):
        default = _default(function, path.id)
        if default is None:
            return False  # not a parameter: a variable of the function's own
        if isinstance(default, ast.Constant) and default.value is None:
            return bool(_DATA_LOADER.match(function.name))  # no default: read what it is given
        path = default
    named = [
        str(c.value).rsplit("/", 1)[-1]
        for c in ast.walk(path)
        if isinstance(c, ast.Constant) and isinstance(c.value, str)
    ]
    return bool(named) and not set(named) & names


def _default(function: _Function, name: str) -> ast.expr | None:
    """The default of `function`'s parameter `name` (a None constant for none), or None when
    `name` is no parameter of it."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=True),
    ]
    for arg, value in pairs:
        if arg.arg == name:
            return value if value is not None else ast.Constant(value=None)
    return None


def _interface(node: ast.ClassDef) -> bool:
    """A Protocol or an abstract base class: its empty methods are meant to be."""
    roots = set()
    for base in [*node.bases, *(k.value for k in node.keywords if k.arg == "metaclass")]:
        while isinstance(base, ast.Subscript | ast.Attribute):
            base = base.value if isinstance(base, ast.Subscript) else ast.Name(id=base.attr)
        roots.add(getattr(base, "id", ""))
    return bool(roots & {"Protocol", "ABC", "ABCMeta"})


def _wanted(node: _Function) -> bool:
    decorators = {ast.unparse(d).rsplit(".", 1)[-1] for d in node.decorator_list}
    if decorators & {"abstractmethod", "overload"}:
        return False
    arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    return not (node.name == "__init__" and len(arguments) <= 1)


_PLACEHOLDER = re.compile(
    r"#.*\b(placeholder|actual (implementation|logic|computation)|todo|your (code|logic)"
    r"|replace (this|with))\b",
    re.I,
)
_RANDOM = re.compile(r"^(np|numpy)\.random\.|^random\.|\.(rand|randn|random|normal|uniform)$")


def placeholder(code: str, name: str) -> str | None:
    """What makes the function `name` of `code` a placeholder, or None: a comment saying
    it is one ("This is a placeholder for the actual implementation"), or, for a function
    that does not make data, a result drawn at random (asked for `Model.loss`, a 1.5B model
    answered `return np.random.rand()`)."""
    try:
        tree = parse(code)
    except SyntaxError:
        return None
    node = next((n for n in ast.walk(tree) if isinstance(n, _Function) and n.name == name), None)
    if node is None:
        return None
    rows = source_lines(code)[node.lineno - 1 : node.end_lineno]
    if any(_PLACEHOLDER.search(row) for row in rows):
        return "it says it is a placeholder"
    if re.search(r"data|sample|random|init", name):
        return None
    drawn = [
        child
        for child in ast.walk(node)
        if isinstance(child, ast.Return)
        and isinstance(child.value, ast.Call)
        and _RANDOM.search(ast.unparse(child.value.func))
    ]
    return "it returns random numbers" if drawn else None


def fill_stubs(
    model: ChatModel,
    shared: list[Message],
    path: str,
    code: str,
    design: str | Callable[[Stub], str],
    max_tokens: int,
    limit: int,
    elsewhere: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
    targets: Callable[[str], list[Stub]] = stubs,
    last: frozenset[str] = frozenset(),
    judged: Callable[[str], str] | None = None,
) -> tuple[str, list[str]]:
    """`code` with up to `limit` of its stubs written out, each asked for alone; and the
    qualified names of those that were. A stub of a name another module defines
    (`elsewhere`) is a copy the linker drops, and is not asked for; `only`: the stubs to ask
    for, when not all; `last`: the names asked for after the others (`__init__`, written
    seeing what the other methods read); `design`: what each is shown of how to write it,
    the same for all or by stub; `judged`: the code an answer is judged by, the file as the
    tool will mend it (adam's step reading `beta1` bare, which the tool reads from self)."""
    filled: list[str] = []
    asked: set[str] = set()
    for _ in range(limit):
        left = [
            s
            for s in targets(code)
            if s.qualname not in asked
            and s.qualname.split(".")[0] not in elsewhere
            and (only is None or s.qualname in only)
        ]
        if not left:
            break
        stub = min(left, key=lambda s: s.name in last)  # the first of those not last
        asked.add(stub.qualname)
        task = prompts.render(
            "code_function",
            path=path,
            code=(emptied(code, stub) if stub.afresh else code).rstrip("\n"),
            qualname=stub.qualname,
            why=stub.why,
            function=stub.name,
            design=design if isinstance(design, str) else design(stub),
        )
        request = ChatRequest(
            agent="coder.function",
            messages=(*shared, Message(role="user", content=task)),
            max_tokens=max_tokens,
            temperature=0.0,
        )
        answer = _ask(model, request, stub.name)
        again = _asked_again(answer, stub)
        if again is not None:  # asked once more, told what its answer is
            request = request.model_copy(
                update={
                    "messages": (
                        *request.messages,
                        Message(role="assistant", content=f"```python\n{answer}```"),
                        Message(role="user", content=again),
                    )
                }
            )
            retried = _ask(model, request, stub.name)
            answer = retried if retried and _asked_again(retried, stub) is None else answer
        if not answer:
            continue  # the stub stays: the checks and the repair loop judge it
        new = with_function(code, stub, answer, module_name(path))
        seen = judged(new) if new is not None and judged is not None else new
        left_over = (
            next((t for t in targets(seen) if t.qualname == stub.qualname), None) if seen else None
        )
        if new is not None and (left_over is None or left_over.faults < stub.faults):
            # (an answer with the same fault, a file read again, is no answer; one that
            # leaves fewer of the faults listed, adam's `__init__` setting self.t and not
            # self.config, is taken: what it left, the checks name)
            code = new
            filled.append(stub.qualname)
    return code, filled


def emptied(code: str, stub: Stub) -> str:
    """`code` with the body of `stub`'s function cut to its docstring (or `...`): asked for
    adam's update rule again beside its gradient descent, the 1.5B model wrote that again.
    With `stub.shown`, the body is that instead (unindented; put at the body's indentation)."""
    try:
        tree = parse(code)
    except SyntaxError:
        return code
    node = next(
        (n for n in ast.walk(tree) if isinstance(n, _Function) and n.lineno == stub.line), None
    )
    if node is None or node.body[0].lineno == node.lineno:
        return code  # not found, or its body on the `def` line
    body = node.body
    kept = 1 if ast.get_docstring(node) is not None else 0
    if kept == len(body) and not stub.shown:
        return code
    rows = source_lines(code)
    line = rows[body[0].lineno - 1]
    indent = line[: len(line) - len(line.lstrip())]
    last = node.end_lineno or node.lineno
    first = body[kept].lineno if kept < len(body) else last + 1
    instead = [] if kept else [f"{indent}...\n"]
    if stub.shown:
        instead = [textwrap.indent(stub.shown.rstrip("\n") + "\n", indent)]
    rows[first - 1 : last] = instead
    return "".join(rows)


def _asked_again(answer: str, stub: Stub) -> str | None:
    """What to ask when `answer`, written for `stub`, is no answer: a placeholder, or code
    that does not parse (adam's predict, papers-22: `f"weight_{self.params[f'h']-1']}"`, and
    the method stayed empty); None for an answer to take, or none at all (prose)."""
    if not answer:
        return None
    problem = syntax_problem(textwrap.dedent(answer), "answer.py")
    if problem is not None and f"def {stub.name}(" in answer:  # (not prose: code to mend)
        return prompts.render(
            "code_function_syntax", qualname=stub.qualname, problem=problem, function=stub.name
        )
    what = placeholder(answer, stub.name)
    if what is None:
        return None
    return prompts.render(
        "code_function_placeholder", qualname=stub.qualname, what=what, function=stub.name
    )


def _ask(model: ChatModel, request: ChatRequest, name: str) -> str:
    """The Python of the reply to `request` ("" when there is none to use)."""
    try:
        return extract_python(model.complete(request).content)
    except TruncatedReply as exc:  # the function may be whole before the reply looped
        return _closed_before_loop(str(exc.context.get("content", "")), name)
    except (ModelOutputError, ContextLengthExceeded):
        return ""


def _closed_before_loop(reply: str, name: str) -> str:
    """What can be kept of a reply that looped, when its function `name` ended before the
    loop began (a line at the margin follows it), or the loop began inside a literal it was
    listing (_literal_closed); "" when the loop began between its statements (what parses
    of it then is a half-written body)."""
    kept = salvage(reply)
    try:
        tree = parse(kept)
    except SyntaxError:
        return _literal_closed(reply, name)
    node = next((n for n in tree.body if isinstance(n, _Function) and n.name == name), None)
    if node is None or node.end_lineno is None:
        return _literal_closed(reply, name)
    after = source_lines(before_loop(unfenced(reply)))[node.end_lineno :]
    if any(row.strip() and not row[0].isspace() for row in after):
        return kept
    return _literal_closed(reply, name)


_CLOSING = {"(": ")", "[": "]", "{": "}"}


def _literal_closed(reply: str, name: str) -> str:
    """A reply that looped while listing the entries of a literal inside its function
    `name`: its whole lines before the loop, the brackets left open closed, when that makes
    the function whole (and its last statement the literal's); "" otherwise. resnet's
    `__init__` (papers-58) listed "w1", "w2", ... for 34 layers in `self.params = {...}`
    and was cut off repeating at "w9", three times: `__init__` stayed empty."""
    text = before_loop(unfenced(reply))
    head = "".join(source_lines(text)[:-1]) if not text.endswith("\n") else text
    opened: list[tuple[str, int]] = []  # the brackets open: (the closing one, its row)
    try:
        for token in tokenize.generate_tokens(io.StringIO(head).readline):
            if token.type == tokenize.OP and token.string in _CLOSING:
                opened.append((_CLOSING[token.string], token.start[0]))
            elif token.type == tokenize.OP and token.string in _CLOSING.values() and opened:
                opened.pop()
    except (tokenize.TokenError, SyntaxError):  # the end of the text inside the brackets
        pass
    if not opened:
        return ""  # the loop began between statements: a half-written body
    row = source_lines(head)[opened[0][1] - 1]
    indent = row[: len(row) - len(row.lstrip())]
    closed = head.rstrip() + "\n" + indent + "".join(c for c, _ in reversed(opened)) + "\n"
    try:
        tree = parse(textwrap.dedent(closed))
    except SyntaxError:
        return ""
    node = next((n for n in tree.body if isinstance(n, _Function) and n.name == name), None)
    return textwrap.dedent(closed) if node is not None and not is_stub(node) else ""


def with_function(code: str, stub: Stub, reply: str, module: str = "") -> str | None:
    """`code` with `stub` replaced by the function of that name in `reply` (at the stub's
    indentation, under the stub's decorators) and the reply's imports added; None when the
    reply has no such function with the stub's parameters and kind (async or not), has only
    another stub, or the file would not parse."""
    reply = textwrap.dedent(reply)  # a method is often answered at its class's indentation
    try:
        answer = parse(reply)
        tree = parse(code)
    except SyntaxError:
        return None
    target = next(
        (n for n in ast.walk(tree) if isinstance(n, _Function) and n.lineno == stub.line), None
    )
    if target is None or target.name != stub.name:
        return None
    candidates = [
        node
        for node in ast.walk(answer)
        if isinstance(node, type(target))
        and node.name == stub.name
        and _same_parameters(_parameters(node), _parameters(target))
        and not is_stub(node)
    ]
    if not candidates:
        return None
    function = candidates[0]
    lines = source_lines(reply)
    text = textwrap.dedent("".join(lines[function.lineno - 1 : function.end_lineno]))
    rows = source_lines(code)
    own = rows[target.lineno - 1]
    indent = own[: len(own) - len(own.lstrip())]
    text = textwrap.indent(text, indent) if indent else text
    rows[target.lineno - 1 : target.end_lineno] = [text if text.endswith("\n") else text + "\n"]
    result = "".join(rows)
    imports = _new_imports(tree, answer, module)
    if imports:
        result = add_imports(result, imports) or result
    return result if syntax_problem(result, "x.py") is None else None


def _same_parameters(answer: list[str], stub: list[str]) -> bool:
    """Whether the answer's parameters are the stub's: the same names, but where the stub's
    name was made up from a call (`arg0`, for `self.softmax(self.predict(inputs))`), any."""
    return len(answer) == len(stub) and all(
        a == s or (re.fullmatch(r"arg\d+", s) and a) for a, s in zip(answer, stub, strict=True)
    )


def _parameters(node: _Function) -> list[str]:
    args = node.args
    every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
    return [a.arg if a is not None else "" for a in every]


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


def without_stubs(code: str, names: set[str]) -> str:
    """`code` without the stubs named `names` (those nobody could write): functions by
    name, methods as `Class.method`."""
    tree = parse(code)
    rows = source_lines(code)
    classes = [c for c in tree.body if isinstance(c, ast.ClassDef)]
    body_of = {id(n): c.body for c in classes for n in c.body}
    found = [(q, n) for q, n in _functions(tree.body, "") if q.count(".") <= 1]
    for name, node in sorted(found, key=lambda f: -f[1].lineno):
        if name in names and is_stub(node):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            end = node.end_lineno or node.lineno
            while end < len(rows) and not rows[end].strip():
                end += 1  # the blank lines after it go with it
            alone = len(body_of.get(id(node), [None, None])) == 1  # a class's only statement
            indent = rows[node.lineno - 1][: node.col_offset]
            rows[start - 1 : end] = [f"{indent}pass\n"] if alone else []
    return "".join(rows)
