"""Unified social credit code (统一社会信用代码, USCC) per GB 32100-2015.

Structure (18 characters): registration-authority code (1), organisation-type code (1),
administrative-division code (6 digits, GB/T 2260), organisation code (9, GB 11714) and a
check character. The check character is computed modulo 31 over the first 17 characters with
weights 3^i mod 31, on the 31-character alphabet below (no I, O, S, V, Z).
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """Return the check character for the first 17 characters of a USCC."""
    if len(first17) != 17:
        raise ValueError("first17 must have exactly 17 characters")
    total = 0
    for ch, w in zip(first17.upper(), WEIGHTS):
        if ch not in _VALUE:
            raise ValueError(f"character {ch!r} is not allowed in a USCC")
        total += _VALUE[ch] * w
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, in words a user can act on; ``None`` when it is valid."""
    if not code:
        return "统一社会信用代码为空 (USCC is empty)"
    code = code.upper()
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实为{len(code)}位 (USCC must have 18 characters, has {len(code)})"
    bad = [c for c in code if c not in _VALUE]
    if bad:
        return f"统一社会信用代码含非法字符 {''.join(dict.fromkeys(bad))} (characters not allowed in a USCC)"
    if not code[2:8].isdigit():
        return "统一社会信用代码第3-8位应为行政区划代码 (characters 3-8 must be the division code digits)"
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：应为 {expected}，实为 {code[17]} (check character should be {expected})"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None


def make_uscc(division: str, org_code8: str, authority: str = "9", org_type: str = "1") -> str:
    """Build a valid USCC from its parts (used by the demo-world simulator and tests).

    ``org_code8`` is the 8-character body of the organisation code; its own GB 11714 check
    character is computed here so that the embedded organisation code is valid too.
    """
    body = org_code8.upper()
    org_check = gb11714_check_character(body)
    first17 = f"{authority}{org_type}{division}{body}{org_check}"
    return first17 + uscc_check_character(first17)


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def gb11714_check_character(body8: str) -> str:
    """Check character of a GB 11714 organisation code (modulo 11, 'X' for 10)."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body8, _ORG_WEIGHTS))
    r = 11 - total % 11
    return {10: "X", 11: "0"}.get(r, str(r))
