"""Reasons for a grade, in words an enterprise can read, with the numbers from its own records.

A factor's contribution is its share of the calibrated log-odds relative to the average graded
enterprise: ``a · Σⱼ βⱼ (zᵢⱼ − z̄ⱼ)`` over the model columns that make up the factor (``a`` the
Platt slope), and for a categorical factor ``a · (β_level(i) − mean β_level)``. The size in
probability points is ``pᵢ − expit(logit pᵢ − contribution)``: how far the factor moved this
enterprise's probability away from where an average value would have left it.
"""

from __future__ import annotations

import math

import numpy as np

SIZE_ZH = {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型"}
CCC_ZH = {"none": "无有效CCC证书记录", "valid": "CCC证书有效", "expired": "CCC证书已过期",
          "suspended": "CCC证书已暂停", "revoked": "CCC证书已撤销"}
CCC_EN = {"none": "no CCC certificate on record", "valid": "CCC certificate valid", "expired": "CCC certificate expired",
          "suspended": "CCC certificate suspended", "revoked": "CCC certificate revoked"}

#: model column → factor. Every column of the model belongs to a factor (a test holds it), so no
#: effect goes unexplained. The columns derived from the enterprise's own batch outcomes (shrunk
#: rate, counts, last k, days since failure, per-item and critical failures, the recency-weighted
#: failure rate and failed-item count) are strongly correlated, so their coefficients are only
#: meaningful together: they form one factor, "sampling history". Reported apart, one of them
#: could read "↓ 3 of the last 3 batches failed" while another carried the rise.
HISTORY_FACTOR = {"hist_shrunk_rate_logit": "history", "hist_prior_known_log1p": "history",
                  "hist_prior_inspections_log1p": "history", "hist_failures_last_k": "history",
                  "hist_days_since_failure_log1p": "history", "hist_days_since_previous_log1p": "history",
                  "critical_failures_log1p": "history", "recent_rate_logit": "history",
                  "recent_known_log1p": "history", "failed_items_decayed_log1p": "history",
                  "complaints_12m_log1p": "complaints", "complaints_decayed_log1p": "complaints",
                  "batches_12m_log1p": "frequency", "margin_tightness": "margin",
                  "assisted_before": "assistance", "age_years": "age"}
CATEGORICAL_FACTOR = {"size": "size", "ccc_status": "ccc", "city": "city"}  # channel: the regulator's choice, not a reason


def factor_of(column: str) -> str | None:
    base = column.removesuffix(" (missing)")
    if base.startswith("item_") and base.endswith("_failures_log1p"):
        return "history"
    return HISTORY_FACTOR.get(base)


def _n(x: float) -> int:
    return int(round(float(x))) if math.isfinite(float(x)) else 0


def sentence(factor: str, i: int, counts: dict, ctx: dict) -> tuple[str, str]:
    """(Chinese, English) sentence for one factor of enterprise ``i``."""
    c = counts
    if factor == "history":
        n, k = _n(c["prior_known"][i]), _n(c["prior_failures"][i])
        rate, peers = ctx["shrunk"][i], ctx["prior_mean"]
        if n == 0:
            return (f"尚无抽检记录，按同类企业平均不合格率{peers:.0%}估计",
                    f"no sampling history yet; estimated at the peer failure rate {peers:.0%}")
        m, j = _n(c["last_k_known"][i]), _n(c["failures_last_k"][i])
        items = "、".join(c["last_k_items"][i][:3])
        zh = f"近{m}批中有{j}批不合格" + (f"（{items}）" if j and items else "")
        en = f"{j} of the last {m} batches failed" + (f" ({items})" if j and items else "")
        d = c["days_since_failure"][i]
        if k and math.isfinite(d) and not j:
            zh += f"，上次不合格在{_n(d)}天前"
            en += f"; last failure {_n(d)} days ago"
        crit = _n(c["critical_failures"][i])
        if crit:
            zh += f"，{crit}批严重项目不合格"
            en += f"; {crit} batch(es) failed a critical item"
        return (f"{zh}；历史{n}批中{k}批不合格（同类企业平均{peers:.0%}，收缩估计{rate:.0%}）",
                f"{en}; {k} of {n} earlier batches failed (peers {peers:.0%}; shrunk estimate {rate:.0%})")
    if factor == "since_failure":
        d = c["days_since_failure"][i]
        if not math.isfinite(d):
            return "从未抽检不合格", "no batch has ever failed"
        return f"距上次不合格{_n(d)}天", f"{_n(d)} days since the last failed batch"
    if factor == "since_previous":
        d = c["days_since_previous"][i]
        if not math.isfinite(d):
            return "此前未被抽检", "never sampled before"
        return f"距上次抽检{_n(d)}天", f"{_n(d)} days since the last sampled batch"
    if factor == "complaints":
        # the factor weighs every earlier complaint (older ones less), so the words name the older
        # ones too: "0 in the last 12 months" alone could not explain a rise
        k = _n(c["complaints_12m"][i])
        older = _n(c["complaints_all"][i]) - k
        if older > 0:
            return (f"近12个月投诉{k}起，更早投诉{older}起（越早权重越小）",
                    f"{k} complaint(s) in the last 12 months and {older} earlier (older ones weigh less)")
        return f"近12个月投诉{k}起", f"{k} complaint(s) in the last 12 months"
    if factor == "frequency":
        k = _n(c["batches_12m"][i])
        return f"近12个月被抽检{k}批", f"{k} batch(es) sampled in the last 12 months"
    if factor == "margin":
        t = float(c["tightness"][i])
        if not c["measured_batches"][i] > 0 or not math.isfinite(t):
            return "尚无合格项目的实测值记录", "no measured values of passed items on record"
        if t >= 0:
            return (f"合格项目的实测值比同类企业更接近限值（平均近{t:.1f}个标准差）",
                    f"measured values of passed items closer to their limits than peers' ({t:.1f} sd)")
        return (f"合格项目的实测值比同类企业离限值更远（平均远{-t:.1f}个标准差）",
                f"measured values of passed items further from their limits than peers' ({-t:.1f} sd)")
    if factor == "critical":
        k = _n(c["critical_failures"][i])
        return f"此前有{k}批出现严重（critical）项目不合格", f"{k} earlier batch(es) failed a critical item"
    if factor == "assistance":
        k = _n(c["assisted"][i])
        return ((f"已接受帮扶{k}次", f"received assistance {k} time(s)") if k
                else ("未接受过帮扶", "no assistance received"))
    if factor == "age":
        y = c["age"][i]
        if not math.isfinite(y):
            return "成立日期未知", "founding date unknown"
        return f"成立{y:.0f}年", f"founded {y:.0f} years ago"
    if factor.startswith("item_"):
        j = int(factor.split("_")[1])
        item, k = ctx["top_items"][j], _n(c["item_failures"][j][i])
        return f"此前{item}不合格{k}次", f"{item} failed {k} time(s) before"
    if factor == "size":
        s = ctx["size"][i]
        return f"企业规模：{SIZE_ZH.get(s, s or '未知')}", f"enterprise size: {s or 'unknown'}"
    if factor == "ccc":
        s = ctx["ccc"][i]
        return CCC_ZH[s], CCC_EN[s]
    if factor == "city":
        s = ctx["city"][i]
        return f"所在城市：{s}", f"city: {s}"
    return factor, factor


def explain(contrib: dict[str, np.ndarray], p: np.ndarray, counts: dict, ctx: dict, up: int = 3,
            down: int = 2, threshold: float = 0.02) -> list[list[dict]]:
    """Per enterprise: the ``up`` factors that raised its probability most and ``down`` that lowered it."""
    names = sorted(contrib)
    m = np.column_stack([contrib[f] for f in names]) if names else np.zeros((p.size, 0))
    lp = np.log(np.clip(p, 1e-9, 1 - 1e-9) / np.clip(1 - p, 1e-9, 1))
    out = []
    for i in range(p.size):
        row = m[i]
        order = np.argsort(-row, kind="stable")
        picks = [j for j in order[:up] if row[j] > threshold] + [j for j in order[::-1][:down] if row[j] < -threshold]
        reasons = []
        for j in picks:
            zh, en = sentence(names[j], i, counts, ctx)
            points = 100 * (p[i] - 1 / (1 + math.exp(-(lp[i] - row[j]))))
            reasons.append({"factor": names[j], "direction": "up" if row[j] > 0 else "down",
                            "log_odds": round(float(row[j]), 4), "points": round(float(points), 1),
                            "text_zh": zh, "text_en": en})
        out.append(reasons)
    return out
