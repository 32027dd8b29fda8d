"""The demo world's QI institutions: 30 fictional labs, certification bodies, metrology and
standards institutes, associations and consultancies over the six cities.

Scopes list real standard codes (standards_seed.csv) and real test-item names
(power_bank_test_items.csv); accreditation numbers follow the CNAS pattern but are invented.
"""

from __future__ import annotations

from dataclasses import dataclass

from lingqu.simulate.catalogue import sampling_items

_PB_ITEMS = tuple(it.name for it in sampling_items())
_PB_STD = ("GB/T 35590-2017", "GB 31241-2022", "GB 31241-2014", "GB 4943.1-2022", "GB 4943.1-2011")
PB_FULL = _PB_STD + ("GB/T 9254.1-2021",) + _PB_ITEMS
PB_BATTERY = ("GB 31241-2022", "GB 31241-2014", "过充电", "重物冲击", "热滥用")
PB_EMC = ("GB/T 9254.1-2021", "GB 17625.1-2022", "无线电骚扰", "抗扰度")
PB_PERF = ("GB/T 35590-2017", "有效输出容量（常温/高温）", "转换效率", "输出电压", "过充电保护", "过放电保护",
           "短路保护", "过载保护", "误操作", "外观及标识")
MD_ELEC = ("GB 9706.1-2020", "YY 9706.102-2021")
MD_BIO = ("GB/T 16886.1-2022", "GB/T 16886.18-2022")
MD_SW = ("YY/T 0664-2020",)
CERT_PB = ("CNCA-C09-02:2025", "CNCA-C09-01:2023", "GB 4943.1-2022", "GB 31241-2022")
CERT_QMS = ("YY/T 0287-2017", "GB/T 42062-2022")
METRO = ("GB/T 35590-2017", "输出电压", "转换效率", "有效输出容量（常温/高温）", "GB/T 2828.1-2012")
STD_PB = ("GB/T 35590-2017", "GB 31241-2022", "GB 4943.1-2022", "GB/T 9254.1-2021", "GB/T 2828.1-2012")
STD_MD = ("GB 9706.1-2020", "YY 9706.102-2021", "YY/T 0287-2017", "GB/T 42062-2022", "YY/T 0664-2020",
          "GB/T 16886.1-2022")
ASSOC_PB = ("GB/T 35590-2017", "GB 31241-2022", "CNCA-C09-02:2025")
ASSOC_MD = ("YY/T 0287-2017", "YY/T 0316-2016", "GB 9706.1-2020")
CONSULT_PB = ("GB/T 2828.1-2012", "GB/T 35590-2017", "CNCA-C09-02:2025")
CONSULT_MD = ("YY/T 0287-2017", "GB/T 42062-2022", "YY/T 1437-2023", "YY/T 0664-2020")


@dataclass(frozen=True)
class Institution:
    name: str
    kind: str  # lab | certification | metrology | standards | association | consultancy (the importer's vocabulary)
    city: str
    accreditation_no: str
    scope: tuple[str, ...]
    capacity_per_month: int | None
    turnaround_days: float | None
    clusters: str  # which clusters it serves as an assistance provider: "pb", "md" or "pb md"
    samples_power_banks: bool = False  # takes part in power-bank supervision sampling
    provincial: bool = False  # samples for the whole province


def _i(name, kind, city, acc, scope, cap, tat, clusters, samples=False, provincial=False) -> Institution:
    return Institution(name, kind, city, acc, tuple(dict.fromkeys(scope)), cap, tat, clusters, samples, provincial)


INSTITUTIONS: tuple[Institution, ...] = (
    _i("深圳市鹏城电子产品质量检测中心", "lab", "深圳", "CNAS L2791", PB_FULL, 900, 10, "pb", True),
    _i("深圳湾检测认证技术有限公司", "lab", "深圳", "CNAS L5236", PB_FULL + PB_EMC, 1200, 7, "pb", True),
    _i("深圳市南粤医疗器械检测研究所", "lab", "深圳", "CNAS L3318", MD_ELEC + MD_SW, 300, 20, "md"),
    _i("广东南粤产品质量检验研究院", "lab", "广州", "CNAS L0917", PB_FULL, 1500, 12, "pb", True, True),
    _i("广州穗检电子电器检测中心", "lab", "广州", "CNAS L4472", PB_PERF + PB_EMC, 600, 9, "pb", True),
    _i("广州粤华医疗器械检验所", "lab", "广州", "CNAS L2164", MD_ELEC + MD_BIO, 400, 25, "md"),
    _i("东莞市莞质电池安全检测中心", "lab", "东莞", "CNAS L6105", PB_BATTERY + PB_PERF, 800, 8, "pb", True),
    _i("东莞松湖检测技术有限公司", "lab", "东莞", "CNAS L7820", PB_FULL, 700, 10, "pb md", True),
    _i("惠州仲恺电池检测中心", "lab", "惠州", "CNAS L5589", PB_BATTERY + PB_PERF, 400, 10, "pb", True),
    _i("中山香山检测技术有限公司", "lab", "中山", "CNAS L6642", PB_PERF + MD_BIO, 300, 12, "pb md", True),
    _i("江门侨乡质量检测中心", "lab", "江门", "CNAS L3907", PB_FULL, 250, 14, "pb", True),
    _i("南粤认证中心有限公司", "certification", "广州", "CNAS C152-P", CERT_PB, 2000, 30, "pb"),
    _i("鹏城产品认证有限公司", "certification", "深圳", "CNAS C217-P", CERT_PB, 1500, 25, "pb"),
    _i("粤港澳医疗器械认证有限公司", "certification", "深圳", "CNAS C098-M", CERT_QMS, 150, 45, "md"),
    _i("珠江质量认证（东莞）有限公司", "certification", "东莞", "CNAS C233-M", ("GB/T 2828.1-2012",) + CERT_QMS, 300, 30, "pb md"),
    _i("深圳市鹏城计量测试院", "metrology", "深圳", "CNAS L1206", METRO, 2500, 5, "pb md"),
    _i("东莞市莞城计量检定所", "metrology", "东莞", "CNAS L2650", METRO, 1800, 5, "pb"),
    _i("惠州市东江计量测试所", "metrology", "惠州", "CNAS L3071", METRO, 900, 6, "pb md"),
    _i("江门市五邑计量测试所", "metrology", "江门", "CNAS L4128", METRO, 700, 6, "pb md"),
    _i("深圳市鹏城标准化研究中心", "standards", "深圳", "", STD_PB + STD_MD, 60, 15, "pb md"),
    _i("广东南粤标准化研究所", "standards", "广州", "", STD_PB + STD_MD, 80, 20, "pb md"),
    _i("中山市标准化服务中心", "standards", "中山", "", STD_PB, 30, 15, "pb md"),
    _i("深圳市便携电源产业协会", "association", "深圳", "", ASSOC_PB, None, None, "pb"),
    _i("东莞市储能电池产业协会", "association", "东莞", "", ASSOC_PB, None, None, "pb"),
    _i("深圳市医疗器械产业联合会", "association", "深圳", "", ASSOC_MD, None, None, "md"),
    _i("中山市医疗器械产业促进会", "association", "中山", "", ASSOC_MD, None, None, "md"),
    _i("深圳灵质质量管理咨询有限公司", "consultancy", "深圳", "", CONSULT_PB + CONSULT_MD, 40, 20, "pb md"),
    _i("广州卓标企业管理咨询有限公司", "consultancy", "广州", "", CONSULT_MD, 30, 25, "md"),
    _i("东莞市精益质量咨询有限公司", "consultancy", "东莞", "", CONSULT_PB, 35, 20, "pb"),
    _i("惠州市品质提升服务中心", "consultancy", "惠州", "", CONSULT_PB, 25, 20, "pb md"),
)

#: Which kinds of institution provide which kind of assistance.
PROVIDER_KINDS = {
    "diagnosis": ("consultancy", "standards"),
    "training": ("association", "consultancy", "standards"),
    "testing": ("lab", "metrology"),
}


def institution_rows() -> list[tuple]:
    return [
        (
            i.name, i.kind, i.city, i.accreditation_no, ";".join(i.scope),
            "" if i.capacity_per_month is None else str(i.capacity_per_month),
            "" if i.turnaround_days is None else f"{i.turnaround_days:g}",
        )
        for i in INSTITUTIONS
    ]
