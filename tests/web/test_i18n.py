"""Every literal ``t("...")`` in every template has an English entry in the merged catalogue
(src/lingqu/web/i18n/*.json), and the English switch really changes the page."""

from __future__ import annotations

import re
from pathlib import Path

from lingqu.web.i18n import catalogue, translate

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "lingqu" / "web" / "templates"
#: t("...") or t('...') with a literal first argument (placeholders like {n} are part of the key)
LITERAL = re.compile(r"""\bt\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def template_literals() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for m in LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(1) if m.group(1) is not None else m.group(2), set()).add(path.name)
    return found


def test_templates_use_t_at_all():
    assert len(template_literals()) > 100


def test_every_template_string_has_an_english_entry():
    english = catalogue()
    missing = {text: files for text, files in template_literals().items() if not english.get(text, "").strip()}
    listing = "\n".join(f"  {text!r}  ({', '.join(sorted(files))})" for text, files in sorted(missing.items()))
    assert not missing, f"{len(missing)} template strings have no English entry in src/lingqu/web/i18n/*.json:\n{listing}"


def test_no_text_has_two_different_english_entries():
    """The catalogues are merged, so the same Chinese text in two files must read the same in English."""
    import json
    from pathlib import Path

    import lingqu.web.i18n as i18n

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted(Path(i18n.__file__).parent.glob("*.json")):
        for zh, en in json.loads(path.read_text(encoding="utf-8")).items():
            if zh in seen and seen[zh][1] != en:
                clashes.append(f"{zh!r}: {seen[zh][0]} {seen[zh][1]!r} vs {path.name} {en!r}")
            seen.setdefault(zh, (path.name, en))
    assert not clashes, "\n".join(clashes)


def test_english_entries_keep_the_placeholders():
    english = catalogue()
    bad = []
    for text in template_literals():
        if text in english and set(re.findall(r"{(\w+)}", text)) != set(re.findall(r"{(\w+)}", english[text])):
            bad.append(f"{text!r} -> {english[text]!r}")
    assert not bad, "placeholders differ:\n" + "\n".join(bad)


def test_translate_falls_back_to_chinese_for_unknown_text():
    assert translate("从未收录的文字", "en") == "从未收录的文字"
    assert translate("企业", "zh") == "企业"
