"""Complaints, certificates, assistance and the ground-truth rows of one block of enterprises."""

from __future__ import annotations

import datetime as dt

import numpy as np

from lingqu.simulate import calibration as cal
from lingqu.simulate.catalogue import day_number, edition_code_at, editions_from, sampling_items
from lingqu.simulate.enterprises import CLASS_NAMES, CLUSTERS, MD, PB, Block
from lingqu.simulate.institutions import INSTITUTIONS, PROVIDER_KINDS
from lingqu.simulate.latent import NEVER, sigmoid
from lingqu.simulate.names import CITIES

COMPLAINT_COLUMNS = ("complaint_id", "uscc", "received_on", "channel", "category", "description")
CERTIFICATE_COLUMNS = ("certificate_no", "uscc", "kind", "product_name", "model", "standard_code", "issued_on", "expires_on", "status")
ASSISTANCE_COLUMNS = ("assistance_id", "uscc", "started_on", "kind", "provider")
PRODUCT_COLUMNS = ("uscc", "name", "model", "brand", "category")
ENTERPRISE_COLUMNS = ("uscc", "name", "city", "district", "cluster", "address", "founded", "size", "device_class", "catalogue_code")
QUALITY_COLUMNS = (
    "uscc", "cluster", "size", "cluster_mean_logit", "size_effect", "enterprise_effect", "base_logit",
    "base_propensity", "propensity_start", "propensity_end", "sampling_rate_per_year", "weakest_item",
    "deterioration_on", "assistance_count",
)
DETERIORATION_COLUMNS = ("uscc", "date", "logit_jump", "propensity_before", "new_propensity")
ASSISTANCE_EFFECT_COLUMNS = (
    "assistance_id", "uscc", "started_on", "kind", "provider", "logit_effect", "ramp_days", "propensity_before",
    "propensity_after",
)

_TEMPLATES = {
    "容量虚标": "购买的{brand}{product}（型号{model}）标称{cap}mAh，实际只能给手机充{x}次左右，怀疑容量虚标",
    "充不进电": "{brand}{product}（型号{model}）使用{m}个月后无法充电，指示灯不亮",
    "发热": "{brand}{product}（型号{model}）充电时外壳明显发烫，担心存在安全隐患",
    "鼓包": "{brand}{product}（型号{model}）使用{m}个月后外壳鼓包变形",
    "起火": "{brand}{product}（型号{model}）在充电过程中冒烟起火，造成财物损失",
    "读数不准": "{product}（型号{model}）测量结果与医院设备相差较大",
    "设备故障": "{product}（型号{model}）使用{m}个月后出现故障，无法正常开机",
    "说明书不符": "{product}（型号{model}）说明书内容与产品实际功能不符",
    "包装破损": "收到的{product}（型号{model}）外包装破损，担心产品受损",
}
_SAFETY = ("发热", "鼓包", "起火")
_CCC_CHAINS = (editions_from("GB 4943.1-2011"), editions_from("GB 31241-2014"))
_MD_CHAINS = {
    "active": (editions_from("GB 9706.1-2007"), editions_from("YY 0505-2012")),
    "passive": (editions_from("GB/T 16886.1-2011"),),
    "software": (editions_from("YY/T 0664-2008"),),
}
_CCC_BODIES = ("01", "11", "18")


def iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _plus_years(day: int, years: int) -> int:
    d = dt.date(1970, 1, 1) + dt.timedelta(days=int(day))
    try:
        e = d.replace(year=d.year + years)
    except ValueError:  # 29 February
        e = d.replace(year=d.year + years, day=28)
    return day_number(e)


def _cum(weights) -> np.ndarray:
    c = np.cumsum(np.asarray(weights, dtype=float))
    return c / c[-1]


def _provider_table() -> dict[tuple[str, int, int], list[str]]:
    """(assistance kind, cluster, city) → provider names, same city first when there are any."""
    out = {}
    for kind, kinds in PROVIDER_KINDS.items():
        for clu, tag in ((PB, "pb"), (MD, "md")):
            cands = [i for i in INSTITUTIONS if i.kind in kinds and tag in i.clusters.split()]
            for ci, c in enumerate(CITIES):
                local = [i.name for i in cands if i.city == c.name]
                out[kind, clu, ci] = local or [i.name for i in cands]
    return out


_PROVIDERS = _provider_table()


class Counter:
    """Running sequence numbers per key (years, prefixes), kept across blocks."""

    def __init__(self, start: int = 0) -> None:
        self.start = start
        self.last: dict = {}

    def next(self, key) -> int:
        v = self.last.get(key, self.start) + 1
        self.last[key] = v
        return v


def complaints(rng: np.random.Generator, block: Block, start_year: int, months: int, ids: Counter, width: int) -> list[tuple]:
    lat = block.latent
    n = block.n
    mstart = (np.arange(months) + (start_year - 1970) * 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    mlen = (np.arange(1, months + 1) + (start_year - 1970) * 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - mstart
    mid = mstart + 14
    ent = np.repeat(np.arange(n), months)
    eta = lat.logit_at(ent, np.tile(mid, n)).reshape(n, months)
    rate = np.array([cal.COMPLAINT_RATE[c] for c in CLUSTERS])[block.cluster]
    size_f = np.array([cal.COMPLAINT_SIZE_FACTOR[s] for s in cal.SIZES])[block.size]
    since = mid[None, :] - np.where(lat.det_day < NEVER, lat.det_day, 0)[:, None]
    surge = np.where((since >= 0) & (lat.det_day[:, None] < NEVER), 1.0 + cal.COMPLAINT_SURGE * np.exp(-since / cal.COMPLAINT_SURGE_DAYS), 1.0)
    lam = (rate * size_f)[:, None] * np.exp(cal.COMPLAINT_SLOPE * (eta - lat.cluster_mean[:, None])) * surge
    lam = np.where(mid[None, :] >= block.founded[:, None], lam, 0.0)
    counts = rng.poisson(lam)
    c_ent = np.repeat(ent, counts.ravel())
    c_month = np.repeat(np.tile(np.arange(months), n), counts.ravel())
    m = len(c_ent)
    u = rng.random((m, 5))
    day = mstart[c_month] + (u[:, 0] * mlen[c_month]).astype(np.int64)
    order = np.lexsort((day, c_ent))
    c_ent, c_month, day, u = c_ent[order], c_month[order], day[order], u[order]
    p_now = sigmoid(eta[c_ent, c_month])
    chan_names, chan_cum = [c for c, _ in cal.COMPLAINT_CHANNELS], _cum([w for _, w in cal.COMPLAINT_CHANNELS])
    channel = np.minimum(np.searchsorted(chan_cum, u[:, 1], side="right"), len(chan_names) - 1)
    cats = {}
    for clu, name in ((PB, "power_bank"), (MD, "medical_device")):
        names = [c for c, _ in cal.COMPLAINT_CATEGORIES[name]]
        w = np.array([x for _, x in cal.COMPLAINT_CATEGORIES[name]])
        boosted = w * np.where(np.isin(names, _SAFETY), cal.COMPLAINT_SAFETY_BOOST, 1.0)
        cats[clu] = (names, _cum(w), _cum(boosted))
    rows = []
    for j in range(m):
        e = c_ent[j]
        clu = int(block.cluster[e])
        names, cum, cum_boost = cats[clu]
        cat = names[min(int(np.searchsorted(cum_boost if p_now[j] > 0.5 else cum, u[j, 2], side="right")), len(names) - 1)]
        mdl = block.model_offset[e] + int(u[j, 3] * block.model_count[e])
        cap = int(block.model_capacity[mdl])
        text = _TEMPLATES[cat].format(
            brand=block.model_brand[mdl], product=block.model_product[mdl], model=block.model_name[mdl],
            cap=cap, x=1 if cap <= 10000 else 2, m=1 + int(u[j, 4] * 11),
        )
        year = start_year + int(c_month[j]) // 12
        rows.append((f"TS{year}-{ids.next(year):0{width}d}", block.uscc[e], iso(day[j]), chan_names[channel[j]], cat, text))
    return rows


def certificates(
    rng: np.random.Generator, block: Block, critical_fail_day: np.ndarray, start_day: int, end_day: int,
    ccc_ids: Counter, md_ids: Counter,
) -> list[tuple]:
    lat = block.latent
    nm_ = len(block.model_owner)
    owner = block.model_owner
    u = rng.random((nm_, 8))
    bodies = rng.integers(0, len(_CCC_BODIES), (nm_, 2))
    p_base = sigmoid(lat.base)
    p_end = sigmoid(lat.logit_at(np.arange(block.n), np.full(block.n, end_day)))
    early = day_number("2023-03-01")  # first CCC certificates for power banks in the demo world
    new_edition = _CCC_CHAINS[0][-1][0]  # GB 4943.1-2022 in force (2023-08-01)
    transition_end = day_number(cal.CCC_TRANSITION_END)
    mandatory = day_number(cal.CCC_MANDATORY_FROM)
    last = end_day - 30

    def in_range(lo: int, hi: int, x: float) -> int | None:
        lo, hi = max(lo, start_day), min(hi, last)
        return None if lo > hi else lo + int(x * (hi - lo + 1))

    rows: list[tuple] = []

    def ccc(mdl: int, issued: int, body: int, status: str, expires: int) -> None:
        e = owner[mdl]
        year = iso(issued)[:4]
        no = f"{year}{_CCC_BODIES[body]}13{ccc_ids.next(year):08d}"
        codes = "; ".join(edition_code_at(ch, issued) for ch in _CCC_CHAINS)
        rows.append((no, block.uscc[e], "CCC", block.model_product[mdl], block.model_name[mdl], codes, iso(issued), iso(expires), status))

    def ccc_status(mdl: int, issued: int, expires: int, x: float) -> str:
        if expires < end_day:
            return "expired"
        if critical_fail_day[mdl] >= issued and critical_fail_day[mdl] <= end_day:
            if x < cal.CERT_SUSPEND_AFTER_CRITICAL:
                return "suspended"
            if x < cal.CERT_SUSPEND_AFTER_CRITICAL + cal.CERT_REVOKE_AFTER_CRITICAL:
                return "revoked"
        return "valid"

    for mdl in range(nm_):
        e = owner[mdl]
        x = u[mdl]
        if block.cluster[e] == PB:
            if x[0] >= cal.CERT_BASE - cal.CERT_SLOPE * p_base[e]:
                continue
            if x[1] < 0.20:  # certified early, citing GB 4943.1-2011
                issued = in_range(early, new_edition - 1, x[2])
                if issued is None:
                    continue
                if transition_end < end_day:
                    ccc(mdl, issued, bodies[mdl, 0], "expired", transition_end)
                else:
                    exp = _plus_years(issued, cal.CERT_VALID_YEARS) - 1
                    ccc(mdl, issued, bodies[mdl, 0], ccc_status(mdl, issued, exp, x[5]), exp)
                if x[3] >= cal.CERT_CONVERTED:
                    continue
                issued = in_range(max(issued + 30, new_edition), transition_end, x[4])
            elif x[1] < 0.75:
                issued = in_range(new_edition, transition_end, x[2])
            else:
                issued = in_range(mandatory, last, x[2])
            if issued is None:
                continue
            exp = _plus_years(issued, cal.CERT_VALID_YEARS) - 1
            ccc(mdl, issued, bodies[mdl, 1], ccc_status(mdl, issued, exp, x[5]), exp)
        else:
            lo = max(day_number("2018-01-01"), int(block.founded[e]) + 180)
            if lo > last:
                continue
            issued = lo + int(x[2] * (last - lo + 1))  # may predate the simulated period
            year = iso(issued)[:4]
            cls = int(block.model_class[mdl])
            code = block.catalogue_code[e]
            chains = _MD_CHAINS[block.model_kind[mdl]]
            if cls == 1:
                codes = "; ".join(edition_code_at(ch, issued) for ch in chains)
                abbr = CITIES[block.city[e]].abbr
                no = f"粤{abbr}械备{year}{md_ids.next(('F', abbr, year)):04d}"
                rows.append((no, block.uscc[e], "filing", block.model_product[mdl], block.model_name[mdl], codes, iso(issued), "", "valid"))
                continue
            prefix = "粤械注准" if cls == 2 else "国械注准"
            no = f"{prefix}{year}{cls}{code}{md_ids.next((prefix, year, code)):04d}"
            exp = _plus_years(issued, cal.CERT_VALID_YEARS) - 1
            if exp < end_day and x[7] < cal.REGISTRATION_RENEWED:  # 延续注册: same number, new dates
                issued = exp - 30 - int(x[4] * 150)
                exp = _plus_years(issued, cal.CERT_VALID_YEARS) - 1
            status = "expired" if exp < end_day else ("suspended" if x[6] < 0.15 * p_end[e] else "valid")
            codes = "; ".join(edition_code_at(ch, issued) for ch in chains)
            rows.append((no, block.uscc[e], "registration", block.model_product[mdl], block.model_name[mdl], codes, iso(issued), iso(exp), status))
    return rows


def assistance(rng: np.random.Generator, block: Block, ids: Counter, width: int) -> tuple[list[tuple], list[tuple]]:
    """assistance.csv rows and truth/assistance_effects.csv rows."""
    lat = block.latent
    u = rng.random((block.n, 2))
    rows, truth = [], []
    for e in np.flatnonzero(lat.assist_start[:, 0] < NEVER):
        for k in range(2):
            start = int(lat.assist_start[e, k])
            if start >= NEVER:
                continue
            kind = cal.ASSIST_KINDS[lat.assist_kind[e, k]]
            providers = _PROVIDERS[kind, int(block.cluster[e]), int(block.city[e])]
            provider = providers[int(u[e, k] * len(providers))]
            year = iso(start)[:4]
            aid = f"BF{year}-{ids.next(year):0{width}d}"
            rows.append((aid, block.uscc[e], iso(start), kind, provider))
            eta = float(lat.logit_at(np.array([e]), np.array([start]))[0])
            eff = float(lat.assist_effect[e, k])
            truth.append((aid, block.uscc[e], iso(start), kind, provider, f"{eff:.4f}", f"{lat.assist_ramp[e, k]:g}",
                          f"{sigmoid(eta):.4f}", f"{sigmoid(eta - eff):.4f}"))
    return rows, truth


def enterprise_rows(block: Block) -> list[tuple]:
    return [
        (block.uscc[i], block.name[i], CITIES[block.city[i]].name, block.district[i], CLUSTERS[block.cluster[i]],
         block.address[i], iso(block.founded[i]), cal.SIZES[block.size[i]], CLASS_NAMES[block.device_class[i]],
         block.catalogue_code[i])
        for i in range(block.n)
    ]


def product_rows(block: Block) -> list[tuple]:
    """One row per model of every enterprise (each has at least one), with its product category:
    PB for power banks, MD + the 2017 catalogue code for medical devices (product_categories.csv)."""
    rows = []
    for m in range(len(block.model_owner)):
        e = block.model_owner[m]
        category = "PB" if block.cluster[e] == PB else f"MD{block.catalogue_code[e]}"
        rows.append((block.uscc[e], block.model_product[m], block.model_name[m], block.model_brand[m], category))
    return rows


def truth_rows(block: Block, profile: np.ndarray, start_day: int, end_day: int) -> tuple[list[tuple], list[tuple]]:
    """truth/enterprise_quality.csv and truth/deteriorations.csv rows."""
    lat = block.latent
    n = block.n
    idx = np.arange(n)
    base = lat.base
    p_start = sigmoid(lat.logit_at(idx, np.maximum(block.founded, start_day)))
    p_end = sigmoid(lat.logit_at(idx, np.full(n, end_day)))
    rate = np.clip(cal.RATE_BASE + cal.RATE_SLOPE * sigmoid(base), cal.RATE_MIN, cal.RATE_MAX)
    items = [it.name for it in sampling_items()]
    weakest = profile.argmax(1)
    n_assist = (lat.assist_start < NEVER).sum(1)
    det = lat.det_day < NEVER
    eta_det = lat.logit_at(idx, np.where(det, lat.det_day, start_day))
    quality, deteriorations = [], []
    for i in range(n):
        pb = block.cluster[i] == PB
        quality.append((
            block.uscc[i], CLUSTERS[block.cluster[i]], cal.SIZES[block.size[i]], f"{lat.cluster_mean[i]:.4f}",
            f"{lat.size_effect[i]:.4f}", f"{lat.enterprise_effect[i]:.4f}", f"{base[i]:.4f}",
            f"{sigmoid(base[i]):.4f}", f"{p_start[i]:.4f}", f"{p_end[i]:.4f}",
            f"{1 + 5 * rate[i]:.3f}" if pb else "", items[weakest[i]] if pb else "",
            iso(lat.det_day[i]) if det[i] else "", str(n_assist[i]),
        ))
        if det[i]:
            deteriorations.append((
                block.uscc[i], iso(lat.det_day[i]), f"{lat.jump[i]:.4f}",
                f"{sigmoid(eta_det[i] - lat.jump[i]):.4f}", f"{sigmoid(eta_det[i]):.4f}",
            ))
    return quality, deteriorations
