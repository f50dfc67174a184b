"""A post is a folder: `posts/<yyyy>/<mm-dd>-<slug>/index.md`, with its cover and images beside it.

`load_post(folder, root, policy)` reads one post defensively (size, encoding, binary content, YAML
bombs, duplicate keys, escaping paths) and returns the `Post` with the findings its front matter
earns. A post whose front matter cannot be used has `meta = None`; the run goes on with other posts.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import AnyUrl, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from . import yamlsafe
from .findings import Finding, Rule, Severity, register
from .policy import CATEGORIES, Policy

MAX_BYTES = 1_000_000  # WeChat's content limit is 1 MB; the Markdown source must fit under it
POST_ID_RE = re.compile(r"^(\d{4})/(\d{2})-(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
IMAGE_SUFFIXES = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}

LIMITS = {"title": 32, "author": 16, "digest": 128}
SOURCE_URL_MAX_BYTES = 1024


def _schema(id_: str, name: str, summary: str, help_: str, article: str = "Schema", **kw: Any) -> Rule:
    return register(
        Rule(id=id_, name=name, article=article, severity=Severity.ERROR, summary=summary, help=help_, **kw)
    )


R_UNREADABLE = _schema(
    "schema/unreadable",
    "unreadable-file",
    "index.md is not a readable UTF-8 text file under 1 MB",
    "A post's index.md must be UTF-8 text, smaller than 1 MB (WeChat's limit), with no binary content.",
    instead="Save the file as UTF-8 text; move large media into image files beside it.",
)
R_BOM = _schema(
    "schema/bom",
    "byte-order-mark",
    "index.md starts with a UTF-8 byte-order mark",
    "A byte-order mark hides the front matter's opening `---` from some tools and editors.",
    instead="Save the file as UTF-8 without BOM (most editors: 'UTF-8', not 'UTF-8 with BOM').",
)
R_FRONT_MATTER = _schema(
    "schema/front-matter",
    "front-matter",
    "the front matter is missing or is not valid YAML",
    "Every post opens with YAML front matter between two `---` lines; its keys drive every check.",
    instead="Start index.md with `---`, the keys, then `---`; `wxpub new` writes a valid skeleton.",
)
R_REQUIRED = _schema(
    "schema/required",
    "required-key",
    "a required front-matter key is missing",
    "title, unit, category, publish_at and cover are required for every post (Art. 13, 15).",
    instead="Add the key; `wxpub new` writes all required keys.",
)
R_TYPE = _schema(
    "schema/type",
    "value-type",
    "a front-matter value has the wrong type or an unknown value",
    "Each key has a type (text, date-time with timezone, list, ...) and some have a fixed set of values.",
    instead="Write the value in the form the message names.",
)
R_UNKNOWN_KEY = _schema(
    "schema/unknown-key",
    "unknown-key",
    "a front-matter key wxpub does not know",
    "A misspelt key (e.g. `prodcts`) would silently switch a rule off, so unknown keys are errors.",
    instead="Correct the spelling or remove the key; the README lists every key.",
)
R_CATEGORY = _schema(
    "schema/category",
    "category",
    "category is not one of the six kinds of Art. 13",
    "Art. 13 allows six kinds of content: product, campaign, notice, service, knowledge, other.",
    article="13",
    quote="第十三条 发布内容包括：（一）产品最新动态…（六）其他有利于提高客户认知度的积极健康的内容。",
    instead="Pick the kind that fits: product, campaign, notice, service, knowledge or other.",
)
R_UNIT = _schema(
    "schema/unit",
    "unit",
    "unit is not a department or branch named in the policy",
    "Every post names the unit that submits it; its head is the first approval tier (Art. 6, 10, 11).",
    article="6",
    quote="第六条 本办法适用于各级机构。各级机构包括行总部、营业网点。",
    instead="Use the unit's name exactly as policy/policy.yml lists it under units.",
)
R_NAIVE = _schema(
    "schema/naive-datetime",
    "naive-datetime",
    "a date-time has no timezone",
    "A time without a timezone is ambiguous between the runner (UTC) and the bank (Asia/Shanghai).",
    instead="Write the offset, e.g. `publish_at: 2026-12-05T10:00:00+08:00`.",
)
R_COVER = _schema(
    "schema/cover",
    "cover",
    "the cover is missing, outside the post folder, or not a JPEG/PNG image",
    "WeChat needs a cover image for every article; it must live in the post's folder (Art. 4).",
    article="4",
    instead="Put cover.jpg (900x383, 2.35:1) in the post folder and write `cover: cover.jpg`.",
)
R_EMPTY_BODY = _schema(
    "schema/empty-body",
    "empty-body",
    "the post has front matter but no body",
    "WeChat rejects an article with empty content (44003).",
    instead="Write the article below the front matter.",
)
R_LAYOUT = _schema(
    "schema/layout",
    "layout",
    "the post is not at posts/<yyyy>/<mm-dd>-<slug>/index.md",
    "The post's id is its path under posts/; the archive's permalinks and the records depend on it.",
    instead="Move the folder to posts/2026/12-05-short-english-slug/ (lowercase letters, digits, hyphens).",
)
R_SYMLINK = _schema(
    "schema/symlink",
    "symlink",
    "a post contains a symbolic link",
    "A post is plain files in its folder. A symbolic link lets content change outside the reviewed folder "
    "after approval (git records only the link's target path) or pulls a file of the machine into a post.",
    article="18",
    instead="Replace the link with a copy of the file itself.",
)
R_TITLE = _schema(
    "wechat/title-length",
    "title-length",
    "title longer than 32 characters",
    "WeChat rejects an article title over 32 characters.",
    article="WeChat",
    instead="Shorten the title; put detail in the digest.",
)
R_AUTHOR = _schema(
    "wechat/author-length",
    "author-length",
    "author longer than 16 characters",
    "WeChat rejects an author over 16 characters.",
    article="WeChat",
    instead="Shorten the author.",
)
R_DIGEST = _schema(
    "wechat/digest-length",
    "digest-length",
    "digest longer than 128 characters",
    "WeChat rejects a digest over 128 characters.",
    article="WeChat",
    instead="Shorten the digest to one or two sentences.",
)
R_SOURCE_URL = _schema(
    "wechat/source-url",
    "source-url",
    "source_url longer than 1 KB or not http(s)",
    "WeChat's 阅读原文 link must be an http(s) URL of at most 1 KB.",
    article="WeChat",
    instead="Use a short http(s) link.",
)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _aware(v: dt.datetime) -> dt.datetime:
    if v.tzinfo is None or v.utcoffset() is None:
        raise ValueError("naive date-time: add a timezone offset such as +08:00")
    return v


class Window(Model):
    start: dt.datetime
    end: dt.datetime
    _aware = field_validator("start", "end")(classmethod(lambda cls, v: _aware(v)))


class Urgent(Model):
    reason: str = Field(min_length=1)


class Source(Model):
    file: str = Field(min_length=1)
    source: str = Field(min_length=1)  # `original` for the bank's own work
    license: str = ""


class Allow(Model):
    rule: str = Field(min_length=1)
    match: str = ""
    reason: str = ""


class FrontMatter(Model):
    title: str = Field(min_length=1)
    author: str = ""
    unit: str = Field(min_length=1)
    category: str
    publish_at: dt.datetime
    digest: str = ""
    cover: str = Field(min_length=1)
    source_url: AnyUrl | None = None
    delivery: Literal["publish", "broadcast"] = "publish"
    products: tuple[Literal["deposit", "wealth", "fund", "insurance", "loan", "card", "payment", "other"], ...] = ()
    maintenance: Window | None = None
    urgent: Urgent | None = None
    sources: tuple[Source, ...] = ()
    allow: tuple[Allow, ...] = ()
    comments: Literal["open", "fans", "closed"] = "closed"
    tags: tuple[str, ...] = ()

    _aware = field_validator("publish_at")(classmethod(lambda cls, v: _aware(v)))


KNOWN_KEYS = frozenset(FrontMatter.model_fields)


@dataclass
class Post:
    """One post as read from disk. `meta` is None when the front matter could not be used."""

    id: str
    folder: Path
    index: Path
    path: str  # as findings show it, relative to the repository root
    text: str = ""
    raw: dict[str, object] = field(default_factory=dict)
    meta: FrontMatter | None = None
    body: str = ""
    body_line: int = 1  # the line of index.md on which `body` starts
    lines: yamlsafe.Loaded | None = None
    # (the cover as named, the file load_post resolved it to): the checks ask for the cover several times
    resolved_cover: tuple[str, Path | None] | None = field(default=None, init=False, repr=False, compare=False)

    def line_of(self, *loc: str | int) -> int:
        """The line of a front-matter key (or its parent), for findings."""
        return self.lines.line_of(tuple(loc), 1) if self.lines else 1

    @property
    def ok(self) -> bool:
        return self.meta is not None


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, line on which the body starts), or None when there is no front matter."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            fm = "\n".join(["", *lines[1:i]])  # leading newline keeps YAML line numbers == file lines
            return fm, "\n".join(lines[i + 1 :]), i + 2
    return None


def image_kind(path: Path) -> str | None:
    """'jpeg', 'png', 'gif', 'webp', 'bmp' by the file's magic bytes, or None."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:2] == b"BM":
        return "bmp"
    return None


def resolve_inside(folder: Path, name: str, root: Path) -> tuple[Path | None, str]:
    """Resolve a file named in front matter; (path, '') when it stays inside the post folder."""
    if not name:
        return None, "is empty"
    p = Path(name)
    if p.is_absolute() or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return None, f"{name!r} is an absolute path; name a file in the post folder"
    if ".." in p.parts:
        return None, f"{name!r} leaves the post folder; keep images beside index.md"
    target = folder / p
    if _has_symlink(folder, p):
        return None, f"{name!r} goes through a symbolic link; a post holds plain files only"
    real, inside = os.path.realpath(target), os.path.realpath(folder)  # strings: Path.resolve() without the Paths
    if real != inside and not real.startswith(inside.rstrip(os.sep) + os.sep):
        return None, f"{name!r} resolves outside the post folder"
    if not target.is_file():
        return None, f"{name!r} does not exist in the post folder"
    return target, ""


def _has_symlink(folder: Path, relative: Path) -> bool:
    current = folder
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


def symlinks_in(folder: Path, posts_dir: Path) -> list[str]:
    """Symbolic links in a post: the folder itself or a parent below posts/, or anything inside it.

    A post is plain files. A link would let content change outside the reviewed folder after approval
    (git records only the link's target path), or pull a file of the machine into a publication.
    """
    found = []
    here = folder
    while here != posts_dir and posts_dir in here.parents:
        if here.is_symlink():
            found.append(here.name + "/")
        here = here.parent
    if folder.is_symlink():
        return found
    return found + _links_below(folder)


def _links_below(folder: Path) -> list[str]:
    """Paths (relative, sorted as `sorted(folder.rglob("*"))` would be) of the symbolic links below `folder`,
    not entering linked folders; from one `scandir` a folder, whose entries know their type without a stat."""
    out: list[str] = []
    stack = [("", str(folder))]
    while stack:
        rel, here = stack.pop()
        try:
            with os.scandir(here) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        out.append(rel + entry.name)
                    elif entry.is_dir():
                        stack.append((f"{rel}{entry.name}/", entry.path))
        except OSError:  # unreadable: nothing to list, as rglob
            continue
    out.sort(key=lambda p: p.split("/"))
    return out


def repo_path(path: Path, root: Path) -> str:
    """`path` relative to the repository, without following a symbolic link at its end."""
    pairs = (
        lambda: (root.absolute(), path.absolute()),
        lambda: (root.resolve(), path.parent.resolve() / path.name),  # resolved only when the first does not do
    )
    for pair in pairs:
        base, full = pair()
        if full.is_relative_to(base):
            return full.relative_to(base).as_posix()
    return path.as_posix()


def post_id(folder: Path, posts_dir: Path) -> str:
    try:
        return folder.absolute().relative_to(posts_dir.absolute()).as_posix()
    except ValueError:
        return folder.name


def load_post(folder: Path, root: Path, policy: Policy) -> tuple[Post, list[Finding]]:
    """Read and validate one post folder. Never raises for bad content: problems become findings."""
    index = folder / "index.md"
    rel = repo_path(index, root)
    post = Post(id=post_id(folder, root / "posts"), folder=folder, index=index, path=rel)
    findings: list[Finding] = []

    if not POST_ID_RE.match(post.id):
        findings.append(R_LAYOUT.finding(rel, f"post id {post.id!r} does not match <yyyy>/<mm-dd>-<slug>"))

    links = symlinks_in(folder.absolute(), (root / "posts").absolute())
    if links:
        findings.append(
            R_SYMLINK.finding(
                rel, f"symbolic link(s) in the post: {', '.join(links[:5])}; replace each with the file itself"
            )
        )
        if index.is_symlink() or any(x.endswith("/") for x in links):
            return post, findings
    try:
        size = index.stat().st_size
    except OSError as exc:
        findings.append(R_UNREADABLE.finding(rel, f"cannot read index.md: {exc.strerror}"))
        return post, findings
    if size > MAX_BYTES:
        findings.append(
            R_UNREADABLE.finding(
                rel,
                f"index.md is {size / 1_000_000:.1f} MB; a post must be under 1 MB (WeChat's content limit)",
            )
        )
        return post, findings
    data = index.read_bytes()
    if b"\x00" in data:
        findings.append(R_UNREADABLE.finding(rel, "index.md is a binary file, not Markdown text"))
        return post, findings
    if data.startswith(b"\xef\xbb\xbf"):
        findings.append(R_BOM.finding(rel, "index.md starts with a UTF-8 byte-order mark (BOM)"))
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.append(
            R_UNREADABLE.finding(
                rel, f"index.md is not UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8", line=line
            )
        )
        return post, findings
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    post.text = text

    if not text.strip():
        findings.append(R_FRONT_MATTER.finding(rel, "index.md is empty; it needs front matter and a body"))
        return post, findings
    parts = split_front_matter(text)
    if parts is None:
        msg = (
            "no front matter: index.md must start with a `---` line"
            if not text.startswith("---")
            else "the front matter is not closed: add a `---` line after the keys"
        )
        findings.append(R_FRONT_MATTER.finding(rel, msg))
        return post, findings
    fm_text, body, body_line = parts
    post.body, post.body_line = body, body_line
    try:
        loaded = yamlsafe.load(fm_text)
    except yamlsafe.YamlProblem as exc:
        findings.append(R_FRONT_MATTER.finding(rel, exc.message, line=exc.line))
        return post, findings
    post.lines = loaded
    if not isinstance(loaded.data, dict):
        findings.append(R_FRONT_MATTER.finding(rel, "the front matter must be a mapping of keys to values", line=2))
        return post, findings
    raw: dict[str, object] = {str(k): v for k, v in loaded.data.items()}
    post.raw = raw

    for key in raw:
        if key not in KNOWN_KEYS:
            findings.append(
                R_UNKNOWN_KEY.finding(rel, f"unknown front-matter key {key!r}", line=post.line_of(key), match=key)
            )
    try:
        meta = FrontMatter.model_validate({k: v for k, v in raw.items() if k in KNOWN_KEYS})
    except ValidationError as exc:
        for err in exc.errors():
            findings.append(_schema_finding(post, err))
        meta = None
    if not body.strip():
        findings.append(R_EMPTY_BODY.finding(rel, "the post has no body below its front matter", line=body_line - 1))

    if meta is not None:
        findings += _check_meta(post, meta, root, policy)
        post.meta = meta
    return post, findings


def _schema_finding(post: Post, err: ErrorDetails) -> Finding:
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc)
    line = post.line_of(*loc)
    value = err.get("input")
    if err["type"] == "missing":
        return R_REQUIRED.finding(post.path, f"missing required key {key!r}", line=2 if not post.raw else 1)
    if "naive date-time" in err["msg"]:
        return R_NAIVE.finding(
            post.path,
            f"{key}: {value} has no timezone; write e.g. {value}+08:00"
            if isinstance(value, (str, dt.datetime))
            else f"{key}: add a timezone",
            line=line,
        )
    if loc and loc[0] == "category":
        return R_CATEGORY.finding(
            post.path,
            f"category {value!r} is not one of: {', '.join(CATEGORIES)}",
            line=line,
            match=str(value),
        )
    msg = err["msg"].removeprefix("Value error, ")
    shown = repr(value) if isinstance(value, (str, int, float, bool)) or value is None else type(value).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return R_TYPE.finding(post.path, f"{key}: {msg} (got {shown})", line=line)


def _check_meta(post: Post, meta: FrontMatter, root: Path, policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    rel = post.path
    if meta.category not in CATEGORIES:
        out.append(
            R_CATEGORY.finding(
                rel,
                f"category {meta.category!r} is not one of: {', '.join(CATEGORIES)}",
                line=post.line_of("category"),
                match=meta.category,
            )
        )
    if policy.unit(meta.unit) is None:
        out.append(
            R_UNIT.finding(
                rel,
                f"unit {meta.unit!r} is not in the policy; known units: {', '.join(policy.unit_names)}",
                line=post.line_of("unit"),
                match=meta.unit,
            )
        )
    for key, limit in LIMITS.items():
        value: str = getattr(meta, key)
        if len(value) > limit:
            rule = {"title": R_TITLE, "author": R_AUTHOR, "digest": R_DIGEST}[key]
            out.append(
                rule.finding(
                    rel,
                    f"{key} is {len(value)} characters; WeChat allows at most {limit}",
                    line=post.line_of(key),
                )
            )
    if meta.source_url is not None:
        url = str(meta.source_url)
        if len(url.encode()) > SOURCE_URL_MAX_BYTES or meta.source_url.scheme not in ("http", "https"):
            out.append(
                R_SOURCE_URL.finding(
                    rel, "source_url must be an http(s) URL of at most 1 KB", line=post.line_of("source_url")
                )
            )
    if meta.maintenance and meta.maintenance.end <= meta.maintenance.start:
        out.append(
            R_TYPE.finding(
                rel,
                "maintenance.end must come after maintenance.start",
                line=post.line_of("maintenance", "end"),
            )
        )
    cover, why = resolve_inside(post.folder, meta.cover, root)
    post.resolved_cover = (meta.cover, cover)
    if cover is None:
        out.append(R_COVER.finding(rel, f"cover {why}", line=post.line_of("cover")))
    else:
        kind = image_kind(cover)
        if kind not in ("jpeg", "png"):
            what = "is not an image" if kind is None else f"is a {kind.upper()} image"
            out.append(
                R_COVER.finding(
                    rel,
                    f"cover {meta.cover!r} {what}; WeChat covers must be JPEG or PNG",
                    line=post.line_of("cover"),
                )
            )
    return out


def cover_path(post: Post, root: Path) -> Path | None:
    if post.meta is None:
        return None
    cached = post.resolved_cover
    if cached is not None and cached[0] == post.meta.cover:
        return cached[1]  # as load_post resolved it
    return resolve_inside(post.folder, post.meta.cover, root)[0]
