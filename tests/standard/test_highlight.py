"""Highlight pieces: what the query matched in a code or title, as text pieces (never HTML)."""

from __future__ import annotations

from lingqu.standard.highlight import mark, query_marks


def _marked(text, query, **kw):
    return [p for p, on in mark(text, query_marks(query), **kw) if on]


def test_two_character_word_is_marked_inside_a_longer_word():
    assert _marked("便携式电子产品用锂离子电池和电池组", "电池") == ["电池", "电池"]


def test_pieces_put_the_text_back_together():
    text = "医用电气设备 第1部分：基本安全和基本性能的通用要求"
    assert "".join(p for p, _ in mark(text, query_marks("医用电气设备 基本安全"))) == text


def test_number_in_any_spelling_marks_the_whole_code():
    for q in ("gb9706.1", "9706.1", "GB 9706.1-2020", "ＧＢ ９７０６.１", "GB 9706"):
        assert _marked("GB 9706.1-2020", q, is_code=True) == ["GB 9706.1-2020"], q
    assert _marked("GB 9706.15-2008", "9706.1", is_code=True) == []


def test_english_words_match_after_stemming_case_insensitively():
    assert _marked("Lithium-ion cells and batteries", "battery") == ["batteries"]
    assert _marked("Medical electrical equipment", "MEDICAL") == ["Medical"]


def test_synonym_is_marked_in_the_title():
    assert _marked("便携式数字设备用移动电源通用规范", "充电宝") == ["移动电源"]


def test_markup_in_a_title_stays_text():
    pieces = mark('<script>alert("x")</script>电池', query_marks("电池"))
    assert pieces == [('<script>alert("x")</script>', False), ("电池", True)]


def test_nothing_to_mark_for_an_empty_or_punctuation_query():
    assert _marked("电池", "") == [] and _marked("电池", "！？") == []
    assert mark("", query_marks("电池")) == []
