"""Papers given as Markdown, LaTeX or plain text become the same `Paper` as a PDF:
sections from their markup, tables, display equations, algorithms and references."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from papercoder.errors import InputError
from papercoder.paper.model import Algorithm, Equation, Paper, Section, Table, nest

_NUMBERED = re.compile(r"^(?P<num>(?:\d{1,2}|[A-H])(?:\.\d{1,2}){0,3})\.?\s+(?P<title>\S.{0,90})$")
_CAPTION = re.compile(r"^\**(Table|Algorithm)\s+(\d+)\**\s*[:.]\s*(.*)$", re.I)
_TAG = re.compile(r"\\tag\{([^}]*)\}|\((\d+)\)\s*$")


def read_text_paper(path: Path) -> Paper:
    if not path.exists():
        raise InputError(f"paper {path} does not exist", "check the path")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a paper", "pass the file itself")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text ({exc.reason})", "save it as UTF-8") from exc
    if not text.strip():
        raise InputError(f"{path} is empty", "pass a paper with text in it")
    suffix = path.suffix.lower()
    parse = _latex if suffix == ".tex" else _markdown if suffix in (".md", ".markdown") else _plain
    paper = parse(text)
    return paper.model_copy(
        update={
            "source_name": path.name,
            "source_sha256": hashlib.sha256(raw).hexdigest(),
            "page_count": 0,
        }
    )


def _split_heading(text: str, level: int) -> Section:
    match = _NUMBERED.match(text.strip())
    if match:
        number = match["num"]
        return Section(number=number, title=match["title"].strip(), level=number.count(".") + 1)
    return Section(title=text.strip(), level=level)


def _assemble(title: str, flat: list[tuple[Section, list[str]]], **extra: object) -> Paper:
    abstract = ""
    references: list[str] = []
    body: list[Section] = []
    for section, lines in flat:
        text = "\n".join(lines).strip()
        name = section.title.lower()
        if name == "abstract":
            abstract = text
        elif name in ("references", "bibliography"):
            references += [
                r
                for r in (
                    re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", x).strip()
                    for x in re.split(r"\n(?=\s*(?:[-*]|\d+\.|\[\d+\])\s)|\n\n", text)
                )
                if r
            ]
        else:
            section.text = text
            body.append(section)
    return Paper(
        title=title or "Untitled",
        abstract=abstract,
        sections=nest(body),
        references=references,
        **extra,
    )


def _markdown(text: str) -> Paper:
    title = ""
    flat: list[tuple[Section, list[str]]] = []
    tables: list[Table] = []
    equations: list[Equation] = []
    algorithms: list[Algorithm] = []
    lines = text.splitlines()
    i = 0
    pending_caption: tuple[str, str, str] | None = None
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            depth = len(heading.group(1))
            if depth == 1 and not title:
                title = heading.group(2).strip()
            else:
                flat.append((_split_heading(heading.group(2), max(1, depth - 1)), []))
            i += 1
            continue
        current = flat[-1][0].heading if flat else None
        caption = _CAPTION.match(line.strip())
        if caption:
            pending_caption = (caption.group(1).lower(), caption.group(2), line.strip().strip("*"))
        if line.strip().startswith("|"):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i])
                i += 1
            rows = [
                [c.strip() for c in r.strip().strip("|").split("|")]
                for r in block
                if not re.fullmatch(r"[\s|:-]+", r)
            ]
            number, cap = _take(pending_caption, "table", lines, i)
            tables.append(Table(number=number, caption=cap, rows=rows, page=0, section=current))
            pending_caption = None
            continue
        if line.strip().startswith("$$"):
            block, i = _until(lines, i, "$$")
            eq = " ".join(block).strip("$ ").strip()
            tag = _TAG.search(eq)
            equations.append(
                Equation(
                    number=(tag.group(1) or tag.group(2)) if tag else None,
                    text=_TAG.sub("", eq).strip(),
                    page=0,
                    section=current,
                )
            )
            if flat:
                flat[-1][1].append(eq)
            continue
        if line.strip().startswith("```") and pending_caption and pending_caption[0] == "algorithm":
            block, i = _until(lines, i, "```")
            algorithms.append(
                Algorithm(
                    number=pending_caption[1],
                    caption=pending_caption[2],
                    text="\n".join(block[1:-1]),
                    page=0,
                    section=current,
                )
            )
            pending_caption = None
            continue
        if flat and not caption:
            flat[-1][1].append(line)
        i += 1
    return _assemble(title, flat, tables=tables, equations=equations, algorithms=algorithms)


def _take(
    pending: tuple[str, str, str] | None, kind: str, lines: list[str], i: int
) -> tuple[str | None, str]:
    if pending and pending[0] == kind:
        return pending[1], pending[2]
    after = lines[i].strip() if i < len(lines) else ""
    match = _CAPTION.match(after)
    return (match.group(2), after.strip("*")) if match else (None, "")


def _until(lines: list[str], i: int, fence: str) -> tuple[list[str], int]:
    """Lines from the fence at `i` to the closing fence, inclusive."""
    block = [lines[i]]
    if lines[i].strip() != fence and lines[i].strip().endswith(fence) and len(lines[i].strip()) > 2:
        return block, i + 1
    i += 1
    while i < len(lines):
        block.append(lines[i])
        i += 1
        if lines[i - 1].strip().endswith(fence):
            break
    return block, i


def _plain(text: str) -> Paper:
    lines = text.splitlines()
    nonempty = [ln for ln in lines if ln.strip()]
    title = nonempty[0].strip() if nonempty else ""
    flat: list[tuple[Section, list[str]]] = []
    for line in lines[lines.index(nonempty[0]) + 1 :] if nonempty else []:
        stripped = line.strip()
        named = stripped.rstrip(":").lower() in ("abstract", "references", "bibliography")
        numbered = _NUMBERED.match(stripped) and len(stripped) < 80 and not stripped.endswith(".")
        if named or numbered:
            flat.append((_split_heading(stripped.rstrip(":"), 1), []))
        elif flat:
            flat[-1][1].append(line)
    return _assemble(title, flat)


_LATEX_SECTION = re.compile(r"\\(section|subsection|subsubsection)\*?\{((?:[^{}]|\{[^{}]*\})*)\}")
_ENV = re.compile(
    r"\\begin\{(equation|align|table|algorithm|abstract|thebibliography)\*?\}"
    r"(.*?)\\end\{\1\*?\}",
    re.S,
)


def _latex_clean(text: str) -> str:
    text = re.sub(r"(?<!\\)%.*", "", text)
    text = re.sub(r"\\(?:cite|citep|citet|ref|eqref|label)\{[^}]*\}", "", text)
    for _ in range(3):
        text = re.sub(r"\\(?:emph|textbf|textit|texttt|mathrm|text)\{([^{}]*)\}", r"\1", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _latex(text: str) -> Paper:
    text = re.sub(r"(?<!\\)%.*", "", text)
    title = _latex_clean(_group(text, r"\\title\{") or "")
    authors = [_latex_clean(a) for a in re.split(r"\\and", _group(text, r"\\author\{") or "") if a]
    tables: list[Table] = []
    equations: list[Equation] = []
    algorithms: list[Algorithm] = []
    abstract = ""
    references: list[str] = []
    counters = [0, 0, 0]
    flat: list[tuple[Section, list[str]]] = []
    position = 0
    body = text.split("\\begin{document}", 1)[-1]
    for match in sorted(
        [*_LATEX_SECTION.finditer(body), *_ENV.finditer(body)], key=lambda m: m.start()
    ):
        if match.start() < position:
            continue
        if flat:
            flat[-1][1].append(_latex_clean(body[position : match.start()]))
        position = match.end()
        current = flat[-1][0].heading if flat else None
        kind = match.group(1)
        if kind in ("section", "subsection", "subsubsection"):
            depth = ("section", "subsection", "subsubsection").index(kind)
            counters[depth] += 1
            counters[depth + 1 :] = [0] * (2 - depth)
            number = ".".join(str(c) for c in counters[: depth + 1])
            flat.append(
                (Section(number=number, title=_latex_clean(match.group(2)), level=depth + 1), [])
            )
        elif kind == "abstract":
            abstract = _latex_clean(match.group(2))
        elif kind == "thebibliography":
            references = [
                _latex_clean(x)
                for x in re.split(r"\\bibitem(?:\[[^]]*\])?\{[^}]*\}", match.group(2))[1:]
            ]
        elif kind in ("equation", "align"):
            equations.append(
                Equation(
                    number=str(len(equations) + 1),
                    text=_latex_clean(match.group(2)),
                    page=0,
                    section=current,
                )
            )
        else:
            caption = _latex_clean(_group(match.group(2), r"\\caption\{") or "")
            number = str(sum(1 for t in (tables if kind == "table" else algorithms)) + 1)
            if kind == "table":
                tabular = re.search(
                    r"\\begin\{tabular\}\{[^}]*\}(.*?)\\end\{tabular\}", match.group(2), re.S
                )
                rows = [
                    [_latex_clean(c) for c in row.split("&")]
                    for row in re.split(r"\\\\", tabular.group(1) if tabular else "")
                    if _latex_clean(re.sub(r"\\(?:hline|toprule|midrule|bottomrule)", "", row))
                ]
                rows = [
                    [re.sub(r"\\(?:hline|toprule|midrule|bottomrule)", "", c).strip() for c in row]
                    for row in rows
                ]
                tables.append(
                    Table(number=number, caption=caption, rows=rows, page=0, section=current)
                )
            else:
                steps = re.sub(r"\\caption\{[^}]*\}", "", match.group(2))
                algorithms.append(
                    Algorithm(
                        number=number,
                        caption=caption,
                        text=_latex_clean(steps),
                        page=0,
                        section=current,
                    )
                )
    if flat:
        flat[-1][1].append(_latex_clean(body[position:].split("\\end{document}")[0]))
    paper = _assemble(
        title, flat, tables=tables, equations=equations, algorithms=algorithms, authors=authors
    )
    return paper.model_copy(
        update={
            "abstract": abstract or paper.abstract,
            "references": references or paper.references,
        }
    )


def _group(text: str, opener: str) -> str | None:
    """The brace group after `opener`, with nested braces."""
    match = re.search(opener, text)
    if not match:
        return None
    depth, start = 1, match.end()
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index]
    return None
