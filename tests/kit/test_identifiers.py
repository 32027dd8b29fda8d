"""USCC check characters (GB 32100-2015) against real, published codes.

The codes below are printed on the business licences / annual reports of the named companies
(public registration records, 国家企业信用信息公示系统).
"""

import pytest

from lingqu.kit.identifiers import gb11714_check_character, is_valid_uscc, make_uscc, uscc_check_character, uscc_problem

PUBLISHED = {
    "914403001922038216": "华为技术有限公司",
    "91440300708461136T": "深圳市腾讯计算机系统有限公司",
    "91440300192317458F": "比亚迪股份有限公司",
    "9144030027939873X7": "中兴通讯股份有限公司",
    "91440300100012316L": "中国平安保险(集团)股份有限公司",
    "91330100716105852F": "阿里巴巴(中国)有限公司",
    "91110108558521630L": "小米通讯技术有限公司",
}


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_published_codes_are_valid(code):
    assert uscc_problem(code) is None
    assert uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_every_wrong_check_character_is_caught(code):
    for c in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if c != code[17]:
            problem = uscc_problem(code[:17] + c)
            assert problem and "校验位" in problem and code[17] in problem


def test_problems_are_named():
    assert "18" in uscc_problem("91440300192317458")
    assert "非法字符" in uscc_problem("91440300192317458I")
    assert "为空" in uscc_problem("")
    assert "行政区划" in uscc_problem("91ABCDEF192317458F")


def test_lower_case_is_accepted():
    assert is_valid_uscc("9144030027939873x7")


def test_made_codes_are_valid_and_embed_a_valid_organisation_code():
    code = make_uscc("440300", "MA5FXXXX".replace("X", "1"))
    assert is_valid_uscc(code)
    # GB 11714 example: organisation code 19220382-1 is Huawei's (embedded in its USCC above)
    assert gb11714_check_character("19220382") == "1"
