#!/usr/bin/env bash
# The message catalogs (Babel). Steps, in the order `all` runs them:
#   merge-parts  fold the PO fragments pipeline/locale/parts/*.po into the Chinese catalog
#   extract      the marked messages of pipeline/ -> pipeline/locale/wxpub.pot
#   update       the Chinese catalog follows the template (new messages added, gone ones dropped)
#   compile      .po -> .mo beside it (installs do this themselves: setup.py's build hook)
# Usage: scripts/i18n.sh [all|merge-parts|extract|update|compile]...   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${WXPUB_VENV:-.venv}/bin
POT=pipeline/locale/wxpub.pot
LOCALES=pipeline/locale

step() {
  case "$1" in
    merge-parts)
      "$BIN/python" scripts/merge_po_parts.py "$LOCALES/zh_CN/LC_MESSAGES/wxpub.po" "$LOCALES"/parts/*.po ;;
    extract)
      # keywords: as setup.cfg [extract_messages]
      "$BIN/pybabel" -q extract -F babel.cfg --no-default-keywords -k _ -k N_ -k ngettext:1,2 \
        --add-location=file --sort-by-file --no-wrap --project=wxpub --version=0.1.0 -o "$POT" pipeline ;;
    update)
      "$BIN/pybabel" -q update -i "$POT" -d "$LOCALES" -D wxpub -l zh_CN --no-fuzzy-matching --ignore-obsolete \
        --no-wrap ;;
    compile)
      "$BIN/pybabel" -q compile -d "$LOCALES" -D wxpub --statistics ;;
    all)
      for s in merge-parts extract update compile; do step "$s"; done ;;
    *)
      echo "i18n: unknown step $1 (all, merge-parts, extract, update, compile)" >&2; exit 2 ;;
  esac
}

[ $# -gt 0 ] || set -- all
for s in "$@"; do step "$s"; done
