"""Acceptance sampling by attributes to GB/T 2828.1-2012 (ISO 2859-1:1999): plans, OC, switching rules.

- :mod:`.tables`     the code-letter table and the master tables as data (arrows kept as symbols)
- :mod:`.plans`      code letters, arrow resolution, plan lookup, parameter checks
- :mod:`.oc`         probability of acceptance, OC curve, AOQ/AOQL, ASN, risk points
- :mod:`.switching`  the normal/tightened/reduced/discontinued state machine with the switching score
"""

from lingqu.stats.acceptance.oc import (
    MEASURES,
    AcceptanceSamplingWarning,
    OCCurve,
    PlanQuality,
    average_outgoing_quality,
    average_outgoing_quality_limit,
    average_sample_number,
    default_measure,
    oc_curve,
    plan_quality,
    probability_of_acceptance,
    quality_at_probability,
)
from lingqu.stats.acceptance.plans import (
    STANDARD,
    AcceptanceParameterError,
    DoubleSamplingPlan,
    PlanLookup,
    SingleSamplingPlan,
    code_letter,
    lookup_plan,
    parse_aql,
    parse_level,
    parse_lot_size,
    parse_scheme,
    parse_stage,
    table_plan,
    tighter_acceptance_number,
)
from lingqu.stats.acceptance.switching import LotResult, SwitchingState, score_points
from lingqu.stats.acceptance.tables import AQLS, LEVELS, SCHEMES, STAGES

__all__ = [
    "AQLS", "LEVELS", "MEASURES", "SCHEMES", "STAGES", "STANDARD", "AcceptanceParameterError",
    "AcceptanceSamplingWarning", "DoubleSamplingPlan", "LotResult", "OCCurve", "PlanLookup", "PlanQuality",
    "SingleSamplingPlan", "SwitchingState", "average_outgoing_quality", "average_outgoing_quality_limit",
    "average_sample_number", "code_letter", "default_measure", "lookup_plan", "oc_curve", "parse_aql",
    "parse_level", "parse_lot_size", "parse_scheme", "parse_stage", "plan_quality", "probability_of_acceptance",
    "quality_at_probability", "score_points", "table_plan", "tighter_acceptance_number",
]
