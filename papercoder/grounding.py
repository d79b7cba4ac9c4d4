"""Hyperparameters grounded in the paper (pure functions).

`extract` finds the values a paper states, each with where it stands: `symbol = value`
statements (α = 0.001), phrases (a learning rate of 0.01, 16 hidden units, batches of 128),
and table cells with their row and column headers. The planner is given them.

`ground` then checks every config value the plan says comes from the paper against the text
at the place it cites. A value found there is verified (a small whole number, which a place
writes anyway, only when named); a value the paper states elsewhere under a matching name is
re-cited to that place; anything else becomes an assumption, and says what was cited. No
value is taken on the model's word.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from papercoder.agents.plan import ConfigEntry, ConfigPlan
from papercoder.paper.model import Paper, Section

_MINUS = "-−–"
_NUMBER = (
    rf"(?<![\w.])[{_MINUS}]?(?:\d{{1,2}}/[1-9]\d?(?![\d/]|[.,]\d)|\d+(?:[.,]\d+)*(?:\.\d+)?)"
    rf"(?:\s*[×x·∗*]\s*10\s*\^?\s*[{{(]?[{_MINUS}+]?\d+[}})]?|[eE][{_MINUS}+]?\d+"
    rf"|\^[{{(]?[{_MINUS}+]?\d+[}})]?|(?<=10)[{_MINUS}]\d+(?!\d|\.\d))?%?"
)
NUMBER = re.compile(_NUMBER)
_SYMBOL = r"(?P<name>(?:[A-Za-z][A-Za-z_]{0,15}|[α-ωΑ-Ωϵϑϕϱ])(?:_?\{?[A-Za-z0-9]{1,6}\}?)?)"
_STATEMENT = re.compile(rf"{_SYMBOL}\s*[=←]\s*(?P<value>{_NUMBER})")
_WORDS = (
    r"learning[ -]rates?|step[ -]sizes?|dropout(?: rate| probability)?|weight decay|"
    r"l2(?: regularization| penalty| weight)?(?: factor)?|momentum|batch(?:[ -]size)?|"
    r"mini-?batch(?:[ -]size)?|epochs?|iterations?|training steps|steps|warm-?up(?: steps)?|"
    r"hidden units|hidden layers?|layers|units|cells|heads|dimensions?|embeddings?|"
    r"beam(?:[ -]size)?|temperature|perplexity|decay rate|label smoothing|gradient norm|"
    r"clipping threshold|window(?: size)?|vocabulary(?: size)?|exaggeration|filters|"
    r"kernel size|patience|neighbors|neighbours|negative samples"
)
_PHRASE_BEFORE = re.compile(
    rf"(?P<name>{_WORDS})\s*(?:\([^)]{{0,20}}\)\s*)?(?:of|=|is|was|to|:|set to|equal to|"
    rf"fixed to|fixed at|at)?\s*(?:set to\s+|about\s+|approximately\s+)?(?P<value>{_NUMBER})",
    re.I,
)
_VALUE_NAMED = re.compile(
    rf"(?P<value>{_NUMBER})\s*\((?P<name>(?:[\w ]{{0,20}}\s)?(?:{_WORDS})[\w ,]{{0,30}})\)", re.I
)
_PHRASE_AFTER = re.compile(
    rf"(?P<value>{_NUMBER})(?:-dimensional|-layer| )\s*(?:\w+\s)?(?P<name>{_WORDS})\b", re.I
)
# how a paper states its weights' initialisation, under the name it is carried by: seq2seq's
# "uniform distribution between -0.08 and 0.08", VGG's "normal distribution with the zero mean
# and 10−2 variance"
_INIT = (
    (
        re.compile(
            rf"uniform(?:ly)?(?:\s+distribution)?\s+(?:between|in|on|over|from)\s*[\[(]?\s*"
            rf"[{_MINUS}]\s*(?P<value>\d+(?:\.\d+)?)\s*(?:and|to|,)\s*\+?(?P=value)(?!\d|\.\d)",
            re.I,
        ),
        "init range",
    ),
    (
        re.compile(
            rf"(?:normal|gaussian)(?:\s+distribution)?\s+with\s+(?:a\s+|the\s+)?(?:zero|0)\s+"
            rf"mean\s+and\s+(?:a\s+)?(?P<value>{_NUMBER})\s+variance",
            re.I,
        ),
        "init variance",
    ),
    (
        re.compile(
            rf"(?:normal|gaussian)(?:\s+distribution)?\s+with\s+(?:a\s+|the\s+)?(?:(?:zero|0)"
            rf"\s+mean\s+and\s+(?:a\s+)?)?standard\s+deviation\s+(?:of\s+)?(?P<value>{_NUMBER})",
            re.I,
        ),
        "init std",
    ),
)
_OF_WEIGHTS = re.compile(r"initiali[sz]|weight|parameters", re.I)
_ALIASES = {
    "α": "alpha",
    "ϵ": "epsilon",
    "β": "beta",
    "ε": "epsilon",
    "eps": "epsilon",
    "γ": "gamma",
    "λ": "lambda",
    "η": "eta",
    "lr": "learning rate",
    "τ": "tau",
    "θ": "theta",
}


TABLE_VALUES = 12
_NOT_SYMBOLS = {
    "table", "figure", "fig", "eq", "section", "p", "n", "i", "j", "t", "x", "used", "follows",
    "is", "was", "are", "be", "with", "where", "and", "of", "to", "the",
}  # fmt: skip


class Candidate(BaseModel):
    """A value the paper states, and where."""

    model_config = ConfigDict(extra="forbid")

    name: str
    value: float
    text: str
    where: str
    quote: str
    also: list[str] = Field(default_factory=list, description="other names, e.g. a row's label")
    heading: str = Field(default="", description="the title of the section that states it")

    def named(self, key: str) -> bool:
        return any(names_match(key, name) for name in (self.name, *self.also))


class Grounding(BaseModel):
    """What became of one config entry."""

    model_config = ConfigDict(extra="forbid")

    key: str
    value: str
    cited: str
    status: Literal["verified", "re-cited", "assumption"]
    source: str
    note: str = ""


def parse_number(text: str) -> float | None:
    """The number `text` writes: 0.001, 1e-3, 10−8, 10^-8, 5 × 10^-4, 1,000, 50%, 3/4."""
    raw = text.strip().rstrip("%")
    for dash in _MINUS[1:]:
        raw = raw.replace(dash, "-")
    raw = re.sub(r"\s+", "", raw).replace("{", "").replace("}", "").replace("(", "")
    raw = raw.replace(")", "")
    scaled = re.match(r"^(-?[\d.,]+)[×x·∗*]10\^?([-+]?\d+)$", raw)
    fraction = re.match(r"^(-?\d{1,2})/([1-9]\d?)$", raw)  # glove's α = 3/4
    try:
        if fraction:
            return int(fraction[1]) / int(fraction[2])
        if scaled:
            return float(scaled[1].replace(",", "")) * 10.0 ** int(scaled[2])
        power = re.match(r"^(-?\d+)(?:\^|(?<=10)(?=-))([-+]?\d+)$", raw)
        if power:
            return float(power[1]) ** int(power[2])
        if re.match(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$", raw):
            raw = raw.replace(",", "")
        return float(raw.replace(",", "."))
    except (ValueError, OverflowError):
        return None


def same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


def places(paper: Paper) -> Iterator[tuple[str, str]]:
    """(where, text) for every place a value can stand."""
    if paper.abstract:
        yield "Abstract", paper.abstract
    for section in paper.walk():
        yield section_label(section), f"{section.title}\n{section.text}"
    for algorithm in paper.algorithms:
        yield f"Algorithm {algorithm.number or '?'}", f"{algorithm.caption}\n{algorithm.text}"
    for equation in paper.equations:
        if equation.number:
            yield f"Equation {equation.number}", equation.text
    for table in paper.tables:
        yield (
            f"Table {table.number or '?'}",
            table.caption + "\n" + "\n".join(" | ".join(row) for row in table.rows),
        )


def section_label(section: Section) -> str:
    return f"Section {section.number}" if section.number else f"Section '{section.title}'"


def extract(paper: Paper, limit: int = 60) -> list[Candidate]:
    """The values the paper states, most trustworthy first, without repeats."""
    found: list[Candidate] = []
    seen: set[tuple[str, float]] = set()

    def add(
        name: str, text: str, where: str, quote: str, also: str = "", heading: str = ""
    ) -> None:
        value = parse_number(text)
        if value is None:
            return
        found.append(
            Candidate(
                name=name.strip(),
                value=value,
                text=text.strip(),
                where=where,
                quote=quote,
                also=[also] if also else [],
                heading=heading,
            )
        )

    for where, text in places(paper):
        if where.startswith("Table"):
            continue
        flat = " ".join(text.split())
        heading = text.split("\n", 1)[0] if where.startswith("Section") else ""
        for name, match in _statements(flat):
            add(name, match["value"], where, _quote(flat, match.start(), match.end()), "", heading)
    for table in paper.tables:
        for name, text, where, also in _table_values(table.number or "?", table.rows)[
            :TABLE_VALUES
        ]:
            add(name, text, where, where, also)
    kept = []
    # the same value under the same name: once, as a setting rather than a bound if both
    for candidate in sorted(found, key=lambda c: (_rank(c), bool(bound(c)))):
        key = (canonical(candidate.name), candidate.value)
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept[:limit]


def _statements(flat: str) -> Iterator[tuple[str, re.Match[str]]]:
    """The values `flat` states, each with its name and its match (whose `value` it is):
    a symbol's (`β1 = 0.9`) or a setting's named in words; then how the weights are drawn
    (_INIT), under the name each is carried by, in a sentence of the weights' or
    parameters' initialisation, not of a data set's."""
    for pattern in (_STATEMENT, _VALUE_NAMED, _PHRASE_BEFORE, _PHRASE_AFTER):
        for match in pattern.finditer(flat):
            if pattern is not _STATEMENT or _plausible_symbol(match["name"]):
                yield match["name"], match
    for pattern, name in _INIT:
        for match in pattern.finditer(flat):
            if _OF_WEIGHTS.search(flat[: match.start()].rsplit(". ", 1)[-1]):
                yield name, match


def _rank(candidate: Candidate) -> int:
    if candidate.where.startswith("Algorithm"):
        return 0
    if candidate.where.startswith("Table"):
        return 2
    return 1


def _plausible_symbol(name: str) -> bool:
    """A hyperparameter's symbol, not a formula's index or a figure's axis."""
    if name.lower() in _NOT_SYMBOLS:
        return False
    return not name.isdigit()


def _quote(text: str, start: int, end: int, span: int = 70) -> str:
    return text[max(0, start - span) : end + span].strip()


_GENERIC = {"value", "values", "setting", "settings", "default", "choice", "used"}


def _table_values(number: str, rows: list[list[str]]) -> list[tuple[str, str, str, str]]:
    return list(_table_cells(number, rows))


def _table_cells(number: str, rows: list[list[str]]) -> Iterator[tuple[str, str, str, str]]:
    """(name, cell, where, other name): the column's header names a value, unless it is a
    generic one ('Value'), when the row's label does."""
    if len(rows) < 2:
        return
    header = rows[0]
    for row in rows[1:]:
        label = row[0].strip() if row else ""
        for column, cell in enumerate(row[1:], 1):
            head = header[column].strip() if column < len(header) else ""
            if NUMBER.fullmatch(cell.strip() or "x") and (head or label):
                where = f"Table {number} (row '{label}', column '{head}')"
                if not head or head.lower() in _GENERIC:
                    yield label, cell, where, head
                else:
                    yield head, cell, where, label


def _spelled(name: str) -> str:
    """`name` in lower case with its leading symbol spelled out (β1 → beta1, lr → learning
    rate); a Latin alias only as a whole word (eps, not epsilon's first letters)."""
    text = name.lower().replace("-", " ").replace("_", " ").strip()
    for alias, meaning in _ALIASES.items():
        rest = text[len(alias) :]
        if text.startswith(alias) and (not alias.isascii() or not rest[:1].isalpha()):
            text = meaning + rest
            break
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"(?<=[a-z])\s?(\d)$", r"\1", text)  # beta 1 → beta1


def canonical(name: str) -> str:
    """`name` as names are compared: spelled out, lower case, singular."""
    return _spelled(name).removesuffix("s")


def candidates_text(candidates: list[Candidate], quotes: bool = True) -> str:
    """The candidates as the planner reads them (`quotes`: with the words around each, which
    cost a small model's context more than they tell it)."""
    if not candidates:
        return "(none found)"
    return "\n".join(
        f"- {c.name} = {c.text} ({c.where})" + (f": “{c.quote}”" if quotes else "")
        for c in candidates
    )


# checking the plan's citations


def resolve(paper: Paper, cited: str) -> list[tuple[str, str]]:
    """The places `cited` names ('Section 3.2', 'Sec. 3', '§4', 'Table 1', 'Algorithm 1',
    'Equation 2', 'Abstract', or a section title), as (where, text)."""
    found = []
    text = cited.strip()
    kind = re.match(
        r"^\s*(sec(?:tion|\.)?|§|table|tab\.|algorithm|alg\.|equation|eq\.|appendix)\s*"
        r"(?P<number>[A-Z]?\d+(?:\.\d+)*|[A-Z])\b",
        text,
        re.I,
    )
    everything = list(places(paper))
    if kind:
        word = kind[1].lower()
        number = kind["number"]
        prefix = (
            "Table"
            if word.startswith("tab")
            else "Algorithm"
            if word.startswith("alg")
            else "Equation"
            if word.startswith("eq")
            else "Section"
        )
        for where, body in everything:
            label = where.split(" (")[0]
            if label == f"{prefix} {number}" or (
                prefix == "Section" and label.startswith(f"Section {number}.")
            ):
                found.append((where, body))
        return found
    if text.lower().startswith("abstract"):
        return [(w, b) for w, b in everything if w == "Abstract"]
    wanted = re.sub(r"\W+", " ", text.lower()).strip()
    for section in paper.walk():
        title = re.sub(r"\W+", " ", section.title.lower()).strip()
        if wanted and title and (wanted == title or (len(title) > 5 and title in wanted)):
            label = section_label(section)
            found += [(w, b) for w, b in everything if w == label]
    return found


def distinctive(value: float) -> bool:
    """Whether a number found at a place, with no name beside it, says the place states it:
    not a whole number from -10 to 10, which section, equation and figure numbers, counts and
    indices write everywhere (the 1.5B model's `ti: 1` and `ζ: 0` were verified by Sections
    5 and 3, adam papers-36)."""
    return not (float(value).is_integer() and abs(value) <= SMALL_WHOLE)


SMALL_WHOLE = 10


def stated_at(value: float, text: str) -> bool:
    flat = " ".join(text.split())
    return any(
        (number := parse_number(m.group(0))) is not None and same(number, value)
        for m in NUMBER.finditer(flat)
    )


_SYNONYMS = (
    {"alpha", "learning rate", "lr", "step size", "stepsize", "eta"},
    {"epsilon", "eps"},
    {"dropout", "dropout rate", "pdrop", "p drop", "drop rate", "dropout probability"},
    {"weight decay", "l2", "l2 regularization", "l2 penalty", "l2 weight"},
    {"hidden", "hidden units", "units", "number of hidden units", "hidden size", "hidden dim"},
    {"dmodel", "d model", "model dim", "model dimension", "embedding dim"},
    {"heads", "h", "num heads", "n heads", "attention heads"},
    {"dff", "d ff", "ff dim", "inner dim", "feed forward dim"},
    {"layers", "n layers", "num layers", "n", "depth", "number of layers"},
    {"warmup", "warmup steps", "warmup step"},
    {"epochs", "epoch", "max epochs", "num epochs", "training iterations"},
    {"batch size", "batch", "minibatch size", "mini batch size", "minibatch"},
    {"momentum"},
    {"temperature"},
    {"label smoothing"},
    {"beam size", "beam", "beam width"},
    {"init range", "initial range", "init scale", "initialization range", "uniform range"},
    {"init variance", "initial variance", "initialization variance", "weight variance"},
    {"init std", "initial std", "init stddev", "initialization std", "weight std"},
)


# words two names can share and still mean different values (num_heads, num_epochs)
_FILLER = {
    "rate", "size", "number", "of", "num", "n", "max", "min", "total", "init", "initial",
    "dim", "step", "decay",
}  # fmt: skip


def names_match(key: str, name: str) -> bool:
    """Whether a config key and a name the paper uses can mean the same value."""
    leaf = canonical(key.split(".")[-1])
    other = canonical(name)
    if not leaf or not other:
        return False
    if leaf == other:
        return True
    short, longer = sorted((leaf, other), key=len)
    digits_differ = short[-1].isdigit() and longer[-1].isdigit() and short[-1] != longer[-1]
    if len(short) >= 3 and short in longer and not digits_differ:
        return True
    for group in _SYNONYMS:
        if any(_close(leaf, canonical(g)) for g in group) and any(
            _close(other, canonical(g)) for g in group
        ):
            return True
    return bool(set(leaf.split()) & set(other.split()) - _FILLER)


def _close(text: str, word: str) -> bool:
    return text == word or text.replace(" ", "") == word.replace(" ", "")


def ground(
    paper: Paper,
    key: str,
    value: object,
    cited: str,
    assumption: bool,
    candidates: list[Candidate],
) -> Grounding:
    """Check one config entry against the paper; see the module's docstring."""
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None and isinstance(value, str):
        number = parse_number(value)
    base = {"key": key, "value": str(value), "cited": cited}
    places = resolve(paper, cited) if cited.strip().lower() != "assumption" else []
    if number is None:
        if any(str(value).lower() in body.lower() for _, body in places):
            return Grounding(**base, status="verified", source=places[0][0])
        return Grounding(**base, status="assumption", source="assumption", note=_why(cited))
    named = [c for c in candidates if same(c.value, float(number)) and c.named(key)]
    if named and all(bound(c) for c in named):  # "deeper models with up to 10 layers"
        note = (
            f"{named[0].where} states {named[0].text} for {named[0].name} only as a bound"
            f" ({bound(named[0])!r}), not as the setting"
        )
        return Grounding(**base, status="assumption", source="assumption", note=note)
    for where, body in places:
        here = [c for c in candidates if c.where.split(" (")[0] == where and same(c.value, number)]
        if any(c.named(key) and not bound(c) for c in here):
            return Grounding(**base, status="verified", source=where)
        if here:  # the place states the number, for another parameter
            note = f"{where} states {here[0].text} for {here[0].name}, not for {key}"
            return Grounding(**base, status="assumption", source="assumption", note=note)
        if stated_at(float(number), body):
            if distinctive(float(number)):
                return Grounding(**base, status="verified", source=where)
            small = f"{where} has {value:g}" if isinstance(value, int | float) else where
            note = f"{small} but nowhere as {key.split('.')[-1]}: too common to count alone"
            return Grounding(**base, status="assumption", source="assumption", note=note)
    for candidate in candidates:
        if candidate in named and not bound(candidate):
            note = f"cited {cited!r}; the paper states it in {candidate.where}"
            return Grounding(**base, status="re-cited", source=candidate.where, note=note)
    return Grounding(**base, status="assumption", source="assumption", note=_why(cited, assumption))


def _why(cited: str, assumption: bool = False) -> str:
    if assumption or not cited.strip() or cited.strip().lower() == "assumption":
        return "the paper does not state it"
    return f"cited {cited!r}, which does not state it"


class GroundingReport(BaseModel):
    """plan/grounding.json: the values found in the paper and what became of each config
    value the plan says comes from it."""

    model_config = ConfigDict(extra="forbid")

    values: list[Candidate]
    config: list[Grounding]

    def counts(self) -> dict[str, int]:
        statuses = [g.status for g in self.config]
        return {s: statuses.count(s) for s in ("verified", "re-cited", "assumption")}


def ground_config(
    paper: Paper, config: ConfigPlan, candidates: list[Candidate]
) -> tuple[ConfigPlan, list[Grounding]]:
    """`config` with every source checked: verified and re-cited entries name the place the
    paper states them; the rest are assumptions."""
    groundings = []
    entries = []
    for entry in config.entries:
        result = ground(paper, entry.key, entry.value, entry.source, entry.assumption, candidates)
        groundings.append(result)
        entries.append(
            entry.model_copy(
                update={"source": result.source, "assumption": result.status == "assumption"}
            )
        )
    return config.model_copy(update={"entries": entries}), groundings


# the key a stated value gets in config.yaml: the name of its synonym group
_PREFERRED = (
    "learning_rate", "epsilon", "dropout", "weight_decay", "hidden_units", "d_model", "heads",
    "d_ff", "num_layers", "warmup_steps", "epochs", "batch_size", "momentum", "temperature",
    "label_smoothing", "beam_size", "init_range", "init_variance", "init_std",
)  # fmt: skip
CARRIED = "paper"  # the config section of the stated values the plan left out
_GREEK = re.compile(r"^[α-ωΑ-Ωϵϑϕϱ]")


def carried_key(name: str) -> str | None:
    """The config key a value the paper states under `name` gets: a spelled-out Greek symbol
    keeps its own name (α is a step size in one paper and a length penalty in another), any
    other name its synonym group's (dmodel → d_model, h → heads, Pdrop → dropout)."""
    group = _group(name)
    if group is not None:
        return group
    key = re.sub(r"\W+", "_", _spelled(name)).strip("_")
    return key if key.isidentifier() and key.isascii() else None


def _group(name: str) -> str | None:
    """The preferred key of the synonym group a name other than a Greek symbol belongs to."""
    if _GREEK.match(name.strip()):
        return None
    spelled = canonical(name)
    for group, preferred in zip(_SYNONYMS, _PREFERRED, strict=True):
        if any(_close(spelled, canonical(g)) for g in group):
            return preferred
    return None


# the sections that speak of the field, of others' work or of results, not of the settings
_CLAIMS = re.compile(r"^\W*(introduction|related work|prior work|conclusions?)\b", re.I)


def _a_setting(candidate: Candidate) -> bool:
    """Whether a stated value reads as a setting to carry: in prose, a value of a known
    hyperparameter (its synonym group's) or a Greek symbol's, not a claim (the abstract's, an
    introduction's, related work's, conclusions'), a bound ("up to 10
    layers"), a share (50 %), an initial value (m_0 = 0) or a number of another phrase
    ("5·10−4) and dropout"); in a table, a cell of a settings table, not a results table."""
    if candidate.text.endswith("%") or candidate.value in (0.0, 1.0):
        return False
    if candidate.where.startswith("Table"):
        return any(head.lower() in _GENERIC for head in candidate.also)
    if candidate.where == "Abstract" or _CLAIMS.search(candidate.heading):
        return False  # claims, ranges and others' work: "with over 100 layers" (ResNet, §1)
    if bound(candidate):
        return False
    after = candidate.quote.find(candidate.text)
    gap = (
        candidate.quote[after + len(candidate.text) :].split(candidate.name)[0]
        if after >= 0
        else ""
    )
    if (
        candidate.name in candidate.quote[after:]
        and len(gap) < 40
        and re.search(r"\)|\band\b|;", gap)
    ):
        return False
    return _group(candidate.name) is not None or bool(_GREEK.match(candidate.name.strip()))


_BOUND = r"\b(?:up to|at most|as many as|more than|fewer than|less than|no more than)"


def bound(candidate: Candidate) -> str:
    """The words that make a stated value a bound rather than a setting ("deeper models with
    up to 10 layers", GCN §5.2, which trains two), or "" when it is not one."""
    found = re.search(
        rf"{_BOUND}\s+{re.escape(candidate.text)}(?!\d|\.\d)(?:\s+\w+)?", candidate.quote, re.I
    )
    return found.group(0) if found else ""


def carry_stated(
    config: ConfigPlan, candidates: list[Candidate], limit: int = 16
) -> tuple[ConfigPlan, list[str]]:
    """`config` with the settings the paper states (in its text or a table of settings, not a
    table of results) and the plan left out, under `paper.<name>`, each citing the
    place that states it; and what was added. A small model's plan keeps two of a paper's
    values and invents the rest; the coder then cannot use what the paper says."""
    entries = list(config.entries)
    added: list[str] = []
    used = {e.key for e in entries}
    # a smoke run's own values are not the method's: resnet's plan kept `smoke.layers: 100`
    # (the introduction's "over 100 layers", papers-66), and §3.3's 34 was not carried
    planned = [e for e in entries if not _smoke(e.key)]
    for candidate in candidates:
        if len(added) >= limit:
            break
        if not _a_setting(candidate):
            continue
        name = carried_key(candidate.name)
        if any(
            (
                isinstance(e.value, int | float)
                and not isinstance(e.value, bool)
                and same(float(e.value), candidate.value)
                and candidate.named(e.key)
            )
            or carried_key(e.key.split(".")[-1]) == name
            for e in planned
        ):
            if name is not None:  # and a later statement of it is another setting's
                used.add(f"{CARRIED}.{name}")
            continue  # the plan has it, or has its own value for it (checked on its own)
        if name is None or f"{CARRIED}.{name}" in used:
            continue  # the first statement of a name wins: later ones are other settings
        key = f"{CARRIED}.{name}"
        if any(k == CARRIED or k.startswith(key + ".") for k in used):
            continue
        value: int | float = (
            int(candidate.value)
            if candidate.value.is_integer() and "." not in candidate.text
            else candidate.value
        )
        entries.append(ConfigEntry(key=key, value=value, source=candidate.where))
        used.add(key)
        added.append(f"{key} = {candidate.text} ({candidate.where})")
    return config.model_copy(update={"entries": entries}), added


def _smoke(key: str) -> bool:
    """Whether a config key stands in a smoke section (`smoke.layers`, `training.smoke.x`)."""
    return any(re.sub(r"\W", "", part.lower()) == "smoke" for part in key.split(".")[:-1])


def config_comments(groundings: list[Grounding]) -> dict[str, str]:
    """The comment config.yaml carries after each value: its source, checked."""
    comments = {}
    for g in groundings:
        if g.status == "verified" and g.key.startswith(f"{CARRIED}."):
            comments[g.key] = f"{g.source} (stated there; the plan left it out)"
        elif g.status == "verified":
            comments[g.key] = f"{g.source} (verified)"
        elif g.status == "re-cited":
            comments[g.key] = f"{g.source} (verified; the plan cited {g.cited!r})"
        else:
            comments[g.key] = "assumption" + (f": {g.note}" if g.note else "")
    return comments
