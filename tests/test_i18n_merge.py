"""scripts/merge_po_parts.py: the other branches' PO fragments fold into the catalog; clashes are said."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from conftest import PROJECT

SCRIPT = PROJECT / "scripts" / "merge_po_parts.py"
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'


def test_fragments_fill_the_catalog_and_clashes_keep_the_catalogs_word(tmp_path: Path) -> None:
    catalog = tmp_path / "wxpub.po"
    catalog.write_text(HEADER + 'msgid "error"\nmsgstr "错误"\n\nmsgid "empty here"\nmsgstr ""\n', encoding="utf-8")
    part = tmp_path / "checks.po"
    part.write_text(
        HEADER
        + 'msgid "error"\nmsgstr "出错"\n\n'
        + 'msgid "empty here"\nmsgstr "这里补上"\n\n'
        + 'msgid "{term} quoted in a warning"\nmsgstr "警示语中引用的“{term}”"\n\n'
        + '#, fuzzy\nmsgid "not sure"\nmsgstr "不确定"\n\n'
        + 'msgid "{n} post"\nmsgid_plural "{n} posts"\nmsgstr[0] "{n} 篇"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(catalog), str(part), str(tmp_path / "absent-*.po")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1  # the clash on "error" needs a person
    assert "checks.po: 3 entries merged" in done.stdout
    assert "clash: checks.po: 'error': kept '错误', not '出错'" in done.stderr
    with catalog.open("rb") as fh:
        merged = read_po(fh)
    assert merged.get("error").string == "错误"
    assert merged.get("empty here").string == "这里补上"
    assert merged.get("{term} quoted in a warning").string == "警示语中引用的“{term}”"
    assert merged.get("not sure") is None
    assert merged.get(("{n} post", "{n} posts")).string == ("{n} 篇",)


def test_the_script_runs_the_steps_in_order() -> None:
    script = (PROJECT / "scripts" / "i18n.sh").read_text(encoding="utf-8")
    assert "for s in merge-parts extract update compile" in script
    assert "--no-fuzzy-matching" in script and "--ignore-obsolete" in script
