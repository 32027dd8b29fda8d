"""Parameters of the demo world and where their values come from.

Published supervision-sampling results for power banks (``power_bank_sampling_results.csv``,
the rows cited as ``year/level/source``):

* national pass rates 60.3 % (2019, S08), 80.2 % (2020, S08), 75.0 % (2021, S08-S11) and
  64.6 % (2023, online-sold products only, S12); provincial ones 50.0 % (Guangdong 2018, S13),
  63.3 % (Shanghai 2020, S07) and 74.4 % (Guangxi 2020, S14).
* recurring failing items: marking (Guangdong 2018: 26 of 40 failed batches; Shanghai 2020: 9),
  effective output capacity and conversion efficiency (every row that lists items), overcharge
  (national 2021: 8 batches; 2023: 5), thermal abuse and radio disturbance (national 2021),
  heavy impact (Guangdong 2018, Guangxi 2020), output voltage (Shanghai 2020).
* online worse than physical shops: Guangxi 2020 (S14) 3 of 6 online batches failed against
  7 of 33 physical ones; the 2023 national campaign on online-sold products found 35.4 % failing.

The simulated yearly batch pass rate is steered to ``TARGET_PASS_RATE`` by a market-wide
year offset (logit scale) solved per block of enterprises, so that only binomial noise remains
(about +/-1.7 points a year for the default 450 power-bank enterprises); every target lies
inside the published national range 60.3-80.2 %.
"""

from __future__ import annotations

#: Share of the enterprises in the medical-device cluster (600 → 450 power bank + 150 devices).
MEDICAL_SHARE = 0.25
DEFAULT_ENTERPRISES = 600

SIZES = ("micro", "small", "medium", "large")
SIZE_SHARE = {"power_bank": (0.38, 0.40, 0.17, 0.05), "medical_device": (0.25, 0.45, 0.23, 0.07)}
#: Founding years by size (inclusive range); micro firms are young, large ones old.
FOUNDED_YEARS = {"micro": (2012, 2023), "small": (2006, 2022), "medium": (2001, 2020), "large": (1993, 2014)}

# --- latent quality (logit of the probability that a production-channel batch fails) -------
CLUSTER_MEAN_LOGIT = {"power_bank": -1.44, "medical_device": -1.9}
#: Smaller firms fail more often (Guangdong 2018 found half of its 80 producers failing).
SIZE_EFFECT = {"micro": 0.45, "small": 0.15, "medium": -0.30, "large": -0.80}
ENTERPRISE_SD = 0.75  # between-enterprise spread around cluster mean + size effect
DRIFT_PHI = 0.95  # monthly AR(1) coefficient of the slow drift
DRIFT_SD = 0.09  # monthly innovation sd (stationary sd = 0.09 / sqrt(1 - 0.95^2) = 0.29)
DETERIORATION_SHARE = 0.10  # enterprises with an injected deterioration
DETERIORATION_JUMP = (1.0, 2.0)  # uniform, logit scale
DETERIORATION_MARGIN_DAYS = (180, 120)  # not in the first 180 or the last 120 days
#: Assistance: deteriorated firms get help with this probability, 45-270 days after the jump;
#: any other firm with probability BASE + SLOPE * base propensity (bad firms more often).
ASSIST_AFTER_DETERIORATION = 0.55
ASSIST_DELAY_DAYS = (45, 270)
ASSIST_BASE, ASSIST_SLOPE, ASSIST_MAX = 0.03, 0.40, 0.40
ASSIST_EFFECT = (0.5, 1.3)  # logit reduction, uniform
ASSIST_EFFECT_AFTER_DETERIORATION = (0.9, 1.8)
ASSIST_RAMP_DAYS = 120  # the effect builds up linearly over this many days
FOLLOW_UP_SHARE = 0.40  # a second assistance record (training or testing) follows
FOLLOW_UP_DELAY_DAYS = (30, 120)
FOLLOW_UP_EFFECT = (0.1, 0.4)
FOLLOW_UP_RAMP_DAYS = 90
ASSIST_KINDS = ("diagnosis", "training", "testing")
FIRST_ASSIST_KIND_SHARE = (0.6, 0.2, 0.2)

# --- supervision sampling -------------------------------------------------------------------
CHANNELS = ("production", "circulation", "online")
CHANNEL_SHARE = (0.45, 0.30, 0.25)
#: Logit shift of the batch failure probability by channel (Guangxi 2020, national 2023).
CHANNEL_EFFECT = (0.0, 0.20, 0.50)
#: Batches per enterprise and year: 1 + Binomial(5, r), r = clip(RATE_BASE + RATE_SLOPE * p).
#: Worse enterprises are sampled more (risk-weighted "双随机"), 1-6 batches a year.
RATE_BASE, RATE_SLOPE, RATE_MIN, RATE_MAX = 0.02, 0.35, 0.02, 0.6
FIRST_SAMPLING_AFTER_FOUNDING_DAYS = 90

#: Expected yearly batch pass rate of the power-bank cluster. 2022 sits between the 2021
#: national 75.0 % and the 2023 national 64.6 %; 2023 follows the 2023 national campaign;
#: 2024-2025 improve with CCC (mandatory from 2024-08-01) but stay below the best published
#: national rate (80.2 %, 2020). Each target is at least 6 points inside 60-80 %.
TARGET_PASS_RATE = {2022: 0.72, 2023: 0.66, 2024: 0.70, 2025: 0.74}
#: Market-wide logit offsets per year. For a year with a target the offset is *solved* per
#: block (batches.solve_offset) so that the expected pass rate equals the target; the values
#: here are what that gives on large runs (about -0.10, 0.22, 0.005, -0.22) and document the
#: scale; a year without a target uses DEFAULT_YEAR_OFFSET.
YEAR_OFFSET = {2022: -0.10, 2023: 0.22, 2024: 0.005, 2025: -0.22}
DEFAULT_YEAR_OFFSET = 0.0

#: Share of each test item among item failures (summed over all failing batches); the items
#: the published rows name most get most of the weight.
ITEM_FAILURE_WEIGHT = {
    "有效输出容量（常温/高温）": 0.24,
    "转换效率": 0.21,
    "外观及标识": 0.13,
    "过充电": 0.08,
    "输出电压": 0.06,
    "热滥用": 0.05,
    "重物冲击": 0.05,
    "无线电骚扰": 0.05,
    "自由跌落": 0.02,
    "发热要求": 0.02,
    "碰撞": 0.015,
    "抗扰度": 0.015,
    "过充电保护": 0.015,
    "短路保护": 0.01,
    "过放电保护": 0.01,
    "过载保护": 0.01,
    "误操作": 0.01,
}
#: Online products fail capacity (容量虚标) and marking more often (Shanghai 2020, national 2023).
CHANNEL_ITEM_MULTIPLIER = {
    "online": {"有效输出容量（常温/高温）": 1.6, "外观及标识": 1.4},
    "production": {"外观及标识": 0.8},
}
#: Concentration of the per-enterprise Dirichlet profile of failing items (higher = closer to
#: the weights above).
ITEM_PROFILE_CONCENTRATION = 25.0
#: Number of failing items in a failing batch: 1 + Poisson(EXTRA_BASE + EXTRA_SLOPE * p).
EXTRA_FAILS_BASE, EXTRA_FAILS_SLOPE, MAX_FAILING_ITEMS = 0.25, 0.6, 6

SEVERITY = {
    "外观及标识": "minor",
    "发热要求": "critical", "过充电": "critical", "重物冲击": "critical", "热滥用": "critical",
    "短路保护": "critical", "过充电保护": "critical",
}  # every other item: major

# --- complaints -----------------------------------------------------------------------------
#: Complaints per enterprise-month = RATE * size factor * exp(SLOPE * (latent - cluster mean)),
#: times (1 + SURGE * exp(-days since deterioration / SURGE_DAYS)) after a deterioration.
COMPLAINT_RATE = {"power_bank": 0.035, "medical_device": 0.012}
COMPLAINT_SIZE_FACTOR = {"micro": 0.5, "small": 1.0, "medium": 2.0, "large": 4.0}
COMPLAINT_SLOPE = 0.9
COMPLAINT_SURGE, COMPLAINT_SURGE_DAYS = 4.0, 120.0
COMPLAINT_CHANNELS = (("12315热线", 0.5), ("网络", 0.4), ("来信", 0.1))
COMPLAINT_CATEGORIES = {
    "power_bank": (("容量虚标", 0.35), ("充不进电", 0.25), ("发热", 0.20), ("鼓包", 0.12), ("起火", 0.08)),
    "medical_device": (("读数不准", 0.40), ("设备故障", 0.35), ("说明书不符", 0.15), ("包装破损", 0.10)),
}
#: When the failure propensity exceeds 0.5, safety complaints (发热/鼓包/起火) are this much likelier.
COMPLAINT_SAFETY_BOOST = 2.5

# --- certificates ---------------------------------------------------------------------------
CCC_MANDATORY_FROM = "2024-08-01"  # CCC for power banks (reference README; CNCA)
CCC_TRANSITION_END = "2024-07-31"  # certificates citing GB 4943.1-2011 had to be converted
#: Probability that a model holds a CCC certificate: CERT_BASE - CERT_SLOPE * base propensity.
CERT_BASE, CERT_SLOPE = 0.97, 0.45
CERT_CONVERTED = 0.65  # an old-edition certificate replaced by one citing the 2022 editions
CERT_SUSPEND_AFTER_CRITICAL, CERT_REVOKE_AFTER_CRITICAL = 0.45, 0.15
CERT_VALID_YEARS = 5
REGISTRATION_RENEWED = 0.7  # a device registration reaching its 5-year expiry is renewed (延续注册)
