"""`wxpub new`: a new post folder with valid front matter and a placeholder cover."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter

from .errors import UsageError
from .i18n import _
from .policy import CATEGORIES, PRODUCTS, Policy

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class NewPost:
    title: str
    unit: str
    category: str
    slug: str
    publish_at: dt.datetime
    author: str = ""
    digest: str = ""
    products: list[str] = field(default_factory=list)
    delivery: str = "publish"


def default_publish_at(policy: Policy, now: dt.datetime, category: str = "other") -> dt.datetime:
    """The first 10:00 in the policy's timezone that leaves the whole lead time, plus a day's margin."""
    local = now.astimezone(policy.tz) + dt.timedelta(days=policy.leadtime.days_for(category) + 1)
    return local.replace(hour=10, minute=0, second=0, microsecond=0)


def validate(spec: NewPost, policy: Policy) -> None:
    problems = []
    if not spec.title.strip():
        problems.append("--title is empty")
    elif len(spec.title) > 32:
        problems.append(_("--title is {length} characters; WeChat allows 32", length=len(spec.title)))
    if policy.unit(spec.unit) is None:
        problems.append(
            _(
                "--unit {unit} is not in the policy; choose one of {units}",
                unit=repr(spec.unit),
                units=", ".join(policy.unit_names),
            )
        )
    if spec.category not in CATEGORIES:
        problems.append(
            _("--category {value}: choose one of {choices}", value=repr(spec.category), choices=", ".join(CATEGORIES))
        )
    if not SLUG_RE.match(spec.slug):
        problems.append(
            _("--slug {value}: use lowercase letters, digits and hyphens, e.g. card-fee-waiver", value=repr(spec.slug))
        )
    bad = [p for p in spec.products if p not in PRODUCTS]
    if bad:
        problems.append(
            _("--products {values}: choose from {choices}", values=", ".join(bad), choices=", ".join(PRODUCTS))
        )
    if spec.publish_at.tzinfo is None:
        problems.append("--publish-at needs a timezone offset, e.g. 2026-12-05T10:00:00+08:00")
    if problems:
        raise UsageError(_("cannot create the post: {problems}", problems="; ".join(problems)))


def placeholder_cover() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (900, 383), (18, 78, 140))
    ImageDraw.Draw(img).rounded_rectangle([60, 140, 420, 240], radius=18, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def create(root: Path, spec: NewPost, policy: Policy) -> Path:
    """Write posts/<yyyy>/<mm-dd>-<slug>/index.md and cover.jpg; refuse to overwrite anything."""
    validate(spec, policy)
    local = spec.publish_at.astimezone(policy.tz)
    folder = root / "posts" / f"{local:%Y}" / f"{local:%m-%d}-{spec.slug}"
    if folder.exists():
        raise UsageError(_("{folder} already exists; choose another --slug", folder=folder.relative_to(root)))
    meta: dict[str, object] = {
        "title": spec.title,
        "author": spec.author or spec.unit,
        "unit": spec.unit,
        "category": spec.category,
        "publish_at": local.isoformat(),
        "digest": spec.digest,
        "cover": "cover.jpg",
    }
    if spec.products:
        meta["products"] = spec.products
    if spec.delivery != "publish":
        meta["delivery"] = spec.delivery
    meta["sources"] = [{"file": "cover.jpg", "source": "original"}]
    body = "在此撰写正文。\n\n（提交前请运行 `wxpub check` 检查合规性。）\n"
    doc = frontmatter.Post(body)
    doc.metadata.update(meta)
    text = frontmatter.dumps(doc, sort_keys=False, allow_unicode=True)
    # python-frontmatter quotes the ISO time; unquote it so YAML reads a timestamp, not a string
    text = re.sub(r"^publish_at: '(.+)'$", r"publish_at: \1", text, flags=re.M)
    folder.mkdir(parents=True)
    (folder / "index.md").write_text(text + "\n", encoding="utf-8")
    (folder / "cover.jpg").write_bytes(placeholder_cover())
    return folder
