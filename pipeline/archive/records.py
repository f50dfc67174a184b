"""Publication records for the archive, read through the ledger (`pipeline.ledger.read_records`).

Only records whose status is published or retracted appear in the archive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SHOWN = ("published", "retracted")


def load_records(root: Path, *, records_dir: Path | None = None, ref: str | None = None) -> dict[str, Any]:
    """Every record by post id: from `records_dir` when given, else the `wxpub-records` branch (or `ref`)."""
    from ..errors import ConfigError
    from ..ledger import read_records

    try:
        return dict(read_records(root, ref=ref, directory=records_dir))
    except (ValueError, OSError) as exc:  # a record file that is not JSON, or unreadable
        where = f"--records-dir {records_dir}" if records_dir else "the wxpub-records branch"
        raise ConfigError(f"{where}: a record cannot be read: {exc}", hint="check the records") from None


def form_of(record: Any) -> tuple[str, str]:
    """The approval form as ("html", text) or ("markdown", text), or ("", "") when the record has none.

    The HTML rendering (`records/<id>.form.html`) is preferred: it is what the approval form looked like,
    and sanitising it costs a tenth of converting the Markdown.
    """
    html = str(getattr(record, "form_html", "") or "")
    if html.strip():
        return "html", html
    md = str(getattr(record, "form_markdown", "") or "")
    if md.strip():
        return "markdown", md
    return "", ""
