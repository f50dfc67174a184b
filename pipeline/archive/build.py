"""Build the archive: MkDocs + Material render the theme, a fast path fills in 10,000 pages, Pagefind indexes.

Why not let MkDocs render every page: it renders each page through the whole Material template and
rebuilds everything every time. At 10,000 posts that alone costs most of the time budget, and a rebuild
after one new publication would cost it again. So:

1. MkDocs (driven by `pipeline/archive/hooks.py`, named in `mkdocs.yml`) renders the pages in the nav
   (home; by year/month, category, unit, tag; search), added as virtual files in `on_files`. Posts are
   not in the nav, so the output grows linearly with the number of posts.
2. MkDocs also renders one *skeleton* page per folder depth (`wxpub-skeleton/x/x/` for depth 3, the depth
   of every post page `p/<yyyy>/<mm-dd-slug>/`) with markers for the title and body. Every other page
   (each post, each paginated index page) is the skeleton of its depth with the markers filled: the exact
   Material look, header and nav (relative links are the same at the same depth), for the cost of a
   string replacement.
3. Pages are written only when their bytes change; post pages are rendered only when their content key
   (post body and files, record, form) changed since the last build (a manifest in the cache dir), by
   worker processes that start while MkDocs runs. The front matter of unchanged post folders is cached.
4. MkDocs writes into a staging dir inside the cache; changed files are synced into the site dir and
   files no longer produced are removed.
5. Pagefind (extended build: Chinese segmentation) indexes the post pages into `<site>/pagefind/<shard>/`,
   only the shards whose pages changed (`search.py`).

`build_archive(...)` does all of it; `mkdocs build` at the repository top works too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from html import escape
from multiprocessing import get_context
from pathlib import Path
from queue import Empty
from typing import Any

from ..errors import ConfigError, UsageError
from ..i18n import _
from ..imagemeta import strip_metadata
from ..policy import load_policy
from ..post import POST_ID_RE
from . import feed, pages
from .content import Converter, local_image, tree_image
from .gitread import close_readers, reader_for
from .model import Entry, collect, entry_for, prefetch
from .records import SHOWN, load_records
from .search import SEARCH_DIR, SearchResult, index_search, run_pagefind  # noqa: F401 (run_pagefind: re-exported)

log = logging.getLogger("wxpub.archive")

VERSION = "4"  # bump to force every post page to be rewritten
SKELETON_ROOT = "wxpub-skeleton/"
POST_DEPTH = 3  # p/<yyyy>/<mm-dd-slug>/
FORM_PAGE = "form/index.html"  # the printable approval form, beside the post's page
TITLE_MARK = "@@WXPUB_TITLE@@"
BODY_MARK = "@@WXPUB_BODY@@<!--<h1>-->"  # the comment keeps Material from adding its own <h1>
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
    search: SearchResult | None = None  # the search shards, and those indexed again (None: search off)


_pending: Options | None = None


@contextlib.contextmanager
def _options(opts: Options) -> Iterator[None]:
    global _pending
    _pending, before = opts, _pending
    try:
        yield
    finally:
        _pending = before


# Pages of the repository's docs shown in the archive: the Chinese guide, and the glossary it links to.
GUIDE_PAGES = {"guide/index.md": "docs/guide.zh.md", "guide/glossary.md": "docs/glossary.md"}
GUIDE_MISSING = "# 使用指南\n\n本仓库没有 `{doc}`。\n"


def cache_dir_for(root: Path, site_dir: Path) -> Path:
    """Where a site's staging build and manifest live: `.wxpub/archive/<hash of the site dir>/`."""
    return root / ".wxpub" / "archive" / hashlib.sha1(str(site_dir).encode()).hexdigest()[:12]


def _check_site_dir(root: Path, site: Path) -> None:
    for bad in (root, root / "docs", root / "posts", root / "policy", root / "pipeline", Path.home(), Path("/")):
        if site == bad.resolve():
            raise UsageError(
                _("--site-dir {site}: refusing to build into {bad}; name a folder of its own", site=site, bad=bad)
            )
    if (site / ".git").exists():
        raise UsageError(_("--site-dir {site}: it holds a git repository; name a folder of its own", site=site))


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
        raise ConfigError(
            _("{name}: not found in {folder}", name=cfg.name, folder=cfg.parent),
            hint=_("the archive is configured by mkdocs.yml"),
        )
    if records_dir is not None and not records_dir.is_dir():
        raise UsageError(_("--records-dir {folder}: no such folder", folder=records_dir))
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
            raise ConfigError(_("mkdocs: {error}", error=exc)) from None
        finally:
            session = SESSIONS.pop(str(cfg), None)
            if session is not None:
                session.close()
            close_readers()
    if session is None:
        raise ConfigError(
            _("{name}: the archive hooks did not run; add `hooks: [pipeline/archive/hooks.py]`", name=cfg.name)
        )
    return session.result


SESSIONS: dict[str, Session] = {}
PARALLEL_FROM = 300  # posts to write before worker processes pay off


def skeleton_dir(depth: int) -> str:
    """The folder of the skeleton page at `depth` folders below the site root (depth >= 1)."""
    return SKELETON_ROOT + "x/" * (depth - 1)


def depth_of(url: str) -> int:
    return url.count("/")


class Session:
    """The state of one MkDocs build, driven by the hooks in `pipeline/archive/hooks.py`.

    With many posts, worker processes start as soon as the records are read: each joins its share of the
    records with their post folders, sends the entries back (this process builds the index pages and runs
    MkDocs meanwhile), renders the changed post pages, and waits for the post skeleton to write them.
    """

    def __init__(self, config: Any) -> None:
        cfg_file = Path(config.config_file_path).resolve()
        staging = Path(config.site_dir).resolve()
        opts = _pending or Options(
            root=cfg_file.parent,
            site_dir=staging,
            records_dir=Path(os.environ["WXPUB_RECORDS_DIR"]) if os.environ.get("WXPUB_RECORDS_DIR") else None,
            incremental=False,
        )
        if opts.cache_dir is None:
            opts.cache_dir = cache_dir_for(opts.root, opts.site_dir)
        self.opts = opts
        self.cache: Path = opts.cache_dir
        self.staging = staging
        self.config = config
        self.result = BuildResult(site_dir=opts.site_dir)
        self.skeletons: dict[int, str] = {}
        self._t0 = time.perf_counter()
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[list[tuple[str, list[str]]]]] = []
        SESSIONS[str(cfg_file)] = self
        _reported.clear()  # each build names each malformed image once

        self.manifest = self._read_manifest()
        self.cache.mkdir(parents=True, exist_ok=True)
        self.skeleton_file = self.cache / "skeleton.html"
        self.skeleton_file.unlink(missing_ok=True)
        policy = load_policy(opts.root)
        records, self.records_cache = load_records(
            opts.root, records_dir=opts.records_dir, ref=opts.ref, cache=self.manifest.get("records")
        )
        items = [(pid, r) for pid, r in records.items() if getattr(r, "status", "") in SHOWN]
        bad = [pid for pid, _ in items if not POST_ID_RE.match(pid)]
        if bad:
            log.warning(_("archive: records with malformed post ids are left out: {ids}", ids=", ".join(bad[:5])))
            items = [(pid, r) for pid, r in items if POST_ID_RE.match(pid)]
        workers = opts.jobs or os.cpu_count() or 1
        self.todo: list[Entry] = []
        if workers > 1 and len(items) >= PARALLEL_FROM:
            entries = self._collect_and_render_in_workers(items, policy.tz, workers)
        else:
            entries = collect(opts.root, dict(items), policy.tz, self.manifest.get("sources"))
            self.todo = [e for e in entries if not self._unchanged(e)]
        entries.sort(key=lambda e: (e.published_at, e.id), reverse=True)
        self.entries = entries
        self.result.posts = len(self.entries)
        self.result.retracted = sum(e.status == "retracted" for e in self.entries)
        all_pages = pages.index_pages(self.entries, per_page=opts.per_page)
        self.nav_pages = {p.src: p for p in all_pages if p.src in pages.NAV_PAGES}
        self.filled_pages = [p for p in all_pages if p.src not in pages.NAV_PAGES]
        self.depths = sorted({POST_DEPTH, *(depth_of(p.src.removesuffix("index.md")) for p in self.filled_pages)})
        self.result.index_pages = len(all_pages)
        self.result.seconds["collect"] = time.perf_counter() - self._t0

    def _unchanged(self, e: Entry) -> bool:
        """True when the post's page on disk was made from exactly this content."""
        prev = self.manifest.get("posts", {}).get(e.id)
        return bool(prev and prev[0] == e.key and os.path.isfile(f"{self.opts.site_dir}/{e.url}index.html"))

    def _read_manifest(self) -> dict[str, Any]:
        if not self.opts.incremental:
            return {}
        try:
            data = json.loads((self.cache / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("version") == VERSION else {}

    def _collect_and_render_in_workers(self, items: list[tuple[str, Any]], tz: Any, workers: int) -> list[Entry]:
        """Fork workers that each join a share of the records with their posts, send the entries back, render
        the changed pages, then wait for the skeleton to write them. Returns every entry (unsorted)."""
        global _job
        ctx = get_context("fork")
        self._ready = ctx.Event()
        queue = ctx.Queue()
        _job = _Job(items, self.opts.root, tz, self.manifest.get("sources", {}), self)  # inherited by fork
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(self._ready, queue)
        )
        size = -(-len(items) // workers)
        for i in range(0, len(items), size):
            self._futures.append(self._pool.submit(_collect_render_write, i, i + size, str(self.skeleton_file)))
        entries: list[Entry] = []
        for _future in self._futures:
            while True:
                try:
                    entries += queue.get(timeout=1)
                    break
                except Empty:
                    failed = [f for f in self._futures if f.done() and f.exception() is not None]
                    if failed:
                        self.close()
                        raise failed[0].exception() from None  # type: ignore[misc]
        queue.close()
        return entries

    def close(self) -> None:
        """Release the workers (after a failed build they are waiting for a skeleton that never comes)."""
        if self._pool is not None:
            self._ready.set()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    # -- MkDocs events -------------------------------------------------------------------------

    def on_files(self, files: Any) -> Any:
        from mkdocs.structure.files import File, InclusionLevel

        for f in list(files):  # Material's lunr search assets: unused (Pagefind searches), and never shipped
            if f.src_uri.startswith(UNUSED_ASSETS) or f.src_uri.endswith(".min.js.map"):
                files.remove(f)
        stub = f'---\ntitle: "{TITLE_MARK}"\nhide: [toc]\n---\n'
        for depth in sorted(self.depths, key=lambda d: d != POST_DEPTH):  # the post skeleton first
            src = skeleton_dir(depth) + "index.md"
            files.append(File.generated(self.config, src, content=stub, inclusion=InclusionLevel.NOT_IN_NAV))
        for src, page in self.nav_pages.items():
            stub = f"---\ntitle: {json.dumps(page.title, ensure_ascii=False)}\nhide: [toc]\n---\n"
            files.append(File.generated(self.config, src, content=stub))
        for src, doc in GUIDE_PAGES.items():  # the editors' and reviewers' guide, linked from the site's tabs
            path = self.opts.root / doc
            text = path.read_text(encoding="utf-8") if path.is_file() else GUIDE_MISSING.format(doc=doc)
            files.append(File.generated(self.config, src, content=text))
        return files

    def on_page_content(self, html: str, page: Any) -> str:
        src = page.file.src_uri
        if src.startswith(SKELETON_ROOT):
            return BODY_MARK
        index = self.nav_pages.get(src)
        return index.html if index else html

    def on_post_page(self, output: str, page: Any) -> str:
        src = page.file.src_uri
        if src.startswith(SKELETON_ROOT):
            depth = depth_of(src.removesuffix("index.md"))
            self.skeletons[depth] = output
            if depth == POST_DEPTH:
                tmp = self.skeleton_file.with_suffix(".tmp")
                tmp.write_text(output, encoding="utf-8")
                tmp.replace(self.skeleton_file)
                if self._pool is not None:
                    self._ready.set()
        return output

    def on_post_build(self) -> None:
        t = time.perf_counter()
        self.result.seconds["mkdocs"] = t - self._t0 - self.result.seconds["collect"]
        shutil.rmtree(self.staging / SKELETON_ROOT, ignore_errors=True)
        site = self.opts.site_dir
        site.mkdir(parents=True, exist_ok=True)
        title = str(self.config.site_name)
        (self.staging / "feed.xml").write_bytes(
            feed.rss(self.entries, title=title, site_url=str(self.config.site_url or ""))
        )
        expected = set()
        if site != self.staging:
            expected = sync_tree(self.staging, site)
        expected |= self.write_index_pages(site)
        self.result.seconds["indexes"] = time.perf_counter() - t
        t = time.perf_counter()
        expected |= self.write_posts(site)
        self.result.seconds["posts"] = time.perf_counter() - t
        if site != self.staging:
            previous = self.manifest.get("files")
            if isinstance(previous, list):  # only what the last build wrote and this one did not
                for rel_path in set(previous) - expected:
                    (site / rel_path).unlink(missing_ok=True)
                    prune_empty(site, (site / rel_path).parent)
            else:
                remove_stale(site, expected, keep=(SEARCH_DIR + "/",))
        manifest = {**self.new_manifest, "files": sorted(expected)}
        (self.cache / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        if self.opts.search:
            t = time.perf_counter()  # no posts: no index (the search page says so)
            self.result.search = index_search(
                site,
                [(e.id, e.key) for e in self.entries],
                self.cache,
                salt=str(manifest["skeleton"]),
                jobs=self.opts.jobs,
            )
            self.result.seconds["search"] = time.perf_counter() - t

    # -- pages filled from skeletons -----------------------------------------------------------------

    def write_index_pages(self, site: Path) -> set[str]:
        """Write the paginated index pages (those not in the nav) from the skeletons; return their paths."""
        out = set()
        for p in self.filled_pages:
            url = p.src.removesuffix("index.md")
            skeleton = self.skeletons[depth_of(url)]
            data = fill_page(skeleton, depth_of(url), url, p.title, p.html).encode("utf-8")
            write_if_changed(site / url / "index.html", data)
            out.add(url + "index.html")
        return out

    def write_posts(self, site: Path) -> set[str]:
        """Finish writing the changed post pages; return every post file path (site-relative)."""
        skeleton = self.skeletons.get(POST_DEPTH, "")
        if not skeleton:
            self.close()
            raise ConfigError(_("the skeleton page was not rendered; is the theme Material?"))
        skel_hash = hashlib.sha1((VERSION + skeleton).encode()).hexdigest()
        old = self.manifest.get("posts", {})
        files: dict[str, list[str]] = {e.id: old[e.id][1] for e in self.entries if e.id in old}
        done: set[str] = set()
        for fut in self._futures:  # the workers started in __init__
            for e_id, names in fut.result():
                files[e_id] = names
                done.add(e_id)
        self.close()
        todo = [e for e in self.todo if e.id not in done]
        if self.manifest.get("skeleton") != skel_hash:  # the theme or config changed: every page again
            pending = {e.id for e in todo} | done
            todo += [e for e in self.entries if e.id not in pending]
        for e_id, names in render_many(todo, skeleton, self.opts.root, site, self.opts.jobs):
            files[e_id] = names
        self.result.written = len(done) + len(todo)
        self.new_manifest = {
            "version": VERSION,
            "skeleton": skel_hash,
            "posts": {e.id: [e.key, files[e.id]] for e in self.entries},
            "sources": {e.id: e.source for e in self.entries if e.source},
            "records": self.records_cache,
        }
        return {f"{e.url}{name}" for e in self.entries for name in files[e.id]}


def fill_page(skeleton: str, depth: int, url: str, title: str, body: str) -> str:
    """A page: the skeleton of its depth with its title, own path and body filled in (the body untouched)."""
    head, _, tail = skeleton.partition(BODY_MARK)
    here, t = skeleton_dir(depth), escape(title)
    return head.replace(TITLE_MARK, t).replace(here, url) + body + tail.replace(TITLE_MARK, t).replace(here, url)


def fill(skeleton: str, e: Entry, body: str) -> str:
    """A post's page: the post skeleton with its title, body and path filled in."""
    return fill_page(skeleton, POST_DEPTH, e.url, e.title, body)


def write_if_changed(target: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds exactly it; True when written."""
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except OSError:
        target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return True


_converter: Converter | None = None
_ready: Any = None
_queue: Any = None


@dataclass
class _Job:
    """What the forked workers inherit: the records, the cache of post folders, and the build's manifest."""

    items: list[tuple[str, Any]]
    root: Path
    tz: Any
    sources: dict[str, Any]
    session: Session


_job: _Job | None = None


CSP_MARK = "@@WXPUB_CSP@@"
_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"')


def fragment(e: Entry, root: Path) -> tuple[str, list[str], str]:
    """The HTML inside a post's page, the local images (cover first) it shows, and the printable page of
    its approval form (with `CSP_MARK` where the skeleton's Content-Security-Policy goes)."""
    global _converter
    conv = _converter = _converter or Converter()
    folder = e.folder

    def keep(src: str) -> str | None:
        return tree_image(e.files, src) if e.origin == "commit" else local_image(folder, root, src)

    content, images = conv.convert(e.load_body(root), keep) if e.origin else ("", [])
    kind, text = e.load_form(root)
    form_html = conv.clean(text) if kind == "html" else conv.convert(text)[0] if kind == "markdown" else ""
    cover = keep(e.cover) if e.cover else None
    names = list(dict.fromkeys([*([cover] if cover else []), *images]))
    return pages.post_html(e, content, form_html, cover), names, pages.form_page(e, form_html, CSP_MARK)


def prefetch_for_render(entries: list[Entry], root: Path) -> None:
    """Ask git at once for what rendering `entries` will read from it: bodies, forms and covers."""
    want: list[str] = []
    for e in entries:
        if e.form_blob and not e.form[1]:
            want.append(e.form_blob)
        if e.origin == "commit":
            if e.body is None:
                want.append(e.blob)
            if e.cover in e.files:
                want.append(e.files[e.cover])
    if want:
        reader_for(root).prefetch(want)


def write_page(
    e: Entry, skeleton: str, body: str, names: list[str], site: Path, root: Path, form: str = ""
) -> tuple[str, list[str]]:
    """Write one post's page (and its form's printable page) and copy its images, each only when changed;
    return (post id, files)."""
    out_dir = site / e.url
    write_if_changed(out_dir / "index.html", fill(skeleton, e, body).encode("utf-8"))
    written = ["index.html"]
    if form:
        m = _CSP.search(skeleton)
        write_if_changed(
            out_dir / FORM_PAGE, form.replace(CSP_MARK, m.group(1) if m else "default-src 'self'").encode()
        )
        written.append(FORM_PAGE)
    if e.origin == "commit":  # the images as published, from git
        for name in names:
            data = e.file_bytes(name, root)
            clean = clean_image(data, e.id, name) if data is not None else None
            if clean is not None:
                write_if_changed(out_dir / name, clean)
                written.append(name)
        return e.id, written
    for name in names:
        assert e.folder is not None
        src, dst = e.folder / name, out_dir / name
        s, d = src.stat(), dst.stat() if dst.is_file() else None
        if d is None or d.st_size > s.st_size or d.st_mtime < s.st_mtime:
            clean = clean_image(src.read_bytes(), e.id, name)
            if clean is None:
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(clean)
        written.append(name)
    return e.id, written


_reported: set[tuple[str, str]] = set()


def clean_image(data: bytes, post_id: str = "", name: str = "") -> bytes | None:
    """An image as the archive may show it: without EXIF/GPS/XMP/comments (the same bytes when it has none,
    as WeChat got it); None for a file that is not a well-formed image, which the archive then leaves out
    (said once per post and image, naming both)."""
    try:
        return strip_metadata(data)
    except ValueError as exc:
        if (post_id, name) not in _reported:
            _reported.add((post_id, name))
            log.warning(
                _(
                    "archive: posts/{post}/{image}: not a well-formed image ({why}); the page is shown without it",
                    post=post_id,
                    image=name,
                    why=exc,
                )
            )
        return None


def render_one(e: Entry, skeleton: str, root: Path, site: Path) -> tuple[str, list[str]]:
    body, names, form = fragment(e, root)
    return write_page(e, skeleton, body, names, site, root, form)


def _init_worker(ready: Any, queue: Any = None) -> None:
    global _ready, _queue
    _ready, _queue = ready, queue


def _collect_render_write(start: int, end: int, skeleton_file: str) -> list[tuple[str, list[str]]]:
    """In a worker: join `items[start:end]` with their posts, send the entries to the main process, render
    the changed pages, wait for the skeleton, write them. Returns (post id, files) for each page written."""
    job = _job
    assert job is not None
    prefetch(job.root, job.items[start:end], job.sources)
    entries = [entry_for(job.root, rec, job.tz, job.sources.get(pid)) for pid, rec in job.items[start:end]]
    _queue.put([dataclasses.replace(e, body=None) for e in entries])
    changed = [e for e in entries if not job.session._unchanged(e)]
    prefetch_for_render(changed, job.root)
    done = [(e, *fragment(e, job.root)) for e in changed]
    if not done or (_ready is not None and not _ready.wait(timeout=3600)):
        return []
    try:
        skeleton = Path(skeleton_file).read_text(encoding="utf-8")
    except OSError:
        return []  # the build failed before the skeleton was rendered
    site = job.session.opts.site_dir
    return [write_page(e, skeleton, body, names, site, job.root, form) for e, body, names, form in done]


def _render_chunk(args: tuple[list[Entry], str, Path, Path]) -> list[tuple[str, list[str]]]:
    chunk, skeleton, root, site = args
    prefetch_for_render(chunk, root)
    return [render_one(e, skeleton, root, site) for e in chunk]


def render_many(
    entries: list[Entry], skeleton: str, root: Path, site: Path, jobs: int = 0
) -> list[tuple[str, list[str]]]:
    """Render post pages now, in worker processes when there are many."""
    workers = jobs or os.cpu_count() or 1
    if workers <= 1 or len(entries) < PARALLEL_FROM:
        prefetch_for_render(entries, root)
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


def prune_empty(site: Path, folder: Path) -> None:
    """Remove `folder` and its parents up to `site` while they are empty."""
    while folder != site and folder.is_relative_to(site):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
