"""The switching rules of GB/T 2828.1-2012 / ISO 2859-1:1999 (clause 9) as a pure state machine.

A :class:`SwitchingState` is the state of one product line (one class of nonconformity): the
severity in force, the switching score and what the rules need to remember. ``state.after(lot)``
returns the state for the next lot together with the reason, so the same code serves a live
record (the service stores each state) and a replay of history (the tests walk scenarios lot by lot).

Rules implemented (clause numbers of ISO 2859-1:1999):

* 9.1  inspection starts on normal (unless the responsible authority says otherwise);
* 9.3.1 normal -> tightened when 2 lots of 5 or fewer consecutive lots on original normal
  inspection are not accepted;
* 9.3.2 tightened -> normal when 5 consecutive lots on original tightened inspection are accepted;
* 9.3.3 normal -> reduced when the switching score is at least 30, production is at a steady rate
  and the responsible authority considers reduced inspection desirable;
  9.3.3.2 switching score: set to 0 at the start of normal inspection and updated after every lot on
  original normal inspection — single plans with Ac >= 2: +3 if the lot would have been accepted had
  the AQL been one step tighter, otherwise reset to 0; single plans with Ac 0 or 1: +2 if the lot is
  accepted, otherwise reset to 0; double plans: +3 if the lot is accepted after the first sample,
  otherwise reset to 0;
* 9.3.4 reduced -> normal when a lot is not accepted, production becomes irregular or delayed, or
  other conditions (the responsible authority) warrant it;
* 9.4  discontinuation when the cumulative number of lots not accepted in a sequence of consecutive
  lots on original tightened inspection reaches 5; inspection resumes only after the supplier's
  corrective action, on tightened inspection as if 9.3.1 had been invoked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lingqu.stats.acceptance.plans import AcceptanceParameterError, DoubleSamplingPlan, Plan, SingleSamplingPlan

NORMAL, TIGHTENED, REDUCED, DISCONTINUED = "normal", "tightened", "reduced", "discontinued"
SWITCHING_SCORE_LIMIT = 30
TIGHTENED_WINDOW = 5
NOT_ACCEPTED_TO_TIGHTEN = 2
ACCEPTED_TO_RELAX = 5
NOT_ACCEPTED_TO_DISCONTINUE = 5


@dataclass(frozen=True)
class LotResult:
    """What the switching rules need to know about one lot on original inspection.

    ``score_points`` is the switching-score credit of the lot (clause 9.3.3.2): 2 or 3 when it earns
    credit, ``0`` when it resets the score; only used on normal inspection (see :func:`score_points`).
    """

    accepted: bool
    score_points: int = 0
    production_steady: bool = True
    reduced_desirable: bool = True
    normal_required: bool = False


def score_points(plan: Plan, accepted: bool, *, nonconforming: int = 0, tighter_ac: int | None = None,
                 decided_after: str = "first") -> int:
    """The switching-score credit of one lot under ``plan`` (clause 9.3.3.2); 0 means "reset to 0".

    Single plan, Ac >= 2: 3 if ``nonconforming <= tighter_ac`` (the Ac of the plan one AQL step
    tighter), else 0. Single plan, Ac 0 or 1: 2 if accepted, else 0. Double plan: 3 if accepted
    after the first sample, else 0.
    """
    if isinstance(plan, DoubleSamplingPlan):
        return 3 if accepted and decided_after == "first" else 0
    if not isinstance(plan, SingleSamplingPlan):
        raise AcceptanceParameterError("plan must be a SingleSamplingPlan or DoubleSamplingPlan", field="plan")
    if plan.ac >= 2:
        if tighter_ac is None:
            raise AcceptanceParameterError("tighter_ac is needed for a single plan with Ac >= 2", field="tighter_ac")
        return 3 if accepted and nonconforming <= tighter_ac else 0
    return 2 if accepted else 0


@dataclass(frozen=True)
class SwitchingState:
    """The switching-rule state of one line before its next lot, and why it is what it is."""

    stage: str = NORMAL
    switching_score: int = 0
    #: accepted flags of the most recent (at most 5) consecutive lots on the current normal period
    recent_normal: tuple[bool, ...] = ()
    #: consecutive accepted lots on the current tightened period
    tightened_accepted_run: int = 0
    #: lots not accepted since the current tightened period began
    tightened_not_accepted: int = 0
    lots_on_stage: int = 0
    reason: str = "inspection starts on normal inspection (clause 9.1)"
    clause: str = "9.1"

    def __post_init__(self) -> None:
        if self.stage not in (NORMAL, TIGHTENED, REDUCED, DISCONTINUED):
            raise AcceptanceParameterError(
                f"stage must be one of normal, tightened, reduced, discontinued (got {self.stage!r})", field="stage")

    @classmethod
    def start(cls, stage: str = NORMAL) -> SwitchingState:
        """The state before the first lot; the responsible authority may start on another severity (9.1)."""
        if stage == NORMAL:
            return cls()
        if stage not in (TIGHTENED, REDUCED):
            raise AcceptanceParameterError(f"stage must be one of normal, tightened, reduced (got {stage!r})",
                                           field="stage")
        return cls(stage=stage, reason=f"the responsible authority directed {stage} inspection at the start (9.1)",
                   clause="9.1")

    def _enter(self, stage: str, reason: str, clause: str) -> SwitchingState:
        return SwitchingState(stage=stage, reason=reason, clause=clause)

    def after(self, lot: LotResult) -> SwitchingState:
        """The state for the next lot after ``lot`` was inspected under this state's severity."""
        if self.stage == DISCONTINUED:
            raise AcceptanceParameterError(
                "inspection is discontinued (clause 9.4): resume only after the supplier's corrective action "
                "has been accepted by the responsible authority", field="stage")
        if self.stage == NORMAL:
            return self._after_normal(lot)
        if self.stage == TIGHTENED:
            return self._after_tightened(lot)
        return self._after_reduced(lot)

    def _after_normal(self, lot: LotResult) -> SwitchingState:
        recent = (self.recent_normal + (lot.accepted,))[-TIGHTENED_WINDOW:]
        not_accepted = recent.count(False)
        if not_accepted >= NOT_ACCEPTED_TO_TIGHTEN:
            return self._enter(TIGHTENED, f"{not_accepted} of the last {len(recent)} consecutive lots on normal "
                               "inspection were not accepted (2 of 5 or fewer, clause 9.3.1)", "9.3.1")
        if lot.score_points not in (0, 2, 3):
            raise AcceptanceParameterError("score_points must be 0, 2 or 3 (clause 9.3.3.2)", field="score_points")
        score = self.switching_score + lot.score_points if lot.accepted and lot.score_points else 0
        if score >= SWITCHING_SCORE_LIMIT and lot.production_steady and lot.reduced_desirable:
            return self._enter(REDUCED, f"switching score {score} >= {SWITCHING_SCORE_LIMIT}, production steady and "
                               "reduced inspection approved by the responsible authority (clause 9.3.3)", "9.3.3")
        if score >= SWITCHING_SCORE_LIMIT:
            missing = "production is not at a steady rate" if not lot.production_steady else \
                "the responsible authority has not approved reduced inspection"
            reason = f"switching score {score} >= {SWITCHING_SCORE_LIMIT} but {missing}: normal continues (9.3.3)"
        elif not lot.accepted:
            reason = f"lot not accepted: switching score reset to 0; {not_accepted} of the last {len(recent)} " \
                     "lots not accepted (tightened at 2, clause 9.3.1)"
        elif lot.score_points == 0:
            reason = "lot accepted but not with the one-step-tighter AQL (or not on the first sample): " \
                     "switching score reset to 0 (clause 9.3.3.2)"
        else:
            reason = f"normal continues: switching score {score} (reduced at {SWITCHING_SCORE_LIMIT}, clause 9.3.3.2)"
        return replace(self, switching_score=score, recent_normal=recent, lots_on_stage=self.lots_on_stage + 1,
                       reason=reason, clause="9.3.3.2" if lot.accepted else "9.3.1")

    def _after_tightened(self, lot: LotResult) -> SwitchingState:
        if lot.accepted:
            run = self.tightened_accepted_run + 1
            if run >= ACCEPTED_TO_RELAX:
                return self._enter(NORMAL, f"{run} consecutive lots accepted on tightened inspection "
                                   "(clause 9.3.2); switching score restarts at 0", "9.3.2")
            return replace(self, tightened_accepted_run=run, lots_on_stage=self.lots_on_stage + 1, clause="9.3.2",
                           reason=f"tightened continues: {run} consecutive lots accepted (normal at 5, clause 9.3.2)")
        failures = self.tightened_not_accepted + 1
        if failures >= NOT_ACCEPTED_TO_DISCONTINUE:
            return self._enter(DISCONTINUED, f"{failures} lots not accepted on tightened inspection: acceptance "
                               "inspection is discontinued until the supplier has acted (clause 9.4)", "9.4")
        return replace(self, tightened_accepted_run=0, tightened_not_accepted=failures,
                       lots_on_stage=self.lots_on_stage + 1, clause="9.4",
                       reason=f"tightened continues: {failures} lot(s) not accepted on tightened "
                              "(discontinued at 5, clause 9.4)")

    def _after_reduced(self, lot: LotResult) -> SwitchingState:
        if not lot.accepted:
            return self._enter(NORMAL, "a lot was not accepted on reduced inspection (clause 9.3.4 a)", "9.3.4")
        if not lot.production_steady:
            return self._enter(NORMAL, "production became irregular or delayed (clause 9.3.4 b)", "9.3.4")
        if lot.normal_required:
            return self._enter(NORMAL, "the responsible authority reinstated normal inspection (clause 9.3.4 c)",
                               "9.3.4")
        return replace(self, lots_on_stage=self.lots_on_stage + 1, clause="9.3.4",
                       reason="reduced continues: lot accepted, production steady (clause 9.3.4)")

    def resume(self) -> SwitchingState:
        """After discontinuation and the supplier's corrective action: tightened inspection (clause 9.4)."""
        if self.stage != DISCONTINUED:
            raise AcceptanceParameterError("only a discontinued line can be resumed", field="stage")
        return self._enter(TIGHTENED, "inspection resumed after corrective action, on tightened inspection "
                           "as if clause 9.3.1 had been invoked (clause 9.4)", "9.4")

    def to_dict(self) -> dict:
        return {"stage": self.stage, "switching_score": self.switching_score, "recent_normal": list(self.recent_normal),
                "tightened_accepted_run": self.tightened_accepted_run,
                "tightened_not_accepted": self.tightened_not_accepted, "lots_on_stage": self.lots_on_stage,
                "reason": self.reason, "clause": self.clause}

    @classmethod
    def from_dict(cls, data: dict) -> SwitchingState:
        return cls(stage=data["stage"], switching_score=int(data["switching_score"]),
                   recent_normal=tuple(bool(x) for x in data.get("recent_normal", ())),
                   tightened_accepted_run=int(data.get("tightened_accepted_run", 0)),
                   tightened_not_accepted=int(data.get("tightened_not_accepted", 0)),
                   lots_on_stage=int(data.get("lots_on_stage", 0)), reason=data.get("reason", ""),
                   clause=data.get("clause", ""))
