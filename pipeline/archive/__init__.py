"""The internal archive: every publication with its approval form, browsable and searchable in Chinese.

    build_archive(root, site_dir=None, records_dir=None, *, search=True, incremental=True) -> BuildResult
    make_server(site_dir, host, port) / serve_in_thread(site_dir)

Index pages are built by MkDocs + Material (`mkdocs.yml`, hooks in `pipeline/archive/hooks.py`); post
pages by a fast path from a Material-rendered skeleton; search by Pagefind. See `build.py` for why.
"""

from __future__ import annotations

from .build import BuildResult, build_archive
from .serve import make_server, serve_in_thread, url_of

__all__ = ["BuildResult", "build_archive", "make_server", "serve_in_thread", "url_of"]
