"""The message catalogs: complete, translated, placeholder-true, compiled, and shipped by `pip install .`."""

from __future__ import annotations

import configparser
import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from conftest import PROJECT

from pipeline import i18n

LOCALE = PROJECT / "pipeline" / "locale"
CATALOG = LOCALE / "zh_CN" / "LC_MESSAGES" / "wxpub.po"
PARTS = sorted((LOCALE / "parts").glob("*.po"))

BRACE = re.compile(r"(?<!\{)\{(\w*)(?:[!:][^{}\s]*)?\}(?!\})")  # {name}, {name:.1f}; not {{ }} or {key: value}
PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdrifx%])")


def read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def placeholders(text: str) -> tuple[set[str], set[str]]:
    """({named placeholders}, {%-placeholders}) of a message."""
    braces = {m.group(1) for m in BRACE.finditer(text) if re.fullmatch(r"\w*", m.group(1))}
    percent = {f"{m.group(1) or ''}%{m.group(2)}" for m in PERCENT.finditer(text) if m.group(2) != "%"}
    return braces, percent


def entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def test_there_is_a_chinese_catalog_with_the_report_words() -> None:
    catalog = read(CATALOG)
    assert len(entries(catalog)) > 200
    assert catalog.get("error").string == "错误"
    assert catalog.get("review").string == "待合规审查"
    assert catalog.get("info").string == "提示"


@pytest.mark.parametrize("path", [CATALOG, *PARTS], ids=lambda p: p.name)
def test_every_entry_is_translated_and_keeps_its_placeholders(path: Path) -> None:
    problems = []
    for m in entries(read(path)):
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        if m.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        strings = list(m.string) if isinstance(m.string, tuple | list) else [m.string]
        if not all(strings):
            problems.append(f"untranslated: {key!r}")
            continue
        source = m.id[1] if isinstance(m.id, tuple) else m.id  # Chinese has one form: the plural's
        want = placeholders(source)
        if isinstance(m.id, tuple):
            assert placeholders(m.id[0])[0] <= want[0], key
        for s in strings:
            if placeholders(s) != want:
                problems.append(f"placeholders differ: {key!r} {want} -> {s!r} {placeholders(s)}")
    assert problems == [], "\n".join(problems)


def test_placeholder_reader() -> None:
    assert placeholders("{n} posts in {month:%Y}; `urgent: {reason: ...}` {{x}}") == ({"n", "month"}, set())
    assert placeholders("invalid choice: %(value)r (%s) 100%%") == (set(), {"value%r", "%s"})


def extracted() -> dict[str, str]:
    """Every message marked in pipeline/ (as scripts/i18n.sh extracts them), with where it is."""
    cfg = configparser.ConfigParser()
    cfg.read(PROJECT / "setup.cfg", encoding="utf-8")
    options = cfg["extract_messages"]
    keywords = parse_keywords(options["keywords"].split())
    with (PROJECT / options["mapping_file"]).open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PROJECT / "pipeline", method_map, options_map, keywords=keywords
    ):
        key = message[0] if isinstance(message, tuple) else message
        found.setdefault(key, f"pipeline/{filename}:{lineno}")
    return found


def test_extraction_is_complete_every_marked_message_is_in_the_catalog() -> None:
    """A message marked in the code but missing from the catalog would reach people in English."""
    catalog = {m.id[0] if isinstance(m.id, tuple) else m.id for m in entries(read(CATALOG))}
    parts = {m.id[0] if isinstance(m.id, tuple) else m.id for p in PARTS for m in entries(read(p))}
    missing = {k: where for k, where in extracted().items() if k not in catalog and k not in parts}
    assert missing == {}, "not in the catalog (run scripts/i18n.sh, then translate):\n" + "\n".join(
        f"{where}: {k!r}" for k, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_the_catalog_holds_no_message_the_code_lost() -> None:
    gone = {m.id if isinstance(m.id, str) else m.id[0] for m in entries(read(CATALOG))} - set(extracted())
    assert gone == set(), f"in the catalog but no longer in the code (run scripts/i18n.sh): {sorted(gone)}"


def test_the_extraction_keywords_agree_with_the_script() -> None:
    script = (PROJECT / "scripts" / "i18n.sh").read_text(encoding="utf-8")
    assert "-k _ -k N_ -k ngettext:1,2" in script and "--no-default-keywords" in script
    assert "_ N_ ngettext:1,2" in (PROJECT / "setup.cfg").read_text(encoding="utf-8")


def test_the_compiled_catalog_is_there_and_current() -> None:
    """Loud where gettext is silent: without the .mo every message would quietly be English."""
    mo = i18n.catalog_path("zh_CN")
    assert mo.is_file(), f"{mo} is missing: reinstall (pip install -e .) or run scripts/i18n.sh compile"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for m in entries(read(CATALOG)):
        if isinstance(m.id, tuple):
            got = compiled.ngettext(m.id[0], m.id[1], 2)
            if got != m.string[0]:
                stale.append(m.id[0])
        elif compiled.gettext(m.id) != m.string:
            stale.append(m.id)
    assert stale == [], f"the .mo is older than the .po (run scripts/i18n.sh compile): {stale[:5]}"


def test_a_missing_catalog_is_said_on_standard_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code = (
        "import pathlib, pipeline.i18n as i;"
        f"i.LOCALE_DIR = pathlib.Path({str(tmp_path)!r});"
        "i.set_language('zh_CN'); print(i._('error'))"
    )
    env = {**os.environ, "WXPUB_LANG": "zh_CN"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "error"
    assert "message catalog is not compiled" in done.stderr and "scripts/i18n.sh compile" in done.stderr


@pytest.mark.slow
def test_pip_install_ships_the_compiled_catalog(tmp_path: Path) -> None:
    """`pip install .` (a wheel built from the source tree, installed elsewhere) speaks Chinese."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(PROJECT)]
    subprocess.run(build, check=True, cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("wxpub-*.whl"))
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    assert (site / "pipeline" / "locale" / "zh_CN" / "LC_MESSAGES" / "wxpub.mo").is_file()
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r}); import pipeline;"
        f"assert pipeline.__file__.startswith({str(site)!r}), pipeline.__file__;"
        "from pipeline.cli import main; raise SystemExit(main(['rules', 'schema/required']))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("WXPUB_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "头信息缺少必填字段" in done.stdout and "级别：错误" in done.stdout
    assert done.stderr == ""
