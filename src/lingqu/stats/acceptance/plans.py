"""Sampling plans of GB/T 2828.1-2012 / ISO 2859-1:1999: code letters and the master tables.

``lookup_plan(lot_size, level, aql, stage, scheme)`` does what an inspector does with the printed
standard: Table 1 gives the sample-size code letter (clause 10.2); the master table of the stage
and scheme (Tables 2-A..2-C, 3-A..3-C) gives, at that letter's row and the AQL's column, a plan or
an arrow; an arrow is followed to the first plan in its direction and that plan — its sample size
included — is used (the row it sits in is ``plan_code_letter``). When the sample size is at least
the lot size every item is inspected (note to the master tables).

Parameters are checked up front; a bad value raises :class:`AcceptanceParameterError` (a
``lingqu.exceptions.ValidationError`` and a ``ValueError``) whose message names the parameter and
lists the allowed values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lingqu.exceptions import ValidationError
from lingqu.stats.acceptance.tables import (
    AQLS,
    BLANK,
    CODE_LETTER_TABLE,
    DOWN,
    LEVELS,
    SCHEMES,
    SINGLE_INSTEAD,
    STAGES,
    UP,
    MasterTable,
    master_table,
)

STANDARD = "GB/T 2828.1-2012 (ISO 2859-1:1999)"


class AcceptanceParameterError(ValidationError, ValueError):
    """A parameter of an acceptance-sampling routine is out of its domain."""


# --- parameters -----------------------------------------------------------------------------------

_ROMAN = {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "1": "I", "2": "II", "3": "III", "G-1": "I", "G-2": "II", "G-3": "III",
          "GI": "I", "GII": "II", "GIII": "III"}


def parse_lot_size(value: object, *, field_name: str = "lot_size") -> int:
    """A lot size is a whole number of items, at least 1."""
    if isinstance(value, bool):
        value = None
    try:
        as_float = float(str(value).strip().replace(",", "").replace("_", "")) if value is not None else math.nan
    except ValueError:
        as_float = math.nan
    if not math.isfinite(as_float) or as_float != int(as_float):
        raise AcceptanceParameterError(f"{field_name} must be a whole number of items (got {value!r})", field=field_name)
    n = int(as_float)
    if n < 1:
        raise AcceptanceParameterError(f"{field_name} must be at least 1 (got {n}); a lot with no items cannot be sampled",
                                       field=field_name)
    return n


def parse_level(value: object) -> str:
    """Inspection level: S-1, S-2, S-3, S-4, I, II or III (also Ⅰ Ⅱ Ⅲ, s1, G-II)."""
    text = str(value).strip().upper().replace(" ", "").replace("_", "-") if value is not None else ""
    text = _ROMAN.get(text, text)
    if len(text) == 2 and text[0] == "S" and text[1] in "1234":
        text = f"S-{text[1]}"
    if text not in LEVELS:
        raise AcceptanceParameterError(
            f"level must be one of {', '.join(LEVELS)} (got {value!r})", field="level")
    return text


def parse_aql(value: object) -> str:
    """A preferred AQL of the standard, returned as printed (``1.0``, ``0.010``, ``1000``)."""
    try:
        x = float(str(value).strip().rstrip("%")) if value is not None and not isinstance(value, bool) else math.nan
    except ValueError:
        x = math.nan
    for printed in AQLS:
        if math.isfinite(x) and math.isclose(x, float(printed), rel_tol=1e-9):
            return printed
    raise AcceptanceParameterError(
        f"aql must be a preferred AQL of GB/T 2828.1 (got {value!r}); allowed values: {', '.join(AQLS)}", field="aql")


def parse_stage(value: object) -> str:
    """Severity of inspection: normal, tightened or reduced (also 正常/加严/放宽)."""
    text = str(value).strip().lower() if value is not None else ""
    text = {"正常": "normal", "加严": "tightened", "放宽": "reduced", "tight": "tightened"}.get(text, text)
    if text not in STAGES:
        raise AcceptanceParameterError(f"stage must be one of {', '.join(STAGES)} (got {value!r})", field="stage")
    return text


def parse_scheme(value: object) -> str:
    """Type of plan: single or double (also 一次/二次)."""
    text = str(value).strip().lower() if value is not None else ""
    text = {"一次": "single", "二次": "double"}.get(text, text)
    if text not in SCHEMES:
        raise AcceptanceParameterError(f"scheme must be one of {', '.join(SCHEMES)} (got {value!r})", field="scheme")
    return text


def aql_index(aql: object) -> int:
    return AQLS.index(parse_aql(aql))


def code_letter(lot_size: object, level: object) -> str:
    """Table 1: the sample-size code letter for a lot size and inspection level (clause 10.2).

    A lot of one item is read in the first band (2 to 8); its plan is always 100 % inspection.
    """
    n = parse_lot_size(lot_size)
    column = LEVELS.index(parse_level(level))
    for low, high, letters in CODE_LETTER_TABLE:
        if high is None or n <= high:
            return letters[column]
    raise AssertionError("unreachable: the last band is open")  # pragma: no cover


# --- plans ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SingleSamplingPlan:
    """Inspect ``n`` items; accept the lot with at most ``ac`` nonconforming, not accept with ``re`` or more."""

    n: int
    ac: int
    re: int

    def __post_init__(self) -> None:
        if self.n < 1:
            raise AcceptanceParameterError(f"n must be at least 1 (got {self.n})", field="n")
        if self.ac < 0 or self.re <= self.ac:
            raise AcceptanceParameterError(f"need 0 <= ac < re (got ac={self.ac}, re={self.re})", field="ac")

    @property
    def max_sample_size(self) -> int:
        return self.n

    def judge(self, nonconforming: int) -> bool:
        """Clause 11.1.1 with Re = Ac + 1 plans; for a gap plan, a count between Ac and Re is not accepted either."""
        if nonconforming < 0:
            raise AcceptanceParameterError("nonconforming must be 0 or more", field="nonconforming")
        return nonconforming <= self.ac

    def to_dict(self) -> dict:
        return {"n": self.n, "ac": self.ac, "re": self.re}


@dataclass(frozen=True)
class DoubleSamplingPlan:
    """A double plan with *cumulative* sample sizes, as the standard tabulates them.

    First sample of ``n1``: accept at ``<= ac1``, not accept at ``>= re1``, otherwise take the second
    sample of ``n2 - n1`` items and accept if the cumulative count is ``<= ac2`` (``re2 = ac2 + 1``).
    """

    n1: int
    ac1: int
    re1: int
    n2: int
    ac2: int
    re2: int

    def __post_init__(self) -> None:
        if self.n1 < 1 or self.n2 <= self.n1:
            raise AcceptanceParameterError(f"need 1 <= n1 < n2 (cumulative); got n1={self.n1}, n2={self.n2}", field="n2")
        if not (0 <= self.ac1 < self.re1 - 1 and self.ac1 < self.ac2 < self.re2 and self.re1 <= self.re2):
            raise AcceptanceParameterError(
                f"need 0 <= ac1 < re1 - 1, ac1 < ac2 < re2, re1 <= re2 (got {self.ac1}/{self.re1}, {self.ac2}/{self.re2})",
                field="ac1")

    @property
    def second_sample_size(self) -> int:
        return self.n2 - self.n1

    @property
    def max_sample_size(self) -> int:
        return self.n2

    def judge(self, first: int, second: int | None = None) -> tuple[bool | None, str]:
        """Clause 11.1.2: ``(accepted, decided_after)``; ``(None, 'first')`` if a second sample is needed."""
        if first < 0 or (second is not None and second < 0):
            raise AcceptanceParameterError("nonconforming counts must be 0 or more", field="nonconforming")
        if first <= self.ac1:
            return True, "first"
        if first >= self.re1:
            return False, "first"
        if second is None:
            return None, "first"
        return first + second <= self.ac2, "second"

    def to_dict(self) -> dict:
        return {"n1": self.n1, "ac1": self.ac1, "re1": self.re1, "n2": self.n2, "ac2": self.ac2, "re2": self.re2,
                "second_sample_size": self.second_sample_size}


Plan = SingleSamplingPlan | DoubleSamplingPlan


def _parse_single(token: str, n: int) -> SingleSamplingPlan:
    ac, re = token.split("/")
    return SingleSamplingPlan(n, int(ac), int(re))


def _parse_double(token: str, n_each: int) -> DoubleSamplingPlan:
    first, second = token.split(",")
    ac1, re1 = (int(x) for x in first.split("/"))
    ac2, re2 = (int(x) for x in second.split("/"))
    return DoubleSamplingPlan(n_each, ac1, re1, 2 * n_each, ac2, re2)


@dataclass(frozen=True)
class CellResolution:
    """Where an arrow led: the row whose cell holds the plan, and the direction followed."""

    row: int
    token: str
    arrow: str | None  # "down", "up" or None when the cell itself holds the plan


def resolve_cell(table: MasterTable, letter: str, column: int) -> CellResolution:
    """Follow the arrows of a master table from (letter, column) to the cell that holds a plan."""
    i = table.row_index(letter)
    token = table.cells[i][column]
    if token not in (DOWN, UP):
        if token == BLANK:
            raise AssertionError(f"Table {table.number}: row {letter} has no entry at AQL {AQLS[column]}")
        return CellResolution(i, token, None)
    step = 1 if token == DOWN else -1
    arrow = "down" if step == 1 else "up"
    while token in (DOWN, UP):
        if (token == DOWN) != (step == 1):
            raise AssertionError(f"Table {table.number}: arrows point both ways at AQL {AQLS[column]}")
        i += step
        if not 0 <= i < len(table.letters):
            raise AssertionError(f"Table {table.number}: arrow from row {letter} at AQL {AQLS[column]} leaves the table")
        token = table.cells[i][column]
        if token == BLANK:
            raise AssertionError(f"Table {table.number}: arrow from row {letter} at AQL {AQLS[column]} ends on a blank")
    return CellResolution(i, token, arrow)


def table_plan(stage: str, scheme: str, letter: str, aql: object) -> tuple[str, str | None, Plan | None]:
    """The plan of a master table at a code letter and AQL: ``(plan_code_letter, arrow, plan)``.

    For a double table whose cell (after the arrows) is ``*`` the plan is ``None``: the standard says
    to use the corresponding single plan.
    """
    stage, scheme = parse_stage(stage), parse_scheme(scheme)
    table = master_table(stage, scheme)
    if letter not in table.letters:
        raise AcceptanceParameterError(f"code_letter must be one of {', '.join(table.letters)} (got {letter!r})",
                                       field="code_letter")
    res = resolve_cell(table, letter, aql_index(aql))
    row_letter, size = table.letters[res.row], table.sample_sizes[res.row]
    if res.token == SINGLE_INSTEAD:
        return row_letter, res.arrow, None
    plan = _parse_single(res.token, size) if scheme == "single" else _parse_double(res.token, size)
    return row_letter, res.arrow, plan


@dataclass(frozen=True)
class PlanLookup:
    """The answer to "which plan do I use": inputs, code letters, the plan and why."""

    lot_size: int
    level: str
    aql: str
    stage: str
    scheme: str
    code_letter: str
    plan_code_letter: str
    arrow: str | None
    table: str
    plan: Plan
    hundred_percent_inspection: bool
    explanation: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scheme_used(self) -> str:
        return "single" if isinstance(self.plan, SingleSamplingPlan) else "double"

    @property
    def units_to_inspect(self) -> int:
        """Items inspected at most: the (cumulative) sample size, or the whole lot."""
        return min(self.lot_size, self.plan.max_sample_size)

    def to_dict(self) -> dict:
        out = {
            "standard": STANDARD, "lot_size": self.lot_size, "level": self.level, "aql": self.aql,
            "stage": self.stage, "scheme": self.scheme, "scheme_used": self.scheme_used, "table": self.table,
            "code_letter": self.code_letter, "plan_code_letter": self.plan_code_letter, "arrow": self.arrow,
        }
        if self.scheme == "double":
            out["double_available"] = self.scheme_used == "double"
            out.update({k: None for k in ("n1", "ac1", "re1", "n2", "ac2", "re2", "second_sample_size")})
        out.update(self.plan.to_dict())
        out.update({"hundred_percent_inspection": self.hundred_percent_inspection,
                    "units_to_inspect": self.units_to_inspect, "explanation": self.explanation,
                    "notes": list(self.notes)})
        return out


def _describe(plan: Plan) -> str:
    if isinstance(plan, SingleSamplingPlan):
        return f"n={plan.n}, Ac={plan.ac}, Re={plan.re}"
    return (f"n1={plan.n1}, Ac1={plan.ac1}, Re1={plan.re1}; cumulative n2={plan.n2}, Ac2={plan.ac2}, Re2={plan.re2}")


def lookup_plan(lot_size: object, level: object, aql: object, stage: object = "normal",
                scheme: object = "single") -> PlanLookup:
    """The sampling plan for a lot (clauses 10.1-10.3), arrows followed, 100 % inspection flagged."""
    n_lot = parse_lot_size(lot_size)
    level, aql, stage, scheme = parse_level(level), parse_aql(aql), parse_stage(stage), parse_scheme(scheme)
    letter = code_letter(n_lot, level)
    notes: list[str] = []
    table_no = f"Table {master_table(stage, scheme).number}"
    plan_letter, arrow, plan = table_plan(stage, scheme, letter, aql)
    why = [f"lot size {n_lot}, level {level} -> code letter {letter} (Table 1)"]
    if arrow:
        why.append(f"{table_no}, row {letter}, AQL {aql}: arrow {'down' if arrow == 'down' else 'up'} to row {plan_letter}")
    else:
        why.append(f"{table_no}, row {letter}, AQL {aql}")
    if plan is None:  # '*' in a double table
        table_no = f"Table {master_table(stage, 'single').number}"
        plan_letter, arrow, plan = table_plan(stage, "single", letter, aql)
        notes.append("no double sampling plan here ('*'): the corresponding single sampling plan is used")
        why.append(f"'*' -> single plan from {table_no}" + (f", arrow {arrow} to row {plan_letter}" if arrow else ""))
    why.append(_describe(plan))
    if stage == "reduced" and scheme == "double":
        notes.append("Table 3-C (reduced double) is derived from the 1999 reduced single plans, not transcribed; "
                     "check against the printed standard before contractual use")
    first = plan.n if isinstance(plan, SingleSamplingPlan) else plan.n1
    hundred = first >= n_lot
    if hundred:
        notes.append(f"sample size {first} >= lot size {n_lot}: inspect every item (100 % inspection)")
        why.append("sample size >= lot size: 100 % inspection")
    elif isinstance(plan, DoubleSamplingPlan) and plan.n2 > n_lot:
        notes.append(f"cumulative sample size {plan.n2} exceeds the lot size {n_lot}: "
                     f"a second sample, if needed, is the remaining {n_lot - plan.n1} items")
    return PlanLookup(n_lot, level, aql, stage, scheme, letter, plan_letter, arrow, table_no, plan, hundred,
                      "; ".join(why), tuple(notes))


def tighter_acceptance_number(plan_code_letter: str, aql: object) -> int | None:
    """Ac of the normal single plan one AQL step tighter in the same row (for the switching score, 9.3.3.2).

    ``None`` when there is no tighter preferred AQL.
    """
    col = aql_index(aql)
    if col == 0:
        return None
    _, _, plan = table_plan("normal", "single", plan_code_letter, AQLS[col - 1])
    return plan.ac  # type: ignore[union-attr]
