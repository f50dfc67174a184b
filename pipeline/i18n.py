"""The one place that decides the language people read, and the translation functions.

Chinese (zh_CN) is the default. `--lang en` (the CLI calls `set_language`), `WXPUB_LANG`, or the usual
`LANGUAGE` / `LC_ALL` / `LC_MESSAGES` / `LANG` give English. Nothing else reads the environment for
the language.

Messages are marked in the code with named placeholders, so a translation can reorder them:

    from pipeline.i18n import _, N_, ngettext
    _("“{term}” quoted in a warning: not a claim", term=term)
    ngettext("{n} post checked", "{n} posts checked", n)

`N_` marks a message that is stored now and translated when shown (`_(rule.summary)` at display time).
The catalogs are standard gettext files: `pipeline/locale/<lang>/LC_MESSAGES/wxpub.po`, compiled to
`.mo` when the package is built or installed (`scripts/i18n.sh` extracts, updates and compiles).
"""

from __future__ import annotations

import gettext
import os
import sys
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "wxpub"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "zh_CN"
SUPPORTED = ("zh_CN", "en")

_translations: gettext.NullTranslations | None = None
_language: str | None = None


def normalise(value: str) -> str | None:
    """`zh`, `zh_CN.UTF-8`, `zh-Hans` -> `zh_CN`; `en`, `en_US` -> `en`; anything else (`C`, `POSIX`,
    another language) -> None, which leaves the choice to the next source."""
    tag = value.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").lower()
    if tag == "en" or tag.startswith("en_"):
        return "en"
    if tag == "zh" or tag.startswith("zh_"):
        return "zh_CN"
    return None


def choose(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language: an explicit choice, then WXPUB_LANG, then LANGUAGE/LC_ALL/LC_MESSAGES/LANG
    (the first that names a supported language; `C` and `POSIX` name none), then zh_CN."""
    if explicit:
        chosen = normalise(explicit)
        if chosen is None:
            from .errors import UsageError

            raise UsageError(_("--lang {value}: unknown language; use zh_CN or en", value=explicit))
        return chosen
    env = os.environ if environ is None else environ
    wx = env.get("WXPUB_LANG", "")
    if wx.strip():
        chosen = normalise(wx)
        if chosen is not None:
            return chosen
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key, "")
        if not value.strip():
            continue
        # LANGUAGE is a colon-separated priority list
        for part in value.split(":"):
            chosen = normalise(part)
            if chosen is not None:
                return chosen
    return DEFAULT


def set_language(lang: str | None = None) -> str:
    """Decide the language (see `choose`) and load its catalog; returns the language chosen.
    Also sets WXPUB_LANG so that child processes (workers, subcommands) speak the same language."""
    global _translations, _language
    chosen = choose(lang)
    _language = chosen
    os.environ["WXPUB_LANG"] = chosen
    if chosen == "en":
        _translations = gettext.NullTranslations()
    else:
        _translations = gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[chosen], fallback=True)
        if type(_translations) is gettext.NullTranslations:
            _missing_catalog(chosen)
    return chosen


_warned: set[str] = set()


def catalog_path(lang: str = DEFAULT) -> Path:
    """Where the compiled catalog of `lang` must be."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def _missing_catalog(lang: str) -> None:
    """Say once, on standard error, that the compiled catalog is missing: the messages fall back to
    English, and nobody should mistake that for the chosen language."""
    if lang in _warned:
        return
    _warned.add(lang)
    print(
        f"wxpub: the {lang} message catalog is not compiled ({catalog_path(lang)} is missing), so messages "
        "are in English; reinstall wxpub (pip install .) or run scripts/i18n.sh compile",
        file=sys.stderr,
    )


def language() -> str:
    if _language is None:
        set_language()
    assert _language is not None
    return _language


def _catalog() -> gettext.NullTranslations:
    if _translations is None:
        set_language()
    assert _translations is not None
    return _translations


def _(message: str, /, **params: object) -> str:
    """The message in the current language, with its named placeholders filled in."""
    text = _catalog().gettext(message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """A message with a count; `{n}` is available as a placeholder."""
    text = _catalog().ngettext(singular, plural, n)
    return text.format(n=n, **params)


def N_(message: str, /) -> str:
    """Marks a message for extraction; it is translated later, when shown, with `_()`."""
    return message
