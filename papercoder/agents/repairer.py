"""The repair agent: failures in, edits out, in the edit format chosen for the model.

- ``search-replace``: SEARCH/REPLACE blocks; blocks that match nothing go back with the
  nearest real lines; a file whose edits fail to apply twice is asked for whole.
- ``whole``: the file the first failure points at, rewritten whole (when small enough).
- ``lines``: line-range edits under the JSON schema the endpoint enforces.

A reply identical to one given earlier in the loop is not applied twice: the question is
asked again at a higher temperature, saying so. Guard refusals are final.
"""

from __future__ import annotations

import ast
import hashlib
import re
import textwrap
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from papercoder import prompts
from papercoder.agents import contract
from papercoder.agents.planner import system_message
from papercoder.agents.stubs import emptied
from papercoder.fidelity import CONFIG
from papercoder.llm.client import ChatModel, ChatReply, ChatRequest, Message, ResponseFormatRejected
from papercoder.llm.structured import extract_json
from papercoder.repair import guards
from papercoder.repair.autofix import Fix, autofix
from papercoder.repair.digest import (
    build_digest,
    build_file_digest,
    describe,
    failing_diagnostics,
    local_imports,
    repair_targets,
)
from papercoder.repair.formats import (
    MAX_LINE_EDITS,
    WHOLE_FILE_MAX_LINES,
    EditFormat,
    LineEdit,
    LineEdits,
    Method,
    WholeFile,
    apply_line_edit,
    line_edit_problem,
    lines_schema,
    old_lines,
    parse_whole,
    strip_numbers,
    whole_file_problem,
)
from papercoder.repair.patch import Edit, PatchResult, Rejection, apply_edits, parse_edits
from papercoder.repair.scope import Scope, Span, find_scope, replace_scope, strip_marks
from papercoder.repo import interfaces, parse
from papercoder.tokens import estimate_tokens
from papercoder.verify.report import VerifyReport

RETRIES = 2
RETRY_TEMPERATURE = 0.7
EXAMPLE_LINE = "def relu(x):"  # the prompts' worked example edits this function
_SAME = "the same reply as an earlier iteration"
_FUNCTION_AS_IT_WAS = "the function is as it was: change what the error points at"
_ECHOED = (_FUNCTION_AS_IT_WAS, _SAME)


class RepairRequest(BaseModel):
    """One iteration's question to the repair agent."""

    model_config = ConfigDict(extra="forbid")

    report: VerifyReport
    files: dict[str, str]
    plan_entries: dict[str, str] = Field(default_factory=dict)
    edit_format: EditFormat = "search-replace"
    digest_tokens: int = 6000
    max_tokens: int = 1024
    narrow: bool = Field(default=False, description="only the first failing diagnostic")
    note: str = Field(default="", description="what the previous iteration did wrong")
    seen: list[str] = Field(default_factory=list, description="hashes of earlier replies")


class RepairOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    replies: list[str] = Field(default_factory=list)
    formats: list[Method] = Field(default_factory=list)
    result: PatchResult


def reply_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


class _Session:
    """One iteration's conversation: every reply is kept, repeated ones are re-asked."""

    def __init__(
        self, model: ChatModel, request: RepairRequest, max_calls: int | None = None
    ) -> None:
        self.model = model
        self.request = request
        self.calls_left = max_calls
        self.replies: list[str] = []
        self.formats: list[Method] = []
        self.first_prompt = ""

    def ask(
        self,
        messages: list[Message],
        fmt: EditFormat,
        response_format: dict[str, object] | None = None,
    ) -> str:
        if not self.first_prompt:
            self.first_prompt = messages[-1].content
        reply = self._send(messages, 0.0, response_format)
        if reply_hash(reply) in self.request.seen or reply in self.replies:
            again = [
                *messages,
                Message(role="assistant", content=reply),
                # the attempt number keeps each re-ask a new question: the cache would
                # otherwise answer it with the reply it gave the last time
                Message(
                    role="user",
                    content=prompts.render(
                        "repair_repeated", attempt=len(self.request.seen) + len(self.replies) + 2
                    ),
                ),
            ]
            reply = self._send(again, RETRY_TEMPERATURE, response_format)
        self.replies.append(reply)
        self.formats.append(fmt)
        return reply

    def _send(
        self, messages: list[Message], temperature: float, response_format: dict[str, object] | None
    ) -> str:
        if self.calls_left is not None:
            if self.calls_left <= 0:
                return ""  # out of calls (a one-shot baseline): an empty reply changes nothing
            self.calls_left -= 1
        reply: ChatReply = self.model.complete(
            ChatRequest(
                agent="repairer",
                messages=(system_message(), *messages),
                max_tokens=self.request.max_tokens,
                temperature=temperature,
                response_format=response_format,
            )
        )
        return reply.content

    def repeated(self, reply: str) -> bool:
        return reply_hash(reply) in self.request.seen


def _note(request: RepairRequest) -> str:
    return f"\n\n{request.note}" if request.note else ""


def _problems(rejected: list[Rejection]) -> str:
    parts = []
    for rejection in rejected:
        text = f"- {rejection.path}: {rejection.reason}"
        if rejection.nearest and rejection.reason.startswith("no such file"):
            text += f"; the repository's Python files are:\n{rejection.nearest}"
        elif rejection.nearest and rejection.reason != _COPIED:
            text += f"; the closest lines in the file are:\n```\n{rejection.nearest}\n```"
        parts.append(text)
    return "\n".join(parts)


def repair_prompt(request: RepairRequest) -> str:
    """The first prompt of a SEARCH/REPLACE iteration; its example names a real file."""
    digest = _digest(request)
    example = next(
        (p for p in request.files if p.endswith(".py") and f"## {p}" in digest), "model.py"
    )
    return prompts.render("repair", digest=digest, example_path=example, note=_note(request))


def _digest(request: RepairRequest) -> str:
    report = narrowed(request.report) if request.narrow else request.report
    return build_digest(report, request.files, request.plan_entries, request.digest_tokens).text


def narrowed(report: VerifyReport) -> VerifyReport:
    """`report` with only its first failing diagnostic (in repair order) left."""
    first = failing_diagnostics(report)[:1]
    checks = [
        c.model_copy(update={"diagnostics": [d for d in c.diagnostics if d in first]})
        for c in report.checks
    ]
    return report.model_copy(update={"checks": checks})


def repair(
    model: ChatModel,
    request: RepairRequest,
    is_link: Callable[[str], bool],
    max_calls: int | None = None,
) -> RepairOutcome:
    """Ask `model` to fix `request.report` in `request.edit_format`; apply what may be.
    `max_calls=1` is the one-shot baseline: one question, no re-ask, no escalation.
    Failures whose fix they name themselves (a missing import, a missing requirement) are
    fixed without the model first; the model is asked when there are none, or none apply."""
    if (mechanical := _autofix(request, is_link)) is not None:
        return mechanical
    session = _Session(model, request, max_calls)
    if request.edit_format == "whole":
        # the function the first failure points into, then (no luck) the file it is in
        scope = find_scope(_report(request), request.files)
        result = None
        if scope is not None and (afresh := misshapen_afresh(request.files, scope)) is not None:
            shown, shown_scope, why = afresh  # predict's misfit: its body asked for anew
            result = _function(session, shown, is_link, shown_scope, why)
        if scope is not None and (result is None or not result.applied):
            again = _function(session, request.files, is_link, scope)
            result = again if result is None else _merged(result, again)
        if result is None or not result.applied:
            target = scope.path if scope else _first_target(request)
            whole = _whole(session, request.files, is_link, target)
            result = whole if result is None else _merged(result, whole)
    elif request.edit_format == "lines":
        result = _lines(session, request.files, is_link)
    else:
        result = _search_replace(session, request.files, is_link)
    return RepairOutcome(
        prompt=session.first_prompt, replies=session.replies, formats=session.formats, result=result
    )


def _autofix(request: RepairRequest, is_link: Callable[[str], bool]) -> RepairOutcome | None:
    fixes = autofix(request.report, request.files) + readout_fixes(request.report, request.files)
    result = apply_edits(request.files, [f.edit for f in fixes], is_link)
    if not result.applied:
        return None
    done = {e.path for e in result.applied}
    record = "\n".join(f"- {f.reason}" for f in fixes if f.edit.path in done)
    return RepairOutcome(
        prompt="(fixed without the model)", replies=[record], formats=["autofix"], result=result
    )


# the small profile's test of the scores (contract's tests/test_model.py): their width
_SCORES = re.compile(
    r"Model\.loss takes cross_entropy of scores of shape \(\d+, (?P<width>\d+)\) for labels"
)


def readout_fixes(report: VerifyReport, files: dict[str, str]) -> list[Fix]:
    """For the small profile's model.py whose predict gave scores of another width than one
    per class, where the tool's shapes could not tell it before the run (seq2seq's loop over
    samples, papers-56: 16 wide): predict's output read out to one score per class by an
    array `__init__` makes (contract.readout_for, as readout_added at the code stage). Told
    so, the 1.5B model sent the loss back as it was, and then predict with a NameError."""
    if contract.MODEL not in files:
        return []
    for diag in failing_diagnostics(report):
        if (found := _SCORES.search(diag.message)) is not None:
            code, what = contract.readout_for(files[contract.MODEL], int(found["width"]))
            edit = Edit(path=contract.MODEL, search="", replace=code)
            reason = f"the scores the loss takes are not one per class: {', '.join(what)}"
            return [Fix(edit=edit, reason=reason)] if what else []
    return []


def _report(request: RepairRequest) -> VerifyReport:
    return narrowed(request.report) if request.narrow else request.report


def _merged(first: PatchResult, second: PatchResult) -> PatchResult:
    return PatchResult(
        files=second.files,
        applied=[*first.applied, *second.applied],
        rejected=[*first.rejected, *second.rejected],
    )


def misshapen_afresh(
    files: dict[str, str], scope: Scope
) -> tuple[dict[str, str], Scope, str] | None:
    """For a failure in the small profile's predict whose shapes the tool finds cannot meet
    (contract.misshapen), or that calls a method its class lacks (contract.calls_unmade,
    resnet's `self.F`, papers-66): the files with predict's body cut to the arrays it reads, each
    with its shape, and the chain of products they allow (as the code stage asks for it
    again), the scope of that predict, and the misfit; None for any other failure. Shown
    gcn's predict with its failing line marked, `np.dot(A, W0)` of (32, 32) and (8, 16),
    the 1.5B model sent it back as it was, reply after reply (papers-64): what it is not
    shown it cannot copy."""
    if scope.path != contract.MODEL or scope.name != "predict":
        return None
    code, config_yaml = files[scope.path], files.get(CONFIG, "")
    judged = contract.misshapen(code, config_yaml) + contract.calls_unmade(code, config_yaml)
    stub = next((s for s in judged if s.name == "predict" and s.shown), None)
    if stub is None:
        return None
    shown = emptied(code, stub)
    try:
        tree = parse(shown)
    except SyntaxError:
        return None
    rows = shown.splitlines()
    owner = next(  # the class whose predict was judged: its own functions, not another's
        (
            n
            for n in tree.body
            if isinstance(n, ast.ClassDef) and n.name == stub.qualname.split(".")[0]
        ),
        None,
    )
    if owner is None:
        return None
    spans = []
    for name in scope.names():
        node = next(
            (n for n in owner.body if isinstance(n, ast.FunctionDef) and n.name == name), None
        )
        if node is None:
            return None
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        end = node.end_lineno or node.lineno
        while end < len(rows) and rows[end].lstrip().startswith("#"):
            end += 1  # the chain shown last, a comment, is the body's too
        spans.append(Span(name=name, start=start, end=end))
    failure = f"`{stub.qualname}` as the tool judges it"  # (no line is marked: see `why`)
    return (
        {**files, scope.path: shown},
        Scope(path=scope.path, spans=spans, failure=failure),
        stub.why,
    )


def _function(
    session: _Session,
    files: dict[str, str],
    is_link: Callable[[str], bool],
    scope: Scope,
    afresh: str = "",
) -> PatchResult:
    """Ask for one function rewritten: the one the first failure points into; `afresh`,
    why its body is shown cut to what it starts by (misshapen_afresh), to write the rest."""
    request = session.request
    failures = (  # the run's own, of a line no longer shown, would only mislead
        f"- [contract] {scope.path}: `{scope.name}` {afresh}"
        if afresh
        else _scope_failures(request, scope)
    )
    prompt = prompts.render(
        "repair_scope",
        failures=failures,
        function=scope.name,
        heading=f"`{scope.name}` in `{scope.path}`"
        + (", with its class's `__init__`" if "__init__" in scope.names()[1:] else ""),
        code=scope.marked(files),
        context=_scope_context(files, scope, request.digest_tokens),
        task=(
            f"Write the rest of `{scope.name}` after the lines shown, from those arrays:"
            " the products their shapes allow, to the output."
            if afresh
            else _scope_task(scope)
        ),
        note=_note(request),
    )
    messages = [Message(role="user", content=prompt)]
    problem = "the reply holds no code block"
    for _ in range(RETRIES):
        reply = session.ask(messages, "whole")
        if session.repeated(reply):
            problem = _SAME
            break
        found, updated = _function_problem(reply, files, scope)
        if updated is not None:
            edit = Edit(path=scope.path, search="", replace=updated)
            return apply_edits(files, [edit], is_link)
        problem = found or problem
        messages += [
            Message(role="assistant", content=reply),
            Message(
                role="user",
                content=prompts.render("repair_scope_retry", problem=problem, function=scope.name),
            ),
        ]
    if problem in _ECHOED and not afresh:
        if scope.spans[0].line is not None:
            return _line(session, files, is_link, scope, problem)
        if (picked := _pick_line(session, files, scope)) is not None:
            return _line(session, files, is_link, picked, problem)
    return PatchResult(
        files=files, applied=[], rejected=[Rejection(path=scope.path, reason=problem)]
    )


def _pick_line(session: _Session, files: dict[str, str], scope: Scope) -> Scope | None:
    """The scope narrowed to the line the model names as the cause, when a failure marks no
    line (a failing assertion) and the function came back unchanged: two short questions,
    which line and then that line corrected, where a 1.5B model echoes a whole function."""
    rows = files[scope.path].splitlines()
    hidden = _docstring_rows(files[scope.path], scope)  # the 1.5B model picked a docstring
    shown = []
    for span in sorted(scope.spans, key=lambda s: s.start):
        width = len(str(span.end))
        numbered = (
            f"{n:>{width}} | {rows[n - 1]}"
            for n in range(span.start, span.end + 1)
            if n not in hidden
        )
        shown.append("\n".join(numbered))
    test = f"\nThe failing test:\n\n```python\n{scope.test.rstrip()}\n```\n" if scope.test else ""
    prompt = prompts.render(
        "repair_which_line",
        failures=_scope_failures(session.request, scope),
        function=scope.name,
        path=scope.path,
        code="\n\n".join(shown),
        test=test,
    )
    messages = [Message(role="user", content=prompt)]
    reply = session.ask(messages, "whole")
    number = picked_line(reply, files[scope.path], scope)
    if number is None:  # a signature, a number not shown: once more, with what may be named
        again = prompts.render("repair_which_line_retry", function=scope.name)
        messages += [Message(role="assistant", content=reply), Message(role="user", content=again)]
        number = picked_line(session.ask(messages, "whole"), files[scope.path], scope)
    if number is None:
        return None
    span = next(s for s in scope.spans if s.start <= number <= s.end)
    return scope.model_copy(update={"spans": [span.model_copy(update={"line": number})]})


def _docstring_rows(source: str, scope: Scope) -> set[int]:
    """The rows of the docstrings of `scope`'s functions."""
    rows: set[int] = set()
    for node in ast.walk(parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in scope.names():
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                rows.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return rows


def picked_line(reply: str, source: str, scope: Scope) -> int | None:
    """The first number in `reply` that is the first line of a statement in the body of one of
    `scope`'s functions (not a signature, a decorator, a docstring or a comment), or None."""
    try:
        tree = parse(source)
    except SyntaxError:
        return None
    starts: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not any(s.start <= node.lineno <= s.end for s in scope.spans):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        for statement in body:
            starts.update(n.lineno for n in ast.walk(statement) if isinstance(n, ast.stmt))
    for token in re.findall(r"\b\d{1,5}\b", reply):
        if int(token) in starts:
            return int(token)
    return None


def _line(
    session: _Session,
    files: dict[str, str],
    is_link: Callable[[str], bool],
    scope: Scope,
    why: str,
) -> PatchResult:
    """The failing line alone, asked for corrected: the smallest question there is, for a
    model that sent the function back unchanged."""
    number = scope.spans[0].line or 0
    original = files[scope.path].splitlines(keepends=True)[number - 1]
    prompt = prompts.render(
        "repair_line",
        failures=_scope_failures(session.request, scope),
        line=number,
        path=scope.path,
        function=scope.name,
        code=scope.marked_line(files),
    )
    reply = session.ask([Message(role="user", content=prompt)], "whole")
    parsed = parse_whole(reply, scope.path)
    rejected = [Rejection(path=scope.path, reason=why)]
    if parsed is None or parsed.truncated or not parsed.text.strip():
        return PatchResult(files=files, applied=[], rejected=[*rejected, _NO_LINE])
    new_rows = textwrap.dedent(strip_marks(parsed.text)).strip("\n").splitlines()
    indent = original[: len(original) - len(original.lstrip())]
    replacement = "".join(f"{indent}{row}\n" if row.strip() else "\n" for row in new_rows)
    if " ".join(replacement.split()) == " ".join(original.split()):
        refusal = Rejection(path=scope.path, reason="the line is as it was")
        return PatchResult(files=files, applied=[], rejected=[*rejected, refusal])
    rows = files[scope.path].splitlines(keepends=True)
    rows[number - 1] = replacement
    edit = Edit(path=scope.path, search="", replace="".join(rows))
    result = apply_edits(files, [edit], is_link)
    return result.model_copy(update={"rejected": [*rejected, *result.rejected]})


_NO_LINE = Rejection(path="(reply)", reason="the reply holds no line of code")


def _function_problem(
    reply: str, files: dict[str, str], scope: Scope
) -> tuple[str, None] | tuple[None, str]:
    """Why the reply cannot replace the function, or the file with it replaced."""
    parsed = parse_whole(reply, scope.path)
    if parsed is None:
        return "the reply holds no code block", None
    if parsed.truncated:
        return "the code block is not closed: the reply was cut off", None
    code = strip_marks(parsed.text)
    as_file = WholeFile(text=code)
    before = files[scope.path]
    if whole_file_problem(scope.path, before, as_file) is None and _imports(before) <= _imports(
        code
    ):
        return None, code  # the whole file, corrected: as good an answer
    updated = replace_scope(files, scope, code)
    if updated is None:
        try:
            ast.parse(textwrap.dedent(code))
        except SyntaxError as exc:
            return f"the function does not parse: line {exc.lineno}: {exc.msg}", None
        return f"the reply holds no function `{scope.name}`: send that function corrected", None
    if " ".join(updated.split()) == " ".join(files[scope.path].split()):
        return _FUNCTION_AS_IT_WAS, None
    try:
        ast.parse(updated)
    except SyntaxError as exc:
        return f"with it the file does not parse: line {exc.lineno}: {exc.msg}", None
    return None, updated


def _imports(source: str) -> set[str]:
    """The top-level import statements of `source`, normalised."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)}


def _scope_failures(request: RepairRequest, scope: Scope) -> str:
    diagnostics = failing_diagnostics(_report(request))
    mine = [d for d in diagnostics if d.file in (scope.path, scope.test and d.file)] or diagnostics
    return "\n".join(describe(d, request.files) for d in mine[:6])


def _scope_context(files: dict[str, str], scope: Scope, max_tokens: int) -> str:
    """The failing test, when one is, and the interfaces of the modules the file imports."""
    parts = []
    if scope.test:
        parts.append(
            f"\nThe failing test (for reference: do not rewrite it):\n```python\n"
            f"{scope.test.rstrip()}\n```"
        )
    budget = max_tokens // 2
    for path in local_imports(files[scope.path], set(files)):
        section = f"\nInterface of {path}:\n```python\n{interfaces(files[path])}\n```"
        if estimate_tokens(section) <= budget:
            parts.append(section)
            budget -= estimate_tokens(section)
    return "\n".join(parts) + "\n" if parts else ""


def _scope_task(scope: Scope) -> str:
    task = (
        f"Change it so that the test `{_test_name(scope)}` passes."
        if scope.test
        else "Fix the line marked `# <-- error`."
    )
    others = [f"`{name}`" for name in scope.names()[1:]]
    if others:
        task += f" If the cause is in {' or '.join(others)}, send that corrected too."
    return task


def _test_name(scope: Scope) -> str:
    first = scope.test.lstrip().splitlines()[0] if scope.test.strip() else ""
    return first.removeprefix("def ").split("(")[0] or "the failing test"


def _first_target(request: RepairRequest) -> str | None:
    targets = repair_targets(request.report, request.files)
    if request.narrow:
        targets = targets[:1]
    small = [
        t for t in targets if len(request.files.get(t, "").splitlines()) <= WHOLE_FILE_MAX_LINES
    ]
    return small[0] if small else None


def _search_replace(
    session: _Session, files: dict[str, str], is_link: Callable[[str], bool]
) -> PatchResult:
    prompt = repair_prompt(session.request)
    messages = [Message(role="user", content=prompt)]
    applied: list[Edit] = []
    final: list[Rejection] = []
    failures: dict[str, int] = {}
    for attempt in range(RETRIES + 1):
        reply = session.ask(messages, "search-replace")
        if session.repeated(reply):
            final.append(Rejection(path="(reply)", reason="the same reply as an earlier iteration"))
            break
        edits = parse_edits(reply)
        copied = [e for e in edits if _copies_example(e.search, e.replace, files)]
        edits = [e for e in edits if e not in copied]
        result = apply_edits(files, edits, is_link)
        result.rejected += [Rejection(path=e.path, reason=_COPIED, nearest="-") for e in copied]
        files = result.files
        applied += result.applied
        retry = [r for r in result.rejected if r.nearest]
        final += [r for r in result.rejected if not r.nearest]
        for rejection in retry:
            failures[rejection.path] = failures.get(rejection.path, 0) + 1
        if not edits and not copied:
            retry = [Rejection(path="(reply)", reason="it holds no SEARCH/REPLACE block")]
        if not retry:
            break
        stuck = [p for p, n in failures.items() if n >= 2 and p in files]
        if stuck or attempt == RETRIES:  # twice unmatched: ask for the file whole
            for path in stuck or [r.path for r in retry if r.path in files][:1]:
                whole = _whole(session, files, is_link, path)
                files = whole.files
                applied += whole.applied
                final += whole.rejected
            if not stuck and attempt == RETRIES:
                final += [r for r in retry if r.path == "(reply)"]
            break
        messages += [
            Message(role="assistant", content=reply),
            Message(role="user", content=prompts.render("repair_retry", problems=_problems(retry))),
        ]
    return PatchResult(files=files, applied=applied, rejected=final)


_COPIED = "that edit is the example's, from another repository: fix the failures shown instead"


def _copies_example(search: str, replace: str, files: dict[str, str]) -> bool:
    """An edit that repeats the prompt's example (a small model's habit)."""
    example = EXAMPLE_LINE in search and "import numpy as np" in replace
    return example and not any(EXAMPLE_LINE in text for text in files.values())


def _whole(
    session: _Session, files: dict[str, str], is_link: Callable[[str], bool], path: str | None
) -> PatchResult:
    request = session.request
    if path is None or len(files.get(path, "").splitlines()) > WHOLE_FILE_MAX_LINES:
        why = "no failure points at a file small enough to rewrite whole"
        refusal = Rejection(path="(reply)", reason=why)
        return PatchResult(files=files, applied=[], rejected=[refusal])
    fence = "python" if path.endswith(".py") else ""
    digest = build_file_digest(
        narrowed(request.report) if request.narrow else request.report,
        files,
        path,
        request.plan_entries,
        request.digest_tokens,
    )
    prompt = prompts.render(
        "repair_whole", digest=digest, path=path, fence=fence, note=_note(request)
    )
    messages = [Message(role="user", content=prompt)]
    problem = "the reply holds no code block"
    for _ in range(RETRIES):
        reply = session.ask(messages, "whole")
        if session.repeated(reply):
            problem = "the same reply as an earlier iteration"
            break
        parsed = parse_whole(reply, path)
        found = (
            whole_file_problem(path, files.get(path), parsed)
            if parsed
            else "the reply holds no code block"
        )
        if found is None and parsed is not None:
            return apply_edits(files, [Edit(path=path, search="", replace=parsed.text)], is_link)
        problem = found or problem
        messages += [
            Message(role="assistant", content=reply),
            Message(
                role="user",
                content=prompts.render(
                    "repair_whole_retry", problem=problem, path=path, fence=fence
                ),
            ),
        ]
    return PatchResult(files=files, applied=[], rejected=[Rejection(path=path, reason=problem)])


def _lines(
    session: _Session,
    files: dict[str, str],
    is_link: Callable[[str], bool],
) -> PatchResult:
    request = session.request
    paths = sorted(files)
    longest = max((len(t.splitlines()) for t in files.values()), default=1)
    schema = lines_schema(paths, longest)
    response_format: dict[str, object] = {
        "type": "json_schema",
        "json_schema": {"name": "LineEdits", "schema": schema},
    }
    prompt = prompts.render(
        "repair_lines", digest=_digest(request), max_edits=MAX_LINE_EDITS, note=_note(request)
    )
    messages = [Message(role="user", content=prompt)]
    rejected: list[Rejection] = []
    for _ in range(RETRIES):
        try:
            reply = session.ask(messages, "lines", response_format)
        except ResponseFormatRejected:  # no enforced schema here: the next best format
            return _whole(session, files, is_link, _first_target(request))
        if session.repeated(reply):
            rejected = [Rejection(path="(reply)", reason="the same reply as an earlier iteration")]
            break
        edits, problem = parse_line_edits(reply, set(files))
        if problem is None:
            result = apply_line_edits(files, edits, is_link)
            if result.applied or not result.rejected:
                return result
            rejected = result.rejected
            problem = "; ".join(f"{r.path}: {r.reason}" for r in rejected)
        else:
            rejected = [Rejection(path="(reply)", reason=problem)]
        messages += [
            Message(role="assistant", content=reply),
            Message(role="user", content=prompts.render("reask_invalid", error=problem)),
        ]
    target = _first_target(request)
    if target is not None:  # twice unusable: ask for the file whole
        whole = _whole(session, files, is_link, target)
        if whole.applied:
            return whole
        rejected += whole.rejected
    return PatchResult(files=files, applied=[], rejected=rejected)


def parse_line_edits(reply: str, paths: set[str]) -> tuple[list[LineEdit], str | None]:
    """The line edits in `reply`, or the reason it holds none usable."""
    try:
        parsed = LineEdits.model_validate(extract_json(reply))
    except ValueError as exc:  # not JSON, or JSON of the wrong shape (ValidationError)
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            return [], f"field '{where}': {first['msg']}"
        return [], str(exc)
    if not parsed.edits:
        return [], "the reply holds no edit"
    unknown = sorted({e.path for e in parsed.edits if e.path not in paths})
    if unknown:
        return [], f"no such file: {', '.join(unknown)} (use one of the paths shown)"
    return parsed.edits, None


def apply_line_edits(
    files: dict[str, str], edits: list[LineEdit], is_link: Callable[[str], bool]
) -> PatchResult:
    """Apply line-range edits bottom-up (so numbers stay valid); refuse overlapping or
    out-of-range ones, and anything the guards refuse, with the reason."""
    files = dict(files)
    pinned = guards.pinned_paths(files)
    applied: list[Edit] = []
    rejected: list[Rejection] = []
    usable = []
    edits = [e.model_copy(update={"replacement": strip_numbers(e.replacement)}) for e in edits]
    for edit in edits:
        problem = line_edit_problem(edit, edits, files.get(edit.path))
        if problem:
            rejected.append(Rejection(path=edit.path, reason=problem))
        else:
            usable.append(edit)
    for edit in sorted(usable, key=lambda e: (e.path, -e.start_line)):
        current = files[edit.path]
        as_block = _as_block(edit, current)
        updated = apply_line_edit(edit, current)
        reason = guards.path_problem(edit.path, is_link) or guards.edit_problem(
            edit.path, current, updated, whole_file=False, pinned=pinned
        )
        if reason is None and updated == current:
            reason = "the edit changes nothing: the replacement equals the lines it replaces"
        if reason is not None:
            rejected.append(Rejection(path=edit.path, reason=reason))
            continue
        files[edit.path] = updated
        applied.append(as_block)
    return PatchResult(files=files, applied=applied, rejected=rejected)


def _as_block(edit: LineEdit, current: str) -> Edit:
    """The edit as SEARCH/REPLACE, for the guards and the record; an insertion is anchored
    on the line it goes before (or after, at the end of the file)."""
    old = old_lines(edit, current)
    if old:
        return Edit(path=edit.path, search=old, replace=edit.replacement)
    rows = current.splitlines(keepends=True)
    new = edit.replacement if edit.replacement.endswith("\n") else edit.replacement + "\n"
    if edit.start_line - 1 < len(rows):
        anchor = rows[edit.start_line - 1]
        return Edit(path=edit.path, search=anchor, replace=new + anchor)
    anchor = rows[-1] if rows else ""
    return Edit(path=edit.path, search=anchor, replace=anchor + new)
