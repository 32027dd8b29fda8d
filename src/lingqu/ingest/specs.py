"""What each import kind's columns are: canonical names, the headers people use, the value kind.

The header aliases are the names regulators' sheets actually use (国抽/省抽 result tables, CNAS
scope lists). Matching ignores case, spaces, full-width forms and the usual decorations
(``*`` for required, ``（必填）``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from lingqu.kit import normalize
from lingqu.standard import dataset


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | uscc | city | district | date | verdict | choice | number | int | custom
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: dict | None = None
    max_len: int = 200
    minimum: int | None = None
    #: for ``custom`` columns: value -> canonical value, raising ``normalize.FieldProblem``
    parse: Callable[[str], str] | None = None
    #: NFKC-normalise the text (off for official titles, whose full-width punctuation is part of them)
    nfkc: bool = True


@dataclass(frozen=True)
class Spec:
    kind: str
    label_zh: str
    columns: tuple[Column, ...]
    #: columns that identify a record: re-importing a row with the same key updates it
    natural_key: tuple[str, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def C(name, kind="text", required=False, *aliases, **kw) -> Column:  # noqa: N802 - table-like
    return Column(name, kind, required, tuple(aliases), **kw)


ENTERPRISES = Spec(
    "enterprises", "企业",
    (
        C("uscc", "uscc", True, "统一社会信用代码", "社会信用代码", "信用代码", "企业统一社会信用代码", "统一代码"),
        C("name", "text", True, "企业名称", "名称", "单位名称", "生产企业", "生产企业名称", "company", "enterprise_name"),
        C("city", "city", True, "城市", "所在城市", "地市", "市", "所在地市"),
        C("district", "district", False, "区", "区县", "所在区", "辖区", "区域", "镇街"),
        C("cluster", "choice", False, "产业集群", "集群", "行业", "产业", choices=normalize.CLUSTERS),
        C("address", "text", False, "地址", "企业地址", "住所", "注册地址", "生产地址", max_len=500),
        C("founded", "date", False, "成立日期", "成立时间", "注册日期"),
        C("size", "choice", False, "企业规模", "规模", choices=normalize.SIZES),
    ),
    ("uscc",),
)

SAMPLING = Spec(
    "sampling", "抽检结果",
    (
        C("batch_id", "text", True, "抽样编号", "抽样单编号", "批次编号", "样品编号", "报告编号", "batch", "batch_no", max_len=60),
        C("uscc", "uscc", True, "统一社会信用代码", "社会信用代码", "信用代码", "生产企业统一社会信用代码", "被抽样单位统一社会信用代码"),
        C("enterprise_name", "text", False, "企业名称", "生产企业", "生产企业名称", "标称生产企业名称", "被抽样单位", "被抽样单位名称"),
        C("product_name", "text", False, "产品名称", "样品名称", "食品名称"),
        C("brand", "text", False, "标称商标", "商标", "品牌", max_len=100),
        C("model", "text", False, "规格型号", "型号", "型号规格", "规格", max_len=100),
        C("cluster", "choice", False, "产业集群", "集群", "产品类别", choices=normalize.CLUSTERS),
        C("sampled_on", "date", True, "抽样日期", "抽样时间", "抽检日期", "采样日期"),
        C("city", "city", True, "城市", "所在城市", "地市", "抽样地市", "企业所在地市"),
        C("district", "district", False, "区", "区县", "所在区", "辖区", "镇街"),
        C("channel", "choice", False, "抽样环节", "环节", "抽样领域", "领域", "销售渠道", choices=normalize.CHANNELS),
        C("lab", "text", False, "检验机构", "承检机构", "检测机构", "检验单位"),
        C("standard_code", "text", False, "检验依据", "标准", "标准编号", "依据标准", "判定依据", max_len=60),
        C("test_item", "text", True, "检验项目", "项目", "检测项目", "不合格项目", max_len=60),
        C("verdict", "verdict", True, "检验结果", "结果", "判定", "单项判定", "结论", "检验结论", "判定结果"),
        C("measured_value", "number", False, "实测值", "检验值", "测量值", "检测值"),
        C("unit", "text", False, "单位", "计量单位", max_len=20),
        C("limit", "text", False, "标准值", "限值", "标准要求", "要求", "标准规定值", max_len=500),
        C("severity", "choice", False, "严重程度", "不合格程度", "缺陷等级", choices=normalize.SEVERITIES),
    ),
    ("batch_id", "test_item"),
)

INSTITUTIONS = Spec(
    "institutions", "机构",
    (
        C("name", "text", True, "机构名称", "名称", "单位名称"),
        C("kind", "choice", True, "机构类型", "类型", "类别", choices=normalize.INSTITUTION_KINDS),
        C("city", "city", True, "城市", "所在城市", "地市"),
        C("accreditation_no", "text", False, "认可证书编号", "CNAS编号", "认可编号", "资质编号", "证书编号", max_len=60),
        C("scope", "text", False, "能力范围", "认可范围", "检测范围", "业务范围", max_len=100_000),
        C("capacity_per_month", "int", False, "月产能", "月检测能力", "每月能力", "月承接量", minimum=0),
        C("turnaround_days", "number", False, "检测周期", "周期天数", "周转天数", "平均周期"),
    ),
    ("name", "city"),
)

COMPLAINTS = Spec(
    "complaints", "投诉",
    (
        C("complaint_id", "text", True, "投诉编号", "编号", "工单号", max_len=60),
        C("uscc", "uscc", True, "统一社会信用代码", "被投诉企业统一社会信用代码"),
        C("received_on", "date", True, "投诉日期", "登记日期", "受理日期"),
        C("channel", "text", False, "投诉渠道", "渠道", "来源", max_len=20),
        C("category", "text", False, "投诉类别", "问题类别", "类别", max_len=40),
        C("description", "text", False, "投诉内容", "内容", "描述", max_len=5000),
    ),
    ("complaint_id",),
)

CERTIFICATES = Spec(
    "certificates", "证书",
    (
        C("certificate_no", "text", True, "证书编号", "证书号", "注册证编号", "备案编号", max_len=60),
        C("uscc", "uscc", True, "统一社会信用代码", "持证企业统一社会信用代码"),
        C("kind", "text", False, "证书类型", "类型", max_len=20),
        C("product_name", "text", False, "产品名称"),
        C("model", "text", False, "规格型号", "型号", max_len=100),
        C("standard_code", "text", False, "依据标准", "检验标准", "标准", max_len=500),
        C("issued_on", "date", False, "发证日期", "颁发日期", "批准日期"),
        C("expires_on", "date", False, "有效期至", "到期日期", "有效期"),
        C("status", "text", False, "证书状态", "状态", max_len=20),
    ),
    ("certificate_no",),
)

ASSISTANCE = Spec(
    "assistance", "帮扶",
    (
        C("assistance_id", "text", True, "帮扶编号", "编号", max_len=60),
        C("uscc", "uscc", True, "统一社会信用代码"),
        C("started_on", "date", True, "开始日期", "帮扶日期"),
        C("kind", "text", False, "帮扶类型", "类型", max_len=20),
        C("provider", "text", False, "服务机构", "帮扶机构", "提供方"),
    ),
    ("assistance_id",),
)

STANDARDS = Spec(
    "standards", "标准",
    (
        C("code", "custom", True, "标准编号", "标准号", "编号", "文号", parse=dataset.parse_code),
        C("title_zh", "text", False, "标准名称", "中文名称", "中文标题", "名称", max_len=500, nfkc=False),
        C("title_en", "text", False, "英文名称", "英文标题", max_len=500, nfkc=False),
        C("kind", "custom", True, "类型", "标准类型", "标准类别", parse=dataset.parse_kind),
        C("status", "choice", True, "状态", "标准状态", choices=dataset.STATUSES),
        C("issued", "date", False, "发布日期", "发布时间"),
        C("effective", "date", False, "实施日期", "实施时间", "生效日期"),
        C("withdrawn", "date", False, "废止日期", "废止时间"),
        C("replaces", "custom", False, "代替标准", "代替", "替代标准", parse=dataset.parse_codes),
        C("replaced_by", "custom", False, "被代替标准", "被代替", "被替代", "替代为", parse=dataset.parse_codes),
        C("adopts", "text", False, "采用国际标准", "采标情况", "采标", max_len=300),
        C("categories", "custom", False, "适用产品类别", "产品类别", "适用类别", parse=dataset.parse_categories),
        C("domain", "choice", False, "领域", "所属领域", choices=dataset.DOMAINS),
        C("source", "custom", True, "来源", "信息来源", "出处", parse=dataset.parse_sources),
        C("verification", "text", False, "核实说明", "核实情况", "备注", max_len=5000, nfkc=False),
    ),
    ("code",),
)

PRODUCTS = Spec(
    "products", "产品",
    (
        C("uscc", "uscc", True, "统一社会信用代码", "社会信用代码", "信用代码", "生产企业统一社会信用代码"),
        C("name", "text", True, "产品名称", "名称", "产品"),
        C("model", "text", False, "规格型号", "型号", "型号规格", max_len=100),
        C("brand", "text", False, "品牌", "商标", "标称商标", max_len=100),
        C("category", "custom", True, "产品类别", "类别", "产品分类", "分类编码", parse=dataset.parse_category),
    ),
    ("uscc", "name", "model"),
)

SPECS = {s.kind: s for s in (ENTERPRISES, SAMPLING, INSTITUTIONS, COMPLAINTS, CERTIFICATES, ASSISTANCE, STANDARDS, PRODUCTS)}


def header_key(name: str) -> str:
    """How a header is compared: NFKC, lower case, no spaces, no required-markers or brackets."""
    s = unicodedata.normalize("NFKC", name).strip().lower()
    s = re.sub(r"[（(]\s*(必填|选填|可选|required|optional)\s*[)）]", "", s)
    s = re.sub(r"[\s*_\-:：]", "", s)
    return s


def map_header(spec: Spec, header: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map file columns to canonical names. Returns ({file column: canonical}, [extra columns]).

    A canonical column matched by two file columns keeps the first; the second is kept as extra.
    """
    lookup: dict[str, str] = {}
    for col in spec.columns:
        for alias in (col.name, *col.aliases):
            lookup.setdefault(header_key(alias), col.name)
    mapping, extras, taken = {}, [], set()
    for h in header:
        canon = lookup.get(header_key(h))
        if canon and canon not in taken:
            mapping[h] = canon
            taken.add(canon)
        else:
            extras.append(h)
    return mapping, extras
