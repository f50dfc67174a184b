"""MkDocs hooks for the archive (named in `mkdocs.yml` under `hooks:`).

They add the generated index pages as virtual files, fill in their HTML, render the post skeleton,
and after the build write the post pages, the RSS feed and the Pagefind index. The work is done in
`pipeline.archive.build`; these functions only route MkDocs events to the build's `Session`.
"""

from __future__ import annotations

from typing import Any

from pipeline.archive.build import Session

_session: Session | None = None


def on_config(config: Any) -> Any:
    global _session
    _session = Session(config)
    return config


def on_files(files: Any, config: Any) -> Any:
    assert _session is not None
    return _session.on_files(files)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    assert _session is not None
    return _session.on_page_content(html, page)


def on_post_page(output: str, page: Any, config: Any) -> str:
    assert _session is not None
    return _session.on_post_page(output, page)


def on_post_build(config: Any) -> None:
    assert _session is not None
    _session.on_post_build()
