"""The archive's pages as HTML fragments: the post page body and the paginated index pages.

Index pages are keyed by their MkDocs source path (`category/product/page/2/index.md`); their HTML
goes into the theme's content block. Links are relative, so the site works under any path prefix.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from ..urls import vet_url
from .model import CATEGORY_NAMES, DELIVERY_NAMES, STATUS_NAMES, Entry, slug

PER_PAGE = 100
NAV_PAGES = ("index.md", "archive/index.md", "category/index.md", "unit/index.md", "tags/index.md", "search/index.md")
HOME_LATEST = 30


@dataclass
class IndexPage:
    src: str  # MkDocs source path, e.g. "unit/城关支行/page/2/index.md"
    title: str
    html: str


def rel(from_dir: str, target: str) -> str:
    """Relative URL from a page's directory (`a/b/`, or "" for the root) to a site path (`p/2026/x/`)."""
    return ("../" * from_dir.count("/") + target) or "./"


def when(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


_ROOT = "\x00"  # stands for the relative path to the site root in a cached list item
_li_cache: dict[int, tuple[Entry, str]] = {}


def _entry_li(e: Entry, here: str) -> str:
    """One line of an index: the title (marked when retracted), then its time, category and unit."""
    cached = _li_cache.get(id(e))
    if cached is None or cached[0] is not e:
        mark = ' <span class="wxpub-badge wxpub-retracted">已撤回</span>' if e.status == "retracted" else ""
        html = (
            f'<li><a class="wxpub-list__title" href="{_ROOT}{e.url}">{escape(e.title)}</a>{mark}'
            f' <span class="wxpub-facets"><time datetime="{e.published_at.isoformat()}">{when(e.published_at)}</time>'
            f' · <a href="{_ROOT}{e.category_url}">{escape(e.category_name)}</a> · '
            f'<a href="{_ROOT}unit/{slug(e.unit)}/">{escape(e.unit)}</a></span></li>'
        )
        cached = _li_cache[id(e)] = (e, html)
    return cached[1].replace(_ROOT, "../" * here.count("/"))


def _pager(base: str, here: str, page: int, pages: int) -> str:
    if pages <= 1:
        return ""

    def url(n: int) -> str:
        return rel(here, base if n == 1 else f"{base}page/{n}/")

    parts = []
    if page > 1:
        parts.append(f'<a href="{url(page - 1)}" rel="prev">« 较新</a>')
    shown = sorted({1, pages, *range(max(1, page - 3), min(pages, page + 3) + 1)})
    last = 0
    for n in shown:
        if n - last > 1:
            parts.append("<span>…</span>")
        parts.append(f"<strong>{n}</strong>" if n == page else f'<a href="{url(n)}">{n}</a>')
        last = n
    if page < pages:
        parts.append(f'<a href="{url(page + 1)}" rel="next">较早 »</a>')
    return f'<nav class="wxpub-pager" aria-label="分页">{" ".join(parts)}</nav>'


def paginated(
    base: str, title: str, entries: list[Entry], intro: str = "", per_page: int = PER_PAGE
) -> list[IndexPage]:
    """`base` (`unit/x/`) page 1 and `base/page/N/` after it: newest first, with the count."""
    pages = max(1, -(-len(entries) // per_page))
    out = []
    for n in range(1, pages + 1):
        here = base if n == 1 else f"{base}page/{n}/"
        chunk = entries[(n - 1) * per_page : n * per_page]
        head = f'<p class="wxpub-count">共 {len(entries)} 篇' + (f"，第 {n}/{pages} 页" if pages > 1 else "") + "</p>"
        items = "\n".join(_entry_li(e, here) for e in chunk)
        html = (
            f'<h1>{escape(title)}</h1>\n{intro}{head}\n<ul class="wxpub-list">\n{items}\n</ul>\n'
            f"{_pager(base, here, n, pages)}"
        )
        out.append(IndexPage(here + "index.md", title if n == 1 else f"{title}（第 {n} 页）", html))
    return out


def _counts(here: str, rows: Iterable[tuple[str, str, int]]) -> str:
    items = "\n".join(
        f'<li><a href="{rel(here, target)}">{escape(label)}</a> <span class="wxpub-n">{n}</span></li>'
        for label, target, n in rows
    )
    return f'<ul class="wxpub-counts">\n{items}\n</ul>'


def index_pages(entries: list[Entry], *, per_page: int = PER_PAGE) -> list[IndexPage]:
    """Home, by year and month, by category, by unit, by tag, and the search page."""
    _li_cache.clear()
    out: list[IndexPage] = []
    by_year: dict[str, list[Entry]] = defaultdict(list)
    by_month: dict[str, list[Entry]] = defaultdict(list)
    by_cat: dict[str, list[Entry]] = defaultdict(list)
    by_unit: dict[str, list[Entry]] = defaultdict(list)  # by slug: names differing only in unsafe signs share it
    by_tag: dict[str, list[Entry]] = defaultdict(list)
    unit_names: dict[str, Counter[str]] = defaultdict(Counter)
    tag_names: dict[str, Counter[str]] = defaultdict(Counter)
    for e in entries:  # already newest first
        by_year[f"{e.published_at:%Y}"].append(e)
        by_month[f"{e.published_at:%Y/%m}"].append(e)
        by_cat[e.category].append(e)
        by_unit[slug(e.unit)].append(e)
        unit_names[slug(e.unit)][e.unit] += 1
        for t in dict.fromkeys(slug(t) for t in e.tags):
            by_tag[t].append(e)
        for t in e.tags:
            tag_names[slug(t)][t] += 1

    latest = "\n".join(_entry_li(e, "") for e in entries[:HOME_LATEST])
    home = (
        "<h1>最新发布</h1>\n"
        f'<p class="wxpub-count">共 {len(entries)} 篇已发布文章（含已撤回 '
        f"{sum(e.status == 'retracted' for e in entries)} 篇）。"
        '<a href="archive/">按年月</a> · <a href="category/">按类别</a> · <a href="unit/">按单位</a> · '
        '<a href="tags/">标签</a> · <a href="search/">搜索</a> · <a href="feed.xml">RSS</a></p>\n'
        f'<ul class="wxpub-list">\n{latest}\n</ul>\n'
        + (f'<p><a href="all/">全部 {len(entries)} 篇 »</a></p>' if len(entries) > HOME_LATEST else "")
    )
    out.append(IndexPage("index.md", "最新发布", home))
    out += paginated("all/", "全部文章", entries, per_page=per_page)

    years = sorted(by_year, reverse=True)
    blocks = []
    for y in years:
        months = sorted((m for m in by_month if m.startswith(y + "/")), reverse=True)
        rows = _counts("archive/", [(f"{m[5:]} 月", f"archive/{m}/", len(by_month[m])) for m in months])
        blocks.append(f'<h2><a href="{y}/">{y} 年</a> <span class="wxpub-n">{len(by_year[y])}</span></h2>\n{rows}')
    out.append(IndexPage("archive/index.md", "按年月", "<h1>按年月</h1>\n" + "\n".join(blocks)))
    for y in years:
        out += paginated(f"archive/{y}/", f"{y} 年", by_year[y], per_page=per_page)
    for m in sorted(by_month):
        out += paginated(f"archive/{m}/", f"{m[:4]} 年 {m[5:]} 月", by_month[m], per_page=per_page)

    cats = [*CATEGORY_NAMES, *sorted(c for c in by_cat if c not in CATEGORY_NAMES)]  # the six, then any other
    cat_url = {c: by_cat[c][0].category_url if by_cat.get(c) else f"category/{c}/" for c in cats}
    cat_label = {c: f"{CATEGORY_NAMES[c]}（{c}）" if c in CATEGORY_NAMES else c for c in cats}
    cat_rows = [(cat_label[c], cat_url[c], len(by_cat.get(c, []))) for c in cats]
    out.append(IndexPage("category/index.md", "按类别", "<h1>按类别</h1>\n" + _counts("category/", cat_rows)))
    for c in cats:
        out += paginated(cat_url[c], CATEGORY_NAMES.get(c, c), by_cat.get(c, []), per_page=per_page)

    for group, label, names, title in ((by_unit, "unit", unit_names, "{}"), (by_tag, "tags", tag_names, "标签：{}")):
        keys = sorted(group, key=lambda k: (-len(group[k]), k))
        shown = {k: names[k].most_common(1)[0][0] for k in keys}  # the most used spelling names the page
        count_rows = [(shown[k], f"{label}/{k}/", len(group[k])) for k in keys]
        heading = "按单位" if label == "unit" else "标签"
        out.append(IndexPage(f"{label}/index.md", heading, f"<h1>{heading}</h1>\n" + _counts(f"{label}/", count_rows)))
        for k in keys:
            out += paginated(f"{label}/{k}/", title.format(shown[k]), group[k], per_page=per_page)

    out.append(IndexPage("search/index.md", "搜索", SEARCH_HTML))
    _li_cache.clear()
    return out


SEARCH_HTML = """<h1>搜索</h1>
<p>按标题和正文搜索全部已发布文章；可按类别、单位、状态筛选。</p>
<div id="wxpub-search" class="wxpub-search">
<input type="search" class="wxpub-search__input" placeholder="输入关键词，如：贷款" aria-label="搜索"
 autocomplete="off">
<div class="wxpub-search__filters"></div>
<p class="wxpub-search__message" role="status"></p>
<ol class="wxpub-search__results"></ol>
<button type="button" class="md-button wxpub-search__more" hidden>更多结果</button>
</div>
<script type="module" src="../javascripts/search.js"></script>
"""


APPROVER_LABELS = {"tier": "审批层级", "user": "审批人", "login": "审批人", "at": "时间", "state": "结论"}
APPROVER_ORDER = {"tier": 0, "user": 1, "login": 1, "state": 2, "at": 3}
TIER_LABELS = {
    "unit_head": "信息发布单位负责人",
    "compliance": "合规部",
    "ebanking": "电子银行部",
    "leadership": "行领导",
    "technology": "科技部",
}
DEFAULT_TIERS = ("unit_head", "compliance", "ebanking")


def _scroll(table: str) -> str:
    """A table in a box of its own that scrolls sideways on a narrow screen (the page does not)."""
    return f'<div class="wxpub-scroll">{table}</div>'


def _approvers(approvers: list[dict[str, Any]]) -> str:
    """The record's approvers as a table, whatever keys the ledger gives them (tier, user, time, ...)."""
    if not approvers:
        return ""
    keys = sorted(dict.fromkeys(k for a in approvers for k in a), key=lambda k: (APPROVER_ORDER.get(k, 9), k))
    head = "".join(f"<th>{escape(APPROVER_LABELS.get(k, k))}</th>" for k in keys)

    def cell(a: dict[str, Any], k: str) -> str:
        value = str(a.get(k, ""))
        return escape(TIER_LABELS.get(value, value) if k == "tier" else value)

    rows = "".join("<tr>" + "".join(f"<td>{cell(a, k)}</td>" for k in keys) + "</tr>" for a in approvers)
    return _scroll(f'<table class="wxpub-approvers"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')


def provenance(e: Entry) -> str:
    """Where the body shown comes from, when it is not simply the published version (empty otherwise)."""
    commit = f"<code>{escape(e.commit[:12])}</code>"
    if e.origin == "commit":
        if e.differs == "edited":
            text = f"仓库中的这篇文章在发布后有改动；本页显示发布时（提交 {commit}）的内容。"
        elif e.differs == "removed":
            text = f"这篇文章已从仓库中删除；本页显示发布时（提交 {commit}）的内容。"
        else:
            return ""
        return f'<p class="wxpub-provenance" data-pagefind-ignore>{text}</p>\n'
    why = {
        "no-commit": "发布记录未注明发布时的提交",
        "missing-commit": f"发布记录中的提交 {commit} 在本仓库中找不到",
        "not-at-commit": f"发布记录中的提交 {commit} 里没有这篇文章",
    }.get(e.fallback, "无法读取发布时的版本")
    shown = "以下为仓库中的当前版本，可能与实际发布的内容不同。" if e.origin else "仓库中也已没有这篇文章。"
    return (
        '<div class="admonition warning wxpub-provenance" data-pagefind-ignore>'
        f'<p class="admonition-title">非发布时版本</p><p>{why}；{shown}</p></div>\n'
    )


def wechat_cell(e: Entry) -> str:
    """What the post became on WeChat: the article link, and for a broadcast the message ids."""
    article = vet_url(e.article_url, None, schemes=("http", "https"), any_port=True)  # as a browser reads it
    link = (
        f'<a class="wxpub-article-link" href="{escape(article)}" rel="noopener noreferrer">{escape(article)}</a>'
        if article
        else ""
    )
    if e.delivery != "broadcast":
        return link or "—"
    ids = "；".join(
        f"{label} <code>{escape(value)}</code>"
        for label, value in (("消息 ID", e.msg_id), ("图文 ID", e.msg_data_id))
        if value
    )
    what = f"群发消息（{ids}）" if ids else "群发消息（未记录消息 ID）"
    return f"{link}<br>{what}" if link else what


def signature_lines(e: Entry) -> str:
    """Lines to sign by hand on the printed form, one per approval tier (the record's, else the base three)."""
    tiers = list(dict.fromkeys(str(a.get("tier", "")) for a in e.approvers if a.get("tier"))) or list(DEFAULT_TIERS)
    rows = "".join(f"<tr><th>{escape(TIER_LABELS.get(t, t))}</th><td>签字：</td><td>日期：</td></tr>" for t in tiers)
    return f'<table class="wxpub-sign"><caption>审批签字</caption><tbody>{rows}</tbody></table>'


def form_heading(form_html: str) -> tuple[str, str]:
    """(the form's own title, the form without it, its sections one level down): one heading per form."""
    m = _FORM_H1.search(form_html)
    title = _TAGS.sub("", m.group(1)).strip() if m else ""
    body = _FORM_H1.sub("", form_html, count=1) if m else form_html
    body = re.sub(r"<(/?)h([2-5])\b", lambda h: f"<{h.group(1)}h{int(h.group(2)) + 1}", body)
    return title or FORM_TITLE, body


FORM_TITLE = "信息发布审批表"
_FORM_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>\s*", re.S)
_TAGS = re.compile(r"<[^>]+>")
_SIGNATURES = re.compile(r'<table class="signatures">.*?</table>', re.S)
_GENERATED = re.compile(r"生成时间：\s*([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2})")


def _tables_in_boxes(html: str) -> str:
    return re.sub(r"<table\b.*?</table>", lambda m: _scroll(m.group(0)), html, flags=re.S)


def form_section(e: Entry, form_html: str) -> str:
    """The approval form on the post's page: once, under one heading, with a link to its printable page."""
    if not form_html:
        table = _approvers(e.approvers)
        return (
            '<section class="wxpub-form" id="approval" data-pagefind-ignore>\n<h2>审批记录</h2>\n'
            '<p class="wxpub-form__print"><a href="form/">打印版（A4）</a></p>\n'
            "<p><em>发布记录中没有审批表；以下为发布时核验的审批人。</em></p>\n"
            f"{table or '<p>无审批记录。</p>'}\n</section>"
        )
    title, body = form_heading(form_html)
    body = _SIGNATURES.sub("", body)  # lines to sign belong on paper: the form's printable page has them
    return (
        f'<section class="wxpub-form" id="approval" data-pagefind-ignore>\n<h2>{escape(title)}</h2>\n'
        f'<p class="wxpub-form__print"><a href="form/">打印版（A4）</a></p>\n'
        f'<div class="wxpub-form__body">\n{_tables_in_boxes(body)}\n</div>\n</section>'
    )


def form_page(e: Entry, form_html: str, csp: str) -> str:
    """The printable page of a post's approval form (`p/<id>/form/`): A4, one page where it fits, no site
    navigation on paper; the post's id and commit, the form's generation time, lines to sign."""
    title, body = form_heading(form_html) if form_html else (FORM_TITLE, "")
    if not body:
        body = f"<p>发布记录中没有审批表；以下为发布时核验的审批人。</p>\n{_approvers(e.approvers)}"
    top = "../" * (e.url.count("/") + 1)  # p/<yyyy>/<mm-dd-slug>/form/ -> the site root
    generated = _GENERATED.search(_TAGS.sub("", body))
    facts = [
        ("文章编号", f"<code>{escape(e.id)}</code>"),
        ("发布提交", f"<code>{escape(e.commit or '未记录')}</code>"),
        ("发布时间", when(e.published_at)),
        ("审批表生成时间", generated.group(1) if generated else "未记录"),
    ]
    foot = "".join(f"<span>{k}：{v}</span>" for k, v in facts)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">
<meta name="referrer" content="no-referrer">
<title>{escape(title)}：{escape(e.title)}</title>
<link rel="stylesheet" href="{top}stylesheets/form.css">
</head>
<body class="wxpub-formpage">
<nav class="wxpub-formpage__nav"><a href="../">« 返回文章</a><a href="{top}">档案首页</a>
<span>打印：浏览器菜单“打印”或 Ctrl+P，纸张 A4</span></nav>
<main>
<h1>{escape(title)}</h1>
<p class="wxpub-formpage__post">{escape(e.title)}</p>
{_tables_in_boxes(body)}
{"" if _SIGNATURES.search(body) else signature_lines(e)}
<footer class="wxpub-formpage__foot">{foot}</footer>
</main>
</body>
</html>
"""


def post_html(e: Entry, content: str, form_html: str, cover: str | None) -> str:
    """The body of a post's page. Pagefind indexes only the title and the text inside `data-pagefind-body`
    that is not `data-pagefind-ignore`d; the category, unit, status and time are filters and metadata
    only (attributes of empty elements), so searching 已发布 or a unit's name does not match every post."""
    here = e.url
    status = STATUS_NAMES.get(e.status, e.status)
    rows = [
        ("状态", f'<span class="wxpub-badge wxpub-retracted">{status}</span>' if e.status == "retracted" else status),
        ("单位", f'<a href="{rel(here, "unit/" + slug(e.unit) + "/")}">{escape(e.unit)}</a>'),
        ("类别", f'<a href="{rel(here, e.category_url)}">{escape(e.category_name)}</a>'),
        ("作者", escape(e.author) or "—"),
        ("发布时间", f'<time datetime="{e.published_at.isoformat()}">{when(e.published_at)}</time>'),
        ("发布方式", escape(DELIVERY_NAMES.get(e.delivery, e.delivery))),
        ("微信文章", wechat_cell(e)),
    ]
    if e.tags:
        links = " ".join(f'<a href="{rel(here, "tags/" + slug(t) + "/")}">{escape(t)}</a>' for t in e.tags)
        rows.append(("标签", links))
    if e.commit:
        rows.append(("提交", f"<code>{escape(e.commit[:12])}</code>"))
    form_links = '<a href="#approval">见下方</a> · <a href="form/">打印版</a>'
    rows.append(("审批表", form_links if form_html else "无（见审批记录）"))
    meta = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    retracted = ""
    if e.status == "retracted":
        r = e.retraction or {}
        retracted = (
            '<div class="admonition danger wxpub-retraction" data-pagefind-ignore>'
            '<p class="admonition-title">已撤回</p>'
            f"<p>撤回人：{escape(str(r.get('by', '—')))}；撤回时间：{escape(str(r.get('at', '—')))}；"
            f"原因：{escape(str(r.get('reason', '—')))}</p>"
            "<p>以下保留原发布内容，仅供存档查阅。</p></div>"
        )
    # Filters only: Pagefind indexes the values of `data-pagefind-meta` as words (a unit's name or 已发布
    # would then match its posts) but not those of filters, which a result carries too (search.js shows them).
    facets = (("类别", e.category_name), ("单位", e.unit), ("状态", status))
    filters = "".join(
        f'<span data-pagefind-filter="{escape(name)}:{escape(_facet(value))}"></span>' for name, value in facets
    )
    cover_html = f'<p class="wxpub-cover"><img src="{escape(cover)}" alt="封面"></p>' if cover else ""
    body = _tables_in_boxes(content) if e.origin else "<p><em>文章源文件已不在仓库中。</em></p>"
    cls = "wxpub-content wxpub-retracted-content" if e.status == "retracted" else "wxpub-content"
    return (
        f'<div class="wxpub-post" data-pagefind-body>\n'
        f"<h1>{escape(e.title)}</h1>\n{filters}\n{retracted}\n"
        f'<div class="wxpub-meta" data-pagefind-ignore><table class="wxpub-facts">{meta}</table></div>\n'
        + (f'<p class="wxpub-digest">{escape(e.digest)}</p>\n' if e.digest else "")
        + f'{provenance(e)}{cover_html}<div class="{cls}">\n{body}\n</div>\n'
        f"{form_section(e, form_html)}\n</div>"
    )


def _facet(value: str) -> str:
    """A filter value as Pagefind reads `name:value` (no comma, which would start another)."""
    return value.replace(",", "，") or "—"
