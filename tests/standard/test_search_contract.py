"""One contract suite for every ``SearchBackend`` (DESIGN.md §4 rule 5), on the seeded table."""

from __future__ import annotations

import pytest

from lingqu.db.engine import unit_of_work
from lingqu.standard.search import BACKENDS, SearchBackend, make_backend
from lingqu.standard.service import search_standards

from .search_quality import evaluate, load_queries

#: Floors for the query set (tests/standard/search_queries.csv), justified by the measurements in
#: docs/methods/standards-search.md: on the 33 seed standards both backends reach recall@10 1.000
#: and MRR 0.994; with the 342 staging rows merged the seed queries give 0.983 / 0.964 (broad
#: queries such as 医用电气设备 meet sixty particular standards before the general one) and the
#: needs_dataset queries 1.000 / 1.000. A floor sits about one query below the lower value: recall
#: may lose one query in 119, MRR about four queries falling from rank 1 to rank 2.
FLOORS = {"seed": (0.97, 0.93), "needs_dataset": (0.97, 0.93)}

#: The integrator sets this to True once the full standards dataset is merged, which switches on
#: the ``needs_dataset`` queries (``test_needs_dataset_switch_matches_the_data`` says when).
DATASET_MERGED = True
SECTIONS = ("seed", "needs_dataset") if DATASET_MERGED else ("seed",)

NEVER_ERROR = ["", "   ", "！？。，", "...", "-", '"', ":", "(", ")", "AND", "OR NOT", "*", "~", "^", '"GB 9706.1', "title:电池",
               "(医用 AND", "电池*", "电池~2", "risk^3", "\\", "x" * 10_000, "电池" * 5_000, "9" * 10_000, "GB " * 3000, "\x00\x01",
               "😀🔋", "电池🔋GB9706.1😀", "медицинский 医用 طبي", "NOT 医用 OR", "[电池 TO 医用]", "{GB}", "-电池", "+ISO 13485",
               "title_zh:\"电池\"", "'; DROP TABLE standard; --", "%_%", "\u200b\ufeff"]


@pytest.fixture(params=sorted(BACKENDS))
def backend(request) -> str:
    return request.param


def _search(db_url, backend, query, **kw):
    with unit_of_work(db_url) as s:
        return search_standards(s, query, backend=backend, **kw)


def test_both_backends_implement_the_protocol(backend):
    assert isinstance(make_backend(backend), SearchBackend)


def test_the_query_set_has_at_least_80_queries_of_every_kind():
    queries = load_queries(("seed", "needs_dataset"))
    assert len(queries) >= 80 and len(load_queries(("seed",))) >= 80
    assert {q.category for q in queries} == {"number", "intl", "zh", "en", "mixed"}
    lengths = {len(q.text) for q in queries if q.category == "zh" and " " not in q.text}
    assert min(lengths) == 2 and max(lengths) >= 8


@pytest.mark.parametrize("section", SECTIONS)
def test_query_set_recall_at_10_and_mrr_meet_the_floors(db_url, backend, section):
    with unit_of_work(db_url) as s:
        quality = evaluate(lambda q: [h.code for h in search_standards(s, q, backend=backend)], load_queries((section,)))
    print(f"\n{backend} {section}: {quality.summary()}\n  " + "\n  ".join(quality.misses))
    recall_floor, mrr_floor = FLOORS[section]
    assert quality.recall >= recall_floor, quality.misses
    assert quality.mrr >= mrr_floor, quality.misses


def test_needs_dataset_switch_matches_the_data(db_url):
    """Fails when the dataset is merged but its queries are still switched off (or the reverse)."""
    from lingqu.reference.models import Standard

    with unit_of_work(db_url) as s:
        have = {c for (c,) in s.query(Standard.code)}
    wanted = {c for q in load_queries(("needs_dataset",)) for c in q.expected}
    present = len(wanted & have) / len(wanted)
    if DATASET_MERGED:
        assert present >= 0.9, f"only {present:.0%} of the needs_dataset answers are in the data"
    else:
        assert present < 0.9, "the standards dataset is merged: set DATASET_MERGED = True in this file"


def test_an_exact_full_number_ranks_that_edition_first(db_url, backend):
    assert _search(db_url, backend, "GB 9706.1-2007")[0].code == "GB 9706.1-2007"
    assert _search(db_url, backend, "gb9706.1-2020")[0].code == "GB 9706.1-2020"


def test_current_edition_ranks_above_superseded_for_a_number_without_year(db_url, backend):
    hits = _search(db_url, backend, "GB 9706.1")
    assert [h.code for h in hits[:2]] == ["GB 9706.1-2020", "GB 9706.1-2007"]
    assert hits[0].score > hits[1].score


def test_an_exact_number_match_ranks_above_a_title_match(db_url, backend):
    hits = _search(db_url, backend, "医用电气设备 YY 9706.102")
    assert hits[0].code == "YY 9706.102-2021"


def test_international_code_finds_the_chinese_standard_adopting_it(db_url, backend):
    # YY/T 0287-2017 in the seed; the national GB/T 42061-2022 (same ISO 13485:2016 IDT) once the dataset is merged
    assert _search(db_url, backend, "ISO 13485")[0].code in {"YY/T 0287-2017", "GB/T 42061-2022"}
    assert _search(db_url, backend, "IEC 60601-1")[0].code == "GB 9706.1-2020"


def test_two_character_chinese_words_find_their_standards(db_url, backend):
    assert "GB 31241-2022" in [h.code for h in _search(db_url, backend, "电池")]
    assert "GB 9706.1-2020" in [h.code for h in _search(db_url, backend, "医用")]


def test_status_filter_keeps_only_current_editions(db_url, backend):
    hits = _search(db_url, backend, "9706.1", status="current")
    assert [h.code for h in hits] == ["GB 9706.1-2020"]


def test_limit_caps_the_results(db_url, backend):
    assert len(_search(db_url, backend, "医疗器械", limit=3)) == 3


@pytest.mark.parametrize("query", NEVER_ERROR, ids=range(len(NEVER_ERROR)))
def test_no_query_ever_errors(db_url, backend, query):
    hits = _search(db_url, backend, query)
    assert isinstance(hits, list) and len(hits) <= 10


def test_index_is_rebuilt_when_the_table_changes(db_url, backend):
    from lingqu.reference.models import Standard

    assert _search(db_url, backend, "GB 99999") == []
    with unit_of_work(db_url) as s:
        s.add(Standard(code="GB 99999-2025", title_zh="测试专用 充电宝", title_en="Test only", status="current"))
    assert _search(db_url, backend, "gb99999")[0].code == "GB 99999-2025"


# --- the backends themselves, on documents built without a database --------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lingqu.standard.analysis import STATUSES, analyse_many  # noqa: E402
from lingqu.standard.search import Filters  # noqa: E402

_ROWS = [
    (1, "GB 31241-2022", "便携式电子产品用锂离子电池和电池组 安全技术规范", "Lithium-ion cells and batteries - Safety", "current", "", "GB", "power_bank"),
    (2, "GB 31241-2014", "便携式电子产品用锂离子电池和电池组 安全要求", "Lithium-ion cells and batteries - Safety requirements", "superseded", "", "GB", "power_bank"),
    (3, "GB/T 35590-2017", "信息技术 便携式数字设备用移动电源通用规范", "Power banks - General specification", "current", "", "GB/T", "power_bank"),
    (4, "GB 9706.1-2020", "医用电气设备 第1部分：基本安全和基本性能的通用要求", "Medical electrical equipment - Part 1", "current", "IEC 60601-1:2012 MOD", "GB", "medical_device"),
    (5, "GB 9706.1-2007", "医用电气设备 第1部分：安全通用要求", "Medical electrical equipment - Part 1", "superseded", "", "GB", "medical_device"),
    (6, "YY/T 0287-2017", "医疗器械 质量管理体系 用于法规的要求", "Medical devices - Quality management systems", "current", "ISO 13485:2016 IDT", "YY/T", "medical_device"),
    (7, "GB 47372-2026", "移动电源安全技术规范", "Safety technical specification for power banks", "upcoming", "", "GB", "power_bank"),
    (8, "国务院令第390号", "中华人民共和国认证认可条例", "Regulations on certification and accreditation", "current", "", "regulation", "general"),
    (9, "YY 0505-2012", "医用电气设备 第1-2部分：安全通用要求 并列标准：电磁兼容 要求和试验", "Medical electrical equipment - EMC", "withdrawn", "", "YY", "medical_device"),
    (10, "CNCA-C09-02:2025", "强制性产品认证实施规则 移动电源、锂离子电池和电池组", "CCC rules - power banks", "current", "", "CCC_rule", "power_bank"),
]
_DOCS = analyse_many(_ROWS)


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def built(request):
    b = make_backend(request.param)
    b.rebuild(_DOCS)
    return b


def _codes(hits):
    return [h.code for h in hits]


def test_an_empty_index_answers_an_empty_list(backend):
    b = make_backend(backend)
    b.rebuild([])
    assert b.search("电池") == [] and b.search("电池").total == 0


def test_rebuild_replaces_the_index(backend):
    b = make_backend(backend)
    b.rebuild(_DOCS)
    b.rebuild(_DOCS[:1])
    assert _codes(b.search("电池")) == ["GB 31241-2022"]


def test_kind_and_domain_filters_keep_only_matching_standards(built):
    assert _codes(built.search("电池", filters=Filters(kind="GB/T"))) == []
    assert set(_codes(built.search("移动电源", filters=Filters(kind="GB/T")))) == {"GB/T 35590-2017"}
    medical = set(_codes(built.search("安全", filters=Filters(domain="medical_device"))))
    assert medical == {"GB 9706.1-2020", "GB 9706.1-2007", "YY 0505-2012"}
    assert _codes(built.search("认证", filters=Filters(kind="regulation"))) == ["国务院令第390号"]


def test_status_filter_uses_the_dataset_vocabulary(built):
    assert _codes(built.search("移动电源", status="upcoming")) == ["GB 47372-2026"]
    assert _codes(built.search("电磁兼容", status="withdrawn")) == ["YY 0505-2012"]
    with pytest.raises(Exception, match="unknown status"):
        built.search("电池", status="valid")


def test_current_edition_ranks_above_the_superseded_one_for_equal_matches(built):
    hits = built.search("GB 31241")
    assert _codes(hits)[:2] == ["GB 31241-2022", "GB 31241-2014"]


def test_pages_concatenate_to_the_whole_ranking(built):
    whole = built.search("安全", limit=100)
    assert whole.total == len(whole) >= 5
    paged = []
    for offset in range(0, whole.total, 2):
        page = built.search("安全", limit=2, offset=offset)
        assert page.total == whole.total
        paged += page
    assert _codes(paged) == _codes(whole)


def test_limit_zero_gives_only_the_total(built):
    hits = built.search("安全", limit=0)
    assert hits == [] and hits.total >= 5


def test_synonyms_and_regulation_numbers(built):
    assert _codes(built.search("充电宝"))[0] in {"GB/T 35590-2017", "GB 47372-2026"}
    assert _codes(built.search("国务院令第390号"))[0] == "国务院令第390号"
    assert _codes(built.search("390号令"))[0] == "国务院令第390号"


def test_both_backends_rank_alike():
    results = {}
    for name in BACKENDS:
        b = make_backend(name)
        b.rebuild(_DOCS)
        results[name] = [(_codes(b.search(q)), b.search(q).total) for q in ("电池", "移动电源", "GB 9706.1", "ISO 13485", "medical", "安全")]
    assert results["tantivy"] == results["memory"]


_SYNTAX = st.sampled_from(list('"*:()[]{}^~-+!?\\/&|<>\'`,.;=%$#@') + ["AND", "OR", "NOT", "TO", "title:", "NEAR", "\x00", "\u200b", "🔋", "😀", "ＧＢ", "—"])
_PIECES = st.one_of(
    _SYNTAX,
    st.sampled_from(["电池", "医用", "移动电源", "GB", "9706.1", "gb9706.1-2020", "ISO 13485", "IEC 60601-1", "medical", "第390号", "Ω", "й", "ك", "ก"]),
    st.text(max_size=20),
)
_QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(_PIECES, max_size=30).map(" ".join),
    st.lists(_PIECES, max_size=30).map("".join),
    st.builds(lambda p, n: p * n, _PIECES, st.integers(1, 2000)),  # very long, up to ~10 k characters and beyond
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=_QUERIES, status=st.sampled_from(["", *STATUSES]), limit=st.integers(0, 50), offset=st.integers(0, 20))
def test_no_query_ever_errors_property(built, query, status, limit, offset):
    hits = built.search(query, limit=limit, status=status or None, offset=offset)
    assert isinstance(hits, list) and len(hits) <= limit and hits.total >= len(hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert all(not status or h.status == status for h in hits)


def test_ties_break_on_the_code_and_pages_neither_repeat_nor_skip(backend):
    """Twelve standards with the same title score alike; in reverse code order of insertion."""
    rows = [(i, f"GB/T {40000 + 12 - i}-2020", "电动工具 安全要求", "Electric tools - Safety", "current", "", "GB/T", "general") for i in range(1, 13)]
    b = make_backend(backend)
    b.rebuild(analyse_many(rows))
    whole = _codes(b.search("电动工具", limit=50))
    assert whole == sorted(whole) and len(whole) == 12
    for size in (1, 5):
        paged = []
        for offset in range(0, 12, size):
            paged += _codes(b.search("电动工具", limit=size, offset=offset))
        assert paged == whole


def test_count_false_skips_the_total_but_not_the_hits(built):
    counted, uncounted = built.search("安全"), built.search("安全", count=False)
    assert _codes(counted) == _codes(uncounted) and counted.total >= len(counted) and uncounted.total is None
