"""Build the archive: MkDocs + Material for the index pages, a fast path for the post pages, Pagefind.

Why the split: MkDocs renders every page through the whole Material template and rebuilds everything
every time. At 10,000 posts that alone costs most of the time budget, and a rebuild after one new
publication would cost it again. So:

1. MkDocs (driven by `pipeline/archive/hooks.py`, named in `mkdocs.yml`) builds the index pages (home,
   by year/month, category, unit, tag, search), added as virtual files in `on_files`. Posts are not in
   the nav, so the output grows linearly.
2. MkDocs also renders one *skeleton* post page at the same depth as every post (`p/0000/00-00-skeleton/`)
   with markers for the title and body. Each post page is that skeleton with the markers filled: the
   exact Material look, header and nav, at the cost of a string replacement (plus Markdown).
3. Post pages are written only when their content key (post body, files, record, skeleton) changed
   since the last build (a manifest in the cache dir), in parallel when there are many.
4. MkDocs writes into a staging dir inside the cache; changed files are synced into the site dir and
   files no longer produced are removed, so a rebuild rewrites only what changed.
5. Pagefind (extended build: Chinese segmentation) indexes the post pages into `<site>/pagefind/`.

`build_archive(...)` does all of it; `mkdocs build` at the repository top works too (no cache: it
writes everything into mkdocs' own site dir).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from html import escape
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ..errors import ConfigError, UsageError
from ..policy import load_policy
from ..post import POST_ID_RE
from . import feed, pages
from .content import Converter, local_image
from .model import Entry, collect
from .records import load_records

log = logging.getLogger("wxpub.archive")

VERSION = "1"  # bump to force every post page to be rewritten
SKELETON_DIR = "p/0000/00-00-skeleton/"
TITLE_MARK = "@@WXPUB_TITLE@@"
BODY_MARK = "@@WXPUB_BODY@@<!--<h1>-->"  # the comment keeps Material from adding its own <h1>
SEARCH_DIR = "pagefind"
UNUSED_ASSETS = ("assets/javascripts/lunr/", "assets/javascripts/workers/search")


@dataclass
class Options:
    """What one build does. `site_dir` is where the finished site goes."""

    root: Path
    site_dir: Path
    records_dir: Path | None = None
    ref: str | None = None
    search: bool = True
    incremental: bool = True
    jobs: int = 0
    per_page: int = pages.PER_PAGE
    cache_dir: Path | None = None


@dataclass
class BuildResult:
    site_dir: Path
    posts: int = 0
    retracted: int = 0
    written: int = 0
    index_pages: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


_pending: Options | None = None


@contextlib.contextmanager
def _options(opts: Options) -> Iterator[None]:
    global _pending
    _pending, before = opts, _pending
    try:
        yield
    finally:
        _pending = before


def cache_dir_for(root: Path, site_dir: Path) -> Path:
    """Where a site's staging build and manifest live: `.wxpub/archive/<hash of the site dir>/`."""
    return root / ".wxpub" / "archive" / hashlib.sha1(str(site_dir).encode()).hexdigest()[:12]


def _check_site_dir(root: Path, site: Path) -> None:
    for bad in (root, root / "docs", root / "posts", root / "policy", root / "pipeline", Path.home(), Path("/")):
        if site == bad.resolve():
            raise UsageError(f"--site-dir {site}: refusing to build into {bad}; name a folder of its own")
    if (site / ".git").exists():
        raise UsageError(f"--site-dir {site}: it holds a git repository; name a folder of its own")


def build_archive(
    root: Path,
    site_dir: Path | None = None,
    records_dir: Path | None = None,
    *,
    ref: str | None = None,
    search: bool = True,
    incremental: bool = True,
    jobs: int = 0,
    per_page: int = pages.PER_PAGE,
    config_file: Path | None = None,
) -> BuildResult:
    """Build the whole archive site into `site_dir` (default `<root>/site`) and return what was done."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    root = root.resolve()
    site = (site_dir or root / "site").resolve()
    _check_site_dir(root, site)
    cfg = (config_file or root / "mkdocs.yml").resolve()
    if not cfg.is_file():
        raise ConfigError(f"{cfg.name}: not found in {cfg.parent}", hint="the archive is configured by mkdocs.yml")
    if records_dir is not None and not records_dir.is_dir():
        raise UsageError(f"--records-dir {records_dir}: no such folder")
    cache = cache_dir_for(root, site)
    if not incremental and cache.exists():
        shutil.rmtree(cache)
    opts = Options(root, site, records_dir, ref, search, incremental, jobs, per_page, cache)
    session: Session | None = None
    with _options(opts):
        try:
            config = load_config(str(cfg), site_dir=str(cache / "mkdocs"))
            build(config)
        except MkDocsException as exc:
            raise ConfigError(f"mkdocs: {exc}") from None
        session = SESSIONS.pop(str(cfg), None)
    if session is None:
        raise ConfigError(f"{cfg.name}: the archive hooks did not run; add `hooks: [pipeline/archive/hooks.py]`")
    return session.result


SESSIONS: dict[str, Session] = {}


class Session:
    """The state of one MkDocs build, driven by the hooks in `pipeline/archive/hooks.py`."""

    def __init__(self, config: Any) -> None:
        cfg_file = Path(config.config_file_path).resolve()
        staging = Path(config.site_dir).resolve()
        opts = _pending or Options(
            root=cfg_file.parent,
            site_dir=staging,
            records_dir=Path(os.environ["WXPUB_RECORDS_DIR"]) if os.environ.get("WXPUB_RECORDS_DIR") else None,
            incremental=False,
        )
        self.opts = opts
        self.staging = staging
        self.config = config
        self.result = BuildResult(site_dir=opts.site_dir)
        self.skeleton = ""
        self._t0 = time.perf_counter()
        SESSIONS[str(cfg_file)] = self

        policy = load_policy(opts.root)
        records = load_records(opts.root, records_dir=opts.records_dir, ref=opts.ref)
        entries = collect(opts.root, records, policy.tz)
        bad = [e.id for e in entries if not POST_ID_RE.match(e.id)]
        if bad:
            log.warning("archive: skipping records with malformed post ids: %s", ", ".join(bad[:5]))
        self.entries = [e for e in entries if POST_ID_RE.match(e.id)]
        self.result.posts = len(self.entries)
        self.result.retracted = sum(e.status == "retracted" for e in self.entries)
        self.pages = {p.src: p for p in pages.index_pages(self.entries, per_page=opts.per_page)}
        self.result.index_pages = len(self.pages)
        self.result.seconds["collect"] = time.perf_counter() - self._t0

    # -- MkDocs events -------------------------------------------------------------------------

    def on_files(self, files: Any) -> Any:
        from mkdocs.structure.files import File, InclusionLevel

        for f in list(files):  # Material's lunr search assets: unused (Pagefind searches), and never shipped
            if f.src_uri.startswith(UNUSED_ASSETS) or f.src_uri.endswith(".min.js.map"):
                files.remove(f)
        nav_pages = {"index.md", "archive/index.md", "category/index.md", "unit/index.md", "tags/index.md"}
        for src, page in self.pages.items():
            level = InclusionLevel.UNDEFINED if src in nav_pages | {"search/index.md"} else InclusionLevel.NOT_IN_NAV
            stub = f"---\ntitle: {json.dumps(page.title, ensure_ascii=False)}\nhide: [toc]\n---\n"
            files.append(File.generated(self.config, src, content=stub, inclusion=level))
        stub = f"---\ntitle: {TITLE_MARK}\nhide: [toc]\n---\n"
        files.append(
            File.generated(self.config, SKELETON_DIR + "index.md", content=stub, inclusion=InclusionLevel.NOT_IN_NAV)
        )
        return files

    def on_page_content(self, html: str, page: Any) -> str:
        src = page.file.src_uri
        if src == SKELETON_DIR + "index.md":
            return BODY_MARK
        index = self.pages.get(src)
        return index.html if index else html

    def on_post_page(self, output: str, page: Any) -> str:
        if page.file.src_uri == SKELETON_DIR + "index.md":
            self.skeleton = output
        return output

    def on_post_build(self) -> None:
        t = time.perf_counter()
        self.result.seconds["mkdocs"] = t - self._t0 - self.result.seconds["collect"]
        shutil.rmtree(self.staging / SKELETON_DIR.split("/")[0] / "0000", ignore_errors=True)
        site = self.opts.site_dir
        site.mkdir(parents=True, exist_ok=True)
        title = str(self.config.site_name)
        (self.staging / "feed.xml").write_bytes(
            feed.rss(self.entries, title=title, site_url=str(self.config.site_url or ""))
        )
        expected = set()
        if site != self.staging:
            expected = sync_tree(self.staging, site)
        post_files = self.write_posts(site)
        self.result.seconds["posts"] = time.perf_counter() - t
        if site != self.staging:
            remove_stale(site, expected | post_files, keep=(SEARCH_DIR + "/",))
        if self.opts.search:
            t = time.perf_counter()
            run_pagefind(site)
            self.result.seconds["search"] = time.perf_counter() - t

    # -- post pages ------------------------------------------------------------------------------

    def write_posts(self, site: Path) -> set[str]:
        """Write every post page whose content key changed; return every post file path (site-relative)."""
        if not self.skeleton:
            raise ConfigError("the skeleton post page was not rendered; is the theme Material?")
        skel_hash = hashlib.sha1((VERSION + self.skeleton).encode()).hexdigest()
        manifest_path = (self.opts.cache_dir or self.staging.parent) / "manifest.json"
        old: dict[str, Any] = {}
        if self.opts.incremental and self.opts.cache_dir is not None:
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(manifest_path.read_text(encoding="utf-8"))
                if data.get("skeleton") == skel_hash:
                    old = data.get("posts", {})
        todo: list[Entry] = []
        files: dict[str, list[str]] = {}
        for e in self.entries:
            prev = old.get(e.id)
            if prev and prev[0] == e.key and (site / e.url / "index.html").is_file():
                files[e.id] = prev[1]
            else:
                todo.append(e)
        for e_id, names in render_many(todo, self.skeleton, self.opts.root, site, self.opts.jobs):
            files[e_id] = names
        self.result.written = len(todo)
        if self.opts.cache_dir is not None:
            new = {e.id: [e.key, files[e.id]] for e in self.entries}
            manifest_path.parent.mkdir(parents=True, exist_ok=True)
            manifest_path.write_text(json.dumps({"skeleton": skel_hash, "posts": new}), encoding="utf-8")
        return {f"{e.url}{name}" for e in self.entries for name in files[e.id]}


def fill(skeleton: str, e: Entry, body: str) -> str:
    """A post's page: the skeleton with its title, body and path filled in."""
    return skeleton.replace(BODY_MARK, body, 1).replace(TITLE_MARK, escape(e.title)).replace(SKELETON_DIR, e.url)


_converter: Converter | None = None


def render_one(e: Entry, skeleton: str, root: Path, site: Path) -> tuple[str, list[str]]:
    """Write one post's page (and copy its local images); return (post id, files written, page-relative)."""
    global _converter
    conv = _converter = _converter or Converter()
    folder = e.folder

    def keep(src: str) -> str | None:
        return local_image(folder, root, src)

    content, images = conv.convert(e.body or "", keep) if e.body is not None else ("", [])
    kind, text = e.form
    form_html = conv.convert(text)[0] if kind == "markdown" else conv.clean(text) if kind == "html" else ""
    cover = keep(e.cover) if e.cover else None
    out_dir = site / e.url
    out_dir.mkdir(parents=True, exist_ok=True)
    page = fill(skeleton, e, pages.post_html(e, content, form_html, cover))
    target = out_dir / "index.html"
    data = page.encode("utf-8")
    if not target.is_file() or target.read_bytes() != data:
        target.write_bytes(data)
    names = ["index.html"]
    for name in dict.fromkeys([*([cover] if cover else []), *images]):
        assert folder is not None
        src, dst = folder / name, out_dir / name
        if not dst.is_file() or dst.stat().st_size != src.stat().st_size or dst.stat().st_mtime < src.stat().st_mtime:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        names.append(name)
    return e.id, names


def _render_chunk(args: tuple[list[Entry], str, Path, Path]) -> list[tuple[str, list[str]]]:
    chunk, skeleton, root, site = args
    return [render_one(e, skeleton, root, site) for e in chunk]


def render_many(
    entries: list[Entry], skeleton: str, root: Path, site: Path, jobs: int = 0
) -> list[tuple[str, list[str]]]:
    """Render post pages, in worker processes when there are many."""
    workers = jobs or os.cpu_count() or 1
    if workers <= 1 or len(entries) < 400:
        return [render_one(e, skeleton, root, site) for e in entries]
    size = max(50, len(entries) // (workers * 4))
    chunks = [(entries[i : i + size], skeleton, root, site) for i in range(0, len(entries), size)]
    out: list[tuple[str, list[str]]] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        for part in pool.map(_render_chunk, chunks):
            out += part
    return out


# -- files ---------------------------------------------------------------------------------------


def sync_tree(src: Path, dst: Path) -> set[str]:
    """Copy files from `src` into `dst` when their bytes differ; return every relative path synced."""
    seen: set[str] = set()
    for dirpath, _dirs, names in os.walk(src):
        d = Path(dirpath)
        rel_dir = d.relative_to(src)
        for name in names:
            rel = (rel_dir / name).as_posix()
            seen.add(rel)
            a, b = d / name, dst / rel_dir / name
            if b.is_file() and a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes():
                continue
            b.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(a, b)
    return seen


def remove_stale(site: Path, expected: set[str], keep: tuple[str, ...] = ()) -> int:
    """Delete files under `site` that this build did not produce (and empty folders); return how many."""
    removed = 0
    for dirpath, _dirs, names in os.walk(site, topdown=False):
        d = Path(dirpath)
        rel_dir = d.relative_to(site).as_posix()
        for name in names:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if rel not in expected and not rel.startswith(keep):
                (d / name).unlink()
                removed += 1
        if d != site and not any(d.iterdir()):
            d.rmdir()
    return removed


def run_pagefind(site: Path) -> None:
    """Index the post pages with Pagefind's extended binary (Chinese segmentation) into `<site>/pagefind/`."""
    shutil.rmtree(site / SEARCH_DIR, ignore_errors=True)
    cmd = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-subdir", SEARCH_DIR]
    cmd += ["--glob", "p/**/index.html", "--silent"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ConfigError(f"pagefind failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[:500]}")
