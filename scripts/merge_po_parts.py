"""Fold PO fragments (pipeline/locale/parts/<branch>.po) into the catalog: `merge_po_parts.py CATALOG PART...`.

A fragment's translation fills an entry the catalog lacks, or whose translation is empty or fuzzy; where
both hold a different translation, the catalog's is kept and the clash is printed (exit 1) for a person to
settle. Fragments' fuzzy and empty entries are ignored. Run `scripts/i18n.sh` (extract, update) afterwards
so the catalog follows the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def _translated(string: object) -> bool:
    if isinstance(string, (tuple, list)):
        return all(s for s in string)
    return bool(string)


def merge(catalog: Catalog, part: Catalog, name: str) -> tuple[int, list[str]]:
    added, clashes = 0, []
    for message in part:
        if not message.id or message.fuzzy or not _translated(message.string):
            continue
        mine = catalog.get(message.id, message.context)
        if mine is None:
            catalog.add(message.id, message.string, context=message.context, flags=message.flags - {"fuzzy"})
            added += 1
        elif mine.fuzzy or not _translated(mine.string):
            mine.string = message.string
            mine.flags.discard("fuzzy")
            added += 1
        elif mine.string != message.string:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            clashes.append(f"{name}: {key!r}: kept {mine.string!r}, not {message.string!r}")
    return added, clashes


def main(argv: list[str]) -> int:
    if len(argv) < 1:
        print("usage: merge_po_parts.py CATALOG [PART...]", file=sys.stderr)
        return 2
    target = Path(argv[0])
    catalog = _read(target) if target.exists() else Catalog(locale="zh_CN", domain="wxpub")
    problems: list[str] = []
    for name in argv[1:]:
        path = Path(name)
        if not path.is_file():  # an unmatched glob: no fragments
            continue
        added, clashes = merge(catalog, _read(path), path.name)
        problems += clashes
        print(f"merge-parts: {path.name}: {added} entries merged")
    with target.open("wb") as fh:
        write_po(fh, catalog, width=0, sort_by_file=True)
    for p in problems:
        print(f"merge-parts: clash: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
