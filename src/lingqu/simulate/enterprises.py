"""One block of enterprises: who they are (registry data), what they make, and their hidden quality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingqu.simulate import calibration as cal
from lingqu.simulate import names as nm
from lingqu.simulate.latent import Latent, simulate_latent

CLUSTERS = ("power_bank", "medical_device")
PB, MD = 0, 1
CLASS_NAMES = ("", "I", "II", "III")


@dataclass
class Block:
    """Enterprises ``index[0] .. index[-1]`` of the world, arrays indexed by block position."""

    index: np.ndarray  # global enterprise numbers
    cluster: np.ndarray  # PB | MD
    city: np.ndarray  # index into names.CITIES
    district: list[str]
    size: np.ndarray  # index into calibration.SIZES
    founded: np.ndarray  # day numbers
    uscc: list[str]
    name: list[str]
    address: list[str]
    catalogue_code: list[str]  # "" for power bank
    device_class: np.ndarray  # 0 for power bank, else 1..3
    # products ("models"): power-bank models or medical-device products, owner = block position
    model_owner: np.ndarray
    model_offset: np.ndarray  # first model of each enterprise
    model_count: np.ndarray
    model_product: list[str]
    model_brand: list[str]
    model_name: list[str]
    model_capacity: np.ndarray  # mAh (power bank), 0 otherwise
    model_class: np.ndarray  # device class (medical device), 0 otherwise
    model_kind: list[str]  # active | passive | software | power_bank
    latent: Latent

    @property
    def n(self) -> int:
        return len(self.index)


def _pick(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    cum = np.cumsum(np.asarray(weights, dtype=float))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(cum) - 1)


def _year_start(years: np.ndarray) -> np.ndarray:
    return (np.asarray(years, dtype=np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def make_block(
    rng: np.random.Generator,
    namer: nm.Namer,
    first: int,
    n: int,
    *,
    start_day: int,
    end_day: int,
    start_year: int,
    months: int,
) -> Block:
    index = np.arange(first, first + n, dtype=np.int64)
    n_md = int(n * cal.MEDICAL_SHARE + 0.5)
    cluster = rng.permutation(np.r_[np.full(n - n_md, PB), np.full(n_md, MD)])
    is_md = cluster == MD

    city = np.where(is_md, _pick(rng, [c.weight_md for c in nm.CITIES], n), _pick(rng, [c.weight_pb for c in nm.CITIES], n))
    u_district = rng.random(n)
    district_idx = np.zeros(n, dtype=np.int64)
    for ci, c in enumerate(nm.CITIES):
        for col, mask in ((1, ~is_md), (2, is_md)):
            sel = (city == ci) & mask
            cum = np.cumsum([d[col] for d in c.districts])
            district_idx[sel] = np.minimum(np.searchsorted(cum / cum[-1], u_district[sel], side="right"), len(cum) - 1)
    size = np.where(is_md, _pick(rng, cal.SIZE_SHARE["medical_device"], n), _pick(rng, cal.SIZE_SHARE["power_bank"], n))
    lo = np.array([cal.FOUNDED_YEARS[s][0] for s in cal.SIZES])[size]
    hi = np.array([cal.FOUNDED_YEARS[s][1] for s in cal.SIZES])[size]
    founded_year = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    founded = _year_start(founded_year) + (rng.random(n) * 365).astype(np.int64)
    addr = np.stack([rng.integers(0, len(nm.ROADS), n), rng.integers(1, 1000, n), rng.integers(1, 13, n), rng.integers(1, 9, n)], 1)

    # power-bank models: 1-3 brands, 1-4 models each; medical devices: 1-3 products of one code
    n_brands = 1 + _pick(rng, (0.55, 0.30, 0.15), n)
    per_brand = 1 + _pick(rng, (0.35, 0.35, 0.20, 0.10), 3 * n).reshape(n, 3)
    per_brand[np.arange(3)[None, :] >= n_brands[:, None]] = 0
    brand_chars = rng.integers(0, len(nm.BRAND_CHARS), (n, 2))
    brand_prefix = rng.integers(0, len(nm.MODEL_LETTERS), (n, 3, 2))
    md_main = _pick(rng, [p[4] for p in nm.MD_PRODUCTS], n)
    md_count = 1 + _pick(rng, (0.5, 0.3, 0.2), n)
    md_prefix = rng.integers(0, len(nm.MODEL_LETTERS), (n, 2))
    count = np.where(is_md, md_count, per_brand.sum(1))
    total = int(count.sum())
    u_models = rng.random((total, 4))  # product, capacity, (md) extra product, (md) number

    model_owner = np.repeat(np.arange(n), count)
    offset = np.r_[0, np.cumsum(count)[:-1]].astype(np.int64)
    model_product: list[str] = []
    model_brand: list[str] = []
    model_name: list[str] = []
    model_kind: list[str] = []
    model_capacity = np.zeros(total, dtype=np.int64)
    model_class = np.zeros(total, dtype=np.int64)
    pb_products, pb_pcum = [p for p, _ in nm.PB_PRODUCTS], np.cumsum([w for _, w in nm.PB_PRODUCTS])
    caps, cap_cum = [c for c, _ in nm.PB_CAPACITIES], np.cumsum([w for _, w in nm.PB_CAPACITIES])
    prod_idx = np.minimum(np.searchsorted(pb_pcum / pb_pcum[-1], u_models[:, 0], side="right"), len(pb_products) - 1)
    cap_idx = np.minimum(np.searchsorted(cap_cum / cap_cum[-1], u_models[:, 1], side="right"), len(caps) - 1)
    by_code: dict[str, list[int]] = {}
    for j, p in enumerate(nm.MD_PRODUCTS):
        by_code.setdefault(p[0], []).append(j)

    uscc: list[str] = []
    name: list[str] = []
    address: list[str] = []
    district: list[str] = []
    catalogue_code: list[str] = []
    device_class = np.zeros(n, dtype=np.int64)
    L = nm.MODEL_LETTERS
    for i in range(n):
        c = nm.CITIES[city[i]]
        dname = c.districts[district_idx[i]][0]
        district.append(dname)
        clu = CLUSTERS[cluster[i]]
        uscc.append(namer.uscc(int(index[i]), c.code, int(founded_year[i])))
        name.append(namer.name(int(index[i]), c.name, clu))
        address.append(nm.address(c.name, dname, *addr[i]))
        m0 = offset[i]
        if cluster[i] == PB:
            catalogue_code.append("")
            k = 0
            for b in range(n_brands[i]):
                nb_ = len(nm.BRAND_CHARS)  # second character never repeats the first, differs per brand
                c1 = brand_chars[i, 0]
                brand = nm.BRAND_CHARS[c1] + nm.BRAND_CHARS[(c1 + 1 + (brand_chars[i, 1] + b) % (nb_ - 1)) % nb_]
                prefix = L[brand_prefix[i, b, 0]] + L[brand_prefix[i, b, 1]]
                for _ in range(per_brand[i, b]):
                    product = pb_products[prod_idx[m0 + k]]
                    cap = 30000 if product == "户外移动电源" else caps[cap_idx[m0 + k]]
                    model_product.append(product)
                    model_brand.append(brand)
                    model_name.append(f"{prefix}{cap // 1000:02d}{L[k % len(L)]}")
                    model_kind.append("power_bank")
                    model_capacity[m0 + k] = cap
                    k += 1
        else:
            main = nm.MD_PRODUCTS[md_main[i]]
            same = by_code[main[0]]
            prefix = L[md_prefix[i, 0]] + L[md_prefix[i, 1]]
            cls = 0
            for k in range(count[i]):
                u = u_models[m0 + k]
                p = main if k == 0 else nm.MD_PRODUCTS[same[int(u[2] * len(same))]]
                model_product.append(p[1])
                model_brand.append("")
                model_name.append(f"{prefix}-{100 * (1 + int(u[3] * 9))}{L[k]}")
                model_kind.append(p[3])
                model_class[m0 + k] = p[2]
                cls = max(cls, p[2])
            catalogue_code.append(main[0])
            device_class[i] = cls

    size_effect = np.array([cal.SIZE_EFFECT[s] for s in cal.SIZES])[size]
    cluster_mean = np.array([cal.CLUSTER_MEAN_LOGIT[c] for c in CLUSTERS])[cluster]
    latent = simulate_latent(rng, cluster_mean, size_effect, founded, start_day, end_day, start_year, months)
    return Block(
        index=index, cluster=cluster, city=city, district=district, size=size, founded=founded,
        uscc=uscc, name=name, address=address, catalogue_code=catalogue_code, device_class=device_class,
        model_owner=model_owner, model_offset=offset, model_count=count.astype(np.int64),
        model_product=model_product, model_brand=model_brand, model_name=model_name,
        model_capacity=model_capacity, model_class=model_class, model_kind=model_kind, latent=latent,
    )
