"""Names, places and identifiers of the demo world.

Everything here is fictional but built from real pieces: the six cities with their GB/T 2260
division codes and real district/town names, company names in the usual
``{city}市{字号}{行业}有限公司`` pattern, USCCs with valid GB 32100 / GB 11714 check characters
(``lingqu.kit.identifiers.make_uscc``).

Uniqueness without memory: enterprise ``i`` gets its organisation code and its name from a
seed-dependent *affine permutation* of ``i`` (``(a * i + b) mod M`` with ``gcd(a, M) = 1``), a
bijection, so a million codes and names are unique without keeping a set of those already used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lingqu.kit.identifiers import ALPHABET, make_uscc


@dataclass(frozen=True)
class City:
    name: str  # without 市, as written in the CSV files
    code: str  # GB/T 2260 division code
    abbr: str  # one-character abbreviation used in device filing numbers (粤深械备...)
    weight_pb: float  # share of power-bank enterprises
    weight_md: float  # share of medical-device enterprises
    districts: tuple[tuple[str, float, float], ...]  # (name, weight for power bank, for medical device)


CITIES: tuple[City, ...] = (
    City("深圳", "440300", "深", 0.42, 0.45, (
        ("宝安区", 0.26, 0.18), ("龙岗区", 0.20, 0.14), ("龙华区", 0.17, 0.10), ("南山区", 0.09, 0.20),
        ("福田区", 0.05, 0.05), ("光明区", 0.10, 0.10), ("坪山区", 0.06, 0.17), ("罗湖区", 0.04, 0.04),
        ("盐田区", 0.03, 0.02),
    )),
    City("东莞", "441900", "莞", 0.28, 0.12, (
        ("长安镇", 0.22, 0.10), ("虎门镇", 0.16, 0.10), ("塘厦镇", 0.18, 0.15), ("凤岗镇", 0.18, 0.10),
        ("松山湖", 0.12, 0.40), ("南城街道", 0.14, 0.15),
    )),
    City("广州", "440100", "穗", 0.09, 0.22, (
        ("番禺区", 0.30, 0.15), ("白云区", 0.30, 0.20), ("天河区", 0.10, 0.15), ("花都区", 0.20, 0.10),
        ("黄埔区", 0.10, 0.40),
    )),
    City("惠州", "441300", "惠", 0.09, 0.08, (
        ("惠城区", 0.25, 0.30), ("惠阳区", 0.25, 0.20), ("博罗县", 0.20, 0.15), ("仲恺高新区", 0.30, 0.35),
    )),
    City("中山", "442000", "中", 0.07, 0.08, (
        ("小榄镇", 0.30, 0.15), ("古镇镇", 0.15, 0.05), ("火炬开发区", 0.35, 0.60), ("石岐街道", 0.20, 0.20),
    )),
    City("江门", "440700", "江", 0.05, 0.05, (
        ("蓬江区", 0.30, 0.30), ("江海区", 0.30, 0.30), ("新会区", 0.25, 0.20), ("鹤山市", 0.15, 0.20),
    )),
)

ROADS = (
    "科技路", "工业大道", "创业路", "兴业路", "环城路", "建设路", "人民路", "发展大道", "高新路", "民营路",
    "金沙路", "新园路", "沿河路", "科苑路", "中心路", "振兴路", "和平路", "长兴路", "福源路", "龙腾路",
    "富民路", "同富路", "宏达路", "育才路", "新城大道", "鹏程路", "荔园路", "宝华路", "东环路", "西环路",
)

#: Characters for trade names (字号); 100 distinct characters.
ZIHAO_CHARS = (
    "华鑫源创达德丰瑞泰宏联盛安讯邦拓普新宇博飞龙海航明阳光辉锐正恒信美嘉康佳力凯通诚和能智朗星"
    "晨旭腾诺思维捷威特金银中天汇聚合盈万百利富隆昌兴致远卓越品优精英迪科升毅豪骏祥福永立成鸿"
    "锦域峰亿启赛欣尚泓铭顺"
)
assert len(ZIHAO_CHARS) == len(set(ZIHAO_CHARS)) == 100

SUFFIXES = {
    "power_bank": (
        "电子科技有限公司", "科技有限公司", "新能源科技有限公司", "电源科技有限公司", "实业有限公司",
        "智能科技有限公司", "数码科技有限公司", "电子有限公司",
    ),
    "medical_device": (
        "医疗器械有限公司", "医疗科技有限公司", "生物医疗科技有限公司", "医疗设备有限公司",
        "健康科技有限公司", "医学科技有限公司", "生物科技有限公司", "精密医疗器械有限公司",
    ),
}
_N_SUFFIX = 8
assert all(len(s) == _N_SUFFIX for s in SUFFIXES.values())

#: Characters for brand names (two of them make a brand).
BRAND_CHARS = "酷闪派速驰量浩途翼迅极悦橙蓝鲸豹麦果沃能电芯动力羽乐享倍拓安驿岚焰柚"
PB_PRODUCTS = (("移动电源", 0.50), ("快充移动电源", 0.20), ("磁吸无线移动电源", 0.15), ("自带线移动电源", 0.10), ("户外移动电源", 0.05))
PB_CAPACITIES = ((5000, 0.20), (10000, 0.50), (20000, 0.25), (30000, 0.05))
MODEL_LETTERS = "ABCDEFGHJKLMNPQRSTWXYZ"

#: Medical-device products by catalogue code (mdr_catalog_2017.csv): (product, class, kind) where
#: kind says which standards a certificate cites: active (GB 9706.1 family), passive (GB/T 16886.1),
#: software (YY/T 0664). The weight is the share of enterprises whose main line is this product.
MD_PRODUCTS: tuple[tuple[str, str, int, str, float], ...] = (
    ("01", "高频手术设备", 2, "active", 0.03), ("01", "激光手术设备", 3, "active", 0.02),
    ("02", "手术刀片", 1, "passive", 0.02), ("02", "手术剪", 1, "passive", 0.02),
    ("06", "彩色超声诊断系统", 2, "active", 0.06), ("06", "数字化X射线摄影系统", 2, "active", 0.03),
    ("06", "内窥镜摄像系统", 2, "active", 0.03),
    ("07", "电子血压计", 2, "active", 0.08), ("07", "脉搏血氧仪", 2, "active", 0.06),
    ("07", "医用电子体温计", 2, "active", 0.05), ("07", "多参数患者监护仪", 2, "active", 0.06),
    ("08", "医用分子筛制氧机", 2, "active", 0.04), ("08", "医用雾化器", 2, "active", 0.04),
    ("08", "呼吸机", 3, "active", 0.02),
    ("09", "低频治疗仪", 2, "active", 0.04), ("09", "红外治疗仪", 2, "active", 0.02),
    ("11", "压力蒸汽灭菌器", 2, "active", 0.02),
    ("14", "医用外科口罩", 2, "passive", 0.05), ("14", "一次性使用输液器", 3, "passive", 0.02),
    ("14", "医用护理垫", 1, "passive", 0.02),
    ("15", "手动病床", 1, "passive", 0.01), ("16", "眼压计", 2, "active", 0.01),
    ("17", "牙科综合治疗机", 2, "active", 0.02), ("17", "光固化机", 2, "active", 0.02),
    ("18", "胎心监护仪", 2, "active", 0.02),
    ("19", "手动轮椅车", 1, "passive", 0.02), ("19", "电动轮椅车", 2, "active", 0.02),
    ("20", "拔罐器", 1, "passive", 0.01), ("20", "电针治疗仪", 2, "active", 0.01),
    ("21", "医学影像处理软件", 2, "software", 0.03),
    ("22", "全自动生化分析仪", 2, "active", 0.03), ("22", "医用离心机", 1, "active", 0.02),
)


def _coprime_multiplier(rng: np.random.Generator, modulus: int) -> int:
    """A multiplier in [modulus/3, 2*modulus/3) coprime to ``modulus``, drawn from ``rng``."""
    while True:
        a = int(rng.integers(modulus // 3, 2 * modulus // 3))
        if math.gcd(a, modulus) == 1:
            return a


class Namer:
    """Deterministic, collision-free organisation codes and company names for enterprise indices.

    ``enterprises`` is the total count of the run: it decides whether two-character trade names
    suffice (up to a quarter of the 2-character space) or three-character ones are needed too.
    """

    NEW_SPACE = 31**6  # "MA" + 6 characters of the USCC alphabet (codes issued from 2015 on)
    OLD_SPACE = 10**8  # 8 digits (organisation codes issued before)

    def __init__(self, rng: np.random.Generator, enterprises: int) -> None:
        self.a_new, self.b_new = _coprime_multiplier(rng, self.NEW_SPACE), int(rng.integers(self.NEW_SPACE))
        self.a_old, self.b_old = _coprime_multiplier(rng, self.OLD_SPACE), int(rng.integers(self.OLD_SPACE))
        two = 100**2 * _N_SUFFIX
        self.name_space = two if enterprises <= two // 4 else two + 100**3 * _N_SUFFIX
        self.a_name, self.b_name = _coprime_multiplier(rng, self.name_space), int(rng.integers(self.name_space))

    def uscc(self, index: int, division: str, founded_year: int) -> str:
        if founded_year >= 2016:
            j = (self.a_new * index + self.b_new) % self.NEW_SPACE
            body = "MA" + "".join(ALPHABET[(j // 31**k) % 31] for k in range(5, -1, -1))
        else:
            j = (self.a_old * index + self.b_old) % self.OLD_SPACE
            body = f"{j:08d}"
        return make_uscc(division, body)

    def name(self, index: int, city: str, cluster: str) -> str:
        j = (self.a_name * index + self.b_name) % self.name_space
        suffix = SUFFIXES[cluster][j % _N_SUFFIX]
        z = j // _N_SUFFIX
        if z < 100**2:
            zihao = ZIHAO_CHARS[z // 100] + ZIHAO_CHARS[z % 100]
        else:
            z -= 100**2
            zihao = ZIHAO_CHARS[z // 10000] + ZIHAO_CHARS[(z // 100) % 100] + ZIHAO_CHARS[z % 100]
        return f"{city}市{zihao}{suffix}"


def address(city: str, district: str, road: int, number: int, building: int, floor: int) -> str:
    return f"{city}市{district}{ROADS[road]}{number}号{building}栋{floor}楼"
