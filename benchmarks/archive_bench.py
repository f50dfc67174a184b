"""Benchmark the archive at 10,000 publications, beside the Material blog plugin as the baseline.

    .venv/bin/python benchmarks/archive_bench.py [--posts 10000] [--seed 7] [--baseline-posts 2000]
                                                [--no-baseline] [--no-browser] [--workdir DIR]

Generates a repository of N published posts (realistic Chinese bodies of ~1,500 characters, covers,
tags, six categories, ten units, over four years) with their ledger records and approval forms, then:

1. a full build of the pages (MkDocs index pages + post pages), timed; the Pagefind index, timed apart;
2. output bytes per post: post HTML, whole site without the search index, the search index;
3. a no-change rebuild and a rebuild after one new publication (incremental: only changed post pages
   are rewritten, only changed search shards indexed; MkDocs rebuilds the index pages every time);
4. one search in headless Chromium through the archive's search page, summing the bytes of every response;
5. the baseline: the same posts through Material's blog plugin (posts, monthly archive, categories), on
   `--baseline-posts` of them and extrapolated linearly to N (said so in the output; MkDocs' cost grows
   at least linearly, so the extrapolation flatters the baseline).

Targets (issue 8): pages <= 15 s, search index <= 40 s, <= 30 KB/post, rebuild <= 5 s, search <= 500 KB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from pipeline.archive import build as archive_build  # noqa: E402
from pipeline.archive.build import build_archive  # noqa: E402
from pipeline.archive.content import Converter  # noqa: E402
from pipeline.archive.samples import published_record, write_records  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=8))
UNITS = [
    "电子银行部",
    "合规部",
    "科技部",
    "个人金融部",
    "公司金融部",
    "普惠金融部",
    "银行卡部",
    "办公室",
    "城关支行",
    "开发区支行",
]
CATEGORIES = {
    "product": "产品动态",
    "campaign": "营销活动",
    "notice": "公告通知",
    "service": "客户服务",
    "knowledge": "知识科普",
    "other": "其他",
}
TOPICS = [
    ("loan", "惠农贷款"),
    ("card", "借记卡"),
    ("mobile", "手机银行"),
    ("fraud", "反诈宣传"),
    ("deposit", "定期存款"),
    ("pay", "移动支付"),
    ("ecny", "数字人民币"),
    ("pension", "养老金融"),
    ("farm", "乡村振兴"),
    ("wealth", "理财知识"),
    ("service", "网点服务"),
    ("credit", "信用卡"),
    ("youth", "青年创业"),
    ("sme", "小微企业"),
    ("tax", "税费缴纳"),
]
TITLE_BITS = [
    "温馨提示",
    "新功能上线",
    "服务升级",
    "活动开启",
    "知识问答",
    "办理指南",
    "常见问题",
    "重要公告",
    "便民措施",
    "使用说明",
]
TAGS = [
    "普惠金融",
    "贷款",
    "存款",
    "反诈",
    "手机银行",
    "信用卡",
    "养老",
    "乡村振兴",
    "小微企业",
    "数字人民币",
    "网点",
    "公告",
    "理财",
    "支付",
    "青年",
    "消费者权益",
    "征信",
    "社保卡",
    "助农",
    "便民",
]
SENTENCES = [
    "为进一步提升客户服务体验，本行持续优化业务流程，让客户办理业务更加便捷。",
    "客户可通过手机银行、网上银行或就近营业网点办理相关业务。",
    "如需了解详情，请咨询就近营业网点或拨打客服热线96588。",
    "请妥善保管银行卡、密码和手机验证码，切勿向任何人透露。",
    "凡是自称公检法要求转账到安全账户的，都是诈骗。",
    "本行将持续加大对辖内种植、养殖农户的信贷支持力度，助力乡村振兴。",
    "贷款利率根据客户资质综合确定，以借款合同约定为准。",
    "请理性借贷，按时还款，珍惜个人信用记录。",
    "活动期间，客户通过手机银行完成指定交易，即可参与抽奖。",
    "系统升级期间，部分业务将暂停服务，给您带来的不便敬请谅解。",
    "社保卡具有金融功能，可用于缴费、取款和转账。",
    "数字人民币钱包开通后，可在支持的商户扫码支付。",
    "老年客户可选择网点的爱心窗口，享受优先办理服务。",
    "小微企业主可凭营业执照和经营流水申请经营性贷款。",
    "存款保险制度依法保护存款人的合法权益。",
    "本行工作人员不会以任何理由向您索要密码或验证码。",
    "遇到可疑电话或短信，请及时拨打96110反诈专线咨询。",
    "网点营业时间如有调整，以网点公告为准。",
    "定期存款到期后可选择自动转存，利息按转存日利率计算。",
    "青年创业者可申请创业担保贷款，享受财政贴息政策。",
    "信用卡分期手续费以实际办理时的公示费率为准。",
    "境外交易前，请确认银行卡已开通相应的境外支付功能。",
    "请通过官方渠道下载手机银行，谨防仿冒应用。",
    "个人信息保护是本行的重要责任，我们严格依法处理客户信息。",
    "本行开展金融知识进万家活动，走进社区、学校和乡村。",
    "农户可通过整村授信获得预授信额度，随借随还。",
    "缴纳税费可通过手机银行的生活缴费栏目办理。",
    "转账时请仔细核对收款人姓名和账号，避免误转。",
    "本公告自发布之日起施行，由本行负责解释。",
    "感谢广大客户一直以来的信任与支持。",
]


def _png_1px() -> bytes:
    """A well-formed 1x1 PNG cover (a malformed one would be left out of every page, with a warning each)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (0, 120, 100)).save(buf, format="PNG")
    return buf.getvalue()


PNG_1PX = _png_1px()


def gen_body(rng: random.Random, topic: str) -> str:
    parts = [f"{rng.choice(SENTENCES)}本期为您介绍{topic}的相关内容。\n"]
    for h in rng.sample(["业务介绍", "办理方式", "注意事项", "常见问题", "温馨提示", "活动规则"], rng.randint(3, 5)):
        parts.append(f"## {h}\n")
        for _ in range(rng.randint(2, 3)):
            parts.append("".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 4))) + "\n")
        if rng.random() < 0.4:
            parts.append("\n".join(f"- {rng.choice(SENTENCES)}" for _ in range(3)) + "\n")
    return "\n".join(parts)


def form_for(title: str, unit: str, cat: str, when: dt.datetime) -> str:
    return (
        f"# 微信公众号信息发布审批单\n\n| 项目 | 内容 |\n|---|---|\n| 标题 | {title} |\n| 报送单位 | {unit} |\n"
        f"| 内容类别 | {CATEGORIES[cat]} |\n| 计划发布时间 | {when:%Y-%m-%d %H:%M} |\n\n## 审批意见\n\n"
        f"| 层级 | 审批人 | 意见 | 时间 |\n|---|---|---|---|\n| 单位负责人 | {unit}负责人 | 同意 | {when:%Y-%m-%d} |\n"
        f"| 合规部 | qian-compliance | 经审核，内容合规，同意发布 | {when:%Y-%m-%d} |\n"
        f"| 电子银行部 | zhou-ebank | 同意 | {when:%Y-%m-%d} |\n"
    )


FORMS = Converter()  # the publish job writes the form as .form.md and .form.html; here the HTML is made alike


def generate(root: Path, n: int, seed: int, start_index: int = 0) -> list[dict]:
    """Write n posts under root/posts, commit them on main, and write their records (naming that commit)
    under root/records-dir; return their specs."""
    rng = random.Random(seed + start_index)
    start = dt.datetime(2023, 1, 1, 9, 0, tzinfo=TZ)
    span = 4 * 365 * 24 * 3600
    specs: list[dict] = []
    records: list = []
    pending: list[tuple[Path, str, str, str, str, dt.datetime]] = []
    for i in range(start_index, start_index + n):
        key, topic = rng.choice(TOPICS)
        when = start + dt.timedelta(seconds=int(span * (i + rng.random()) / max(n + start_index, 1)))
        cat = rng.choice(list(CATEGORIES))
        unit = rng.choice(UNITS)
        title = f"{topic}{rng.choice(TITLE_BITS)}（第{i + 1}期）"
        post_id = f"{when:%Y}/{when:%m-%d}-{key}-{i}"
        tags = rng.sample(TAGS, rng.randint(1, 3))
        folder = root / "posts" / post_id
        folder.mkdir(parents=True, exist_ok=True)
        tag_list = ", ".join(tags)
        fm = (
            f"---\ntitle: {title}\nauthor: {unit}\nunit: {unit}\ncategory: {cat}\npublish_at: {when.isoformat()}\n"
            f"digest: {rng.choice(SENTENCES)}\ncover: cover.png\ntags: [{tag_list}]\n---\n\n"
        )
        body = gen_body(rng, topic)
        (folder / "index.md").write_text(fm + body, encoding="utf-8")
        (folder / "cover.png").write_bytes(PNG_1PX)
        pending.append((folder, post_id, title, unit, cat, when))
        specs.append({"id": post_id, "title": title, "category": cat, "date": when, "tags": tags, "body": body})
    commit = commit_posts(root, [f for f, *_ in pending])  # what was merged, then published
    for _folder, post_id, title, unit, cat, when in pending:
        retracted = None
        if rng.random() < 0.01:
            retracted = {"by": "qian-compliance", "at": when + dt.timedelta(days=1), "reason": "内容有误，撤回更正"}
        approvers = [
            {"tier": "unit_head", "user": "head"},
            {"tier": "compliance", "user": "qian-compliance"},
            {"tier": "ebanking", "user": "zhou-ebank"},
        ]
        records.append(
            published_record(
                post_id,
                title=title,
                unit=unit,
                category=cat,
                publish_at=when,
                approvers=approvers,
                retracted=retracted,
                form_markdown=(form := form_for(title, unit, cat, when)),
                form_html=FORMS.convert(form)[0],
                article_url=f"https://mp.weixin.qq.com/s/bench{len(records) + start_index:06d}",
                commit=commit,
            )
        )
    write_records(root / "records-dir", records)
    return specs


def commit_posts(root: Path, folders: list[Path]) -> str:
    """Commit the files of `folders` onto `main` with one `git fast-import`; return the commit id."""
    out = io.BytesIO()
    out.write(b"commit refs/heads/main\ncommitter editor <editor@localhost> 1700000000 +0800\ndata 5\nposts\n")
    parent = _rev(root, "refs/heads/main")
    if parent:
        out.write(f"from {parent}\n".encode())
    for folder in folders:
        for path in sorted(folder.iterdir()):
            data = path.read_bytes()
            out.write(f"M 100644 inline {path.relative_to(root).as_posix()}\ndata {len(data)}\n".encode())
            out.write(data + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=out.getvalue(), check=True)
    subprocess.run(["git", "reset", "-q"], cwd=root, check=True)  # the index follows the new commit
    return _rev(root, "refs/heads/main")


def _rev(root: Path, ref: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "-q", "--verify", ref], cwd=root, capture_output=True, text=True
    ).stdout.strip()


def load() -> str:
    """The 1-minute load average (the machine is shared: wall times follow it)."""
    return f"{os.getloadavg()[0]:.1f}"


def cpu() -> float:
    """CPU seconds of this process and its finished children (workers, Pagefind)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def make_repo(root: Path) -> None:
    shutil.copytree(PROJECT / "policy", root / "policy", dirs_exist_ok=True)
    (root / "posts").mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)


def records_to_branch(root: Path) -> None:
    """Commit everything under records-dir/ onto the `wxpub-records` branch (as the publish job keeps it)."""
    src = root / "records-dir"
    out = io.BytesIO()
    out.write(b"commit refs/heads/wxpub-records\ncommitter wxpub <wxpub@localhost> 1700000000 +0800\n")
    out.write(b"data 8\nrecords\n")
    parent = _rev(root, "refs/heads/wxpub-records")
    if parent:
        out.write(f"from {parent}\n".encode())
    for path in sorted(src.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            out.write(f"M 100644 inline {path.relative_to(src).as_posix()}\ndata {len(data)}\n".encode())
            out.write(data + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=out.getvalue(), check=True)


def du(path: Path, *, exclude: str | None = None, suffix: str | None = None) -> int:
    total = 0
    for p in path.rglob("*"):
        if not p.is_file() or (exclude and exclude in p.relative_to(path).parts[:1]):
            continue
        if suffix and not p.name.endswith(suffix):
            continue
        total += p.stat().st_size
    return total


def search_transfer(site: Path, word: str) -> tuple[int, int, int, int, int]:
    """Load the search page in Chromium and search `word`; measure what went over the wire.

    Returns (Pagefind bytes transferred, Pagefind bytes uncompressed, all bytes transferred, requests,
    results). The site is served by `wxpub archive serve`'s handler, which gzips text files like an
    intranet web server would (Pagefind's index, fragments and wasm are gzip files already).
    """
    from playwright.sync_api import sync_playwright

    from pipeline.archive.serve import serve_in_thread, url_of

    server = serve_in_thread(site)
    base = url_of(server)
    wire: dict[str, int] = {}
    raw: dict[str, int] = {}

    def record(r) -> None:  # type: ignore[no-untyped-def]
        sizes = r.request.sizes()
        wire[r.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        raw[r.url] = len(r.body()) if r.ok else 0

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    "--disable-sync",
                ],
            )
            page = browser.new_page()
            page.on("requestfinished", lambda req: record(req.response()))
            page.goto(base + "search/")
            page.fill(".wxpub-search__input", word)
            page.wait_for_selector(".wxpub-search__result", timeout=30_000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            results = page.locator(".wxpub-search__message").inner_text()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    pf = sum(v for k, v in wire.items() if "/pagefind/" in k)
    pf_raw = sum(v for k, v in raw.items() if "/pagefind/" in k)
    digits = "".join(c for c in results if c.isdigit())
    return pf, pf_raw, sum(wire.values()), len(wire), int(digits or 0)


def baseline(work: Path, specs: list[dict]) -> float:
    """Build the same posts with Material's blog plugin (search off, like ours); return seconds."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    docs = work / "docs"
    posts = docs / "blog" / "posts"
    posts.mkdir(parents=True)
    (docs / "index.md").write_text("# 档案\n", encoding="utf-8")
    (docs / "blog" / "index.md").write_text("# 博客\n", encoding="utf-8")
    for s in specs:
        slug = s["id"].split("/", 1)[1]
        (posts / f"{slug}.md").write_text(
            f"---\ndate: {s['date']:%Y-%m-%d}\nslug: {slug}\ncategories: [{CATEGORIES[s['category']]}]\n---\n\n"
            f"# {s['title']}\n\n<!-- more -->\n\n{s['body']}",
            encoding="utf-8",
        )
    (work / "mkdocs.yml").write_text(
        "site_name: baseline\ntheme: {name: material, language: zh, font: false}\n"
        "plugins:\n  - blog:\n      archive_date_format: yyyy/MM\n      archive_url_date_format: yyyy/MM\n"
        "nav:\n  - index.md\n  - blog/index.md\n",
        encoding="utf-8",
    )
    t = time.perf_counter()
    build(load_config(str(work / "mkdocs.yml"), site_dir=str(work / "site")))
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--baseline-posts", type=int, default=2000, help="posts for the blog-plugin baseline")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--workdir", type=Path, help="keep the generated repository and sites here")
    ap.add_argument(
        "--records-from",
        choices=("branch", "dir"),
        default="branch",
        help="read records from the wxpub-records branch (as in production; default) or a records folder",
    )
    args = ap.parse_args()

    import logging

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    tmp = None
    if args.workdir:
        work = args.workdir.resolve()
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="archive-bench-")
        work = Path(tmp.name)
    root, site = work / "repo", work / "site"
    make_repo(root)
    t = time.perf_counter()
    specs = generate(root, args.posts, args.seed)
    print(f"generated {args.posts} posts + records in {time.perf_counter() - t:.1f} s (seed {args.seed})")
    cfg = PROJECT / "mkdocs.yml"
    records = root / "records-dir" if args.records_from == "dir" else None
    if records is None:
        t = time.perf_counter()
        records_to_branch(root)
        print(f"records committed to the wxpub-records branch in {time.perf_counter() - t:.1f} s")

    def pages_build(label: str) -> archive_build.BuildResult:
        """Build pages and search index (incremental: only the changed search shards); time them apart."""
        t, c = time.perf_counter(), cpu()
        r = build_archive(root, site, records, search=True, config_file=cfg)
        wall = time.perf_counter() - t
        search = r.seconds.get("search", 0.0)
        parts = ", ".join(f"{k} {v:.2f}" for k, v in r.seconds.items() if k != "search")
        print(
            f"{label:<34} {wall - search:7.2f} s wall, {cpu() - c:6.2f} s CPU with the search  "
            f"({parts}; {r.written} post pages written, {r.index_pages} index pages)  [load {load()}]"
        )
        shards, total = (r.search.rebuilt, len(r.search.shards)) if r.search else ([], 0)
        print(
            f"{'  + search index':<34} {search:7.2f} s wall  "
            f"(= {wall:.2f} s in all; indexed {len(shards)} of {total} shards: {', '.join(shards) or 'none'})"
        )
        return r

    print(f"\n== ours: {args.posts} posts, records from the {args.records_from}, MkDocs {_mkdocs_version()} ==")
    pages_build("pages, full build")
    n = args.posts
    html = du(site / "p", suffix=".html")
    site_wo = du(site, exclude="pagefind")
    pf = du(site / "pagefind")
    print(f"{'bytes/post: post page HTML':<34} {html / n / 1024:7.1f} KB")
    print(f"{'bytes/post: whole site w/o index':<34} {site_wo / n / 1024:7.1f} KB  ({site_wo / 1e6:.0f} MB total)")
    print(f"{'bytes/post: Pagefind index':<34} {pf / n / 1024:7.1f} KB  ({pf / 1e6:.0f} MB total)")
    pages_build("rebuild, nothing changed")
    new = generate(root, 1, args.seed, start_index=n)  # one new publication, the newest
    if records is None:
        records_to_branch(root)
    pages_build("rebuild after one new publication")
    assert (site / "p" / new[0]["id"] / "index.html").is_file()

    if not args.no_browser:
        for word in ("贷款", "反诈宣传"):
            pf_bytes, pf_raw, all_bytes, nreq, hits = search_transfer(site, word)
            print(
                f"search {word!r:<8} -> {hits:>5} results: Pagefind {pf_bytes / 1024:4.0f} KB transferred "
                f"({pf_raw / 1024:.0f} KB uncompressed); whole search page {all_bytes / 1024:.0f} KB, {nreq} requests"
            )

    if not args.no_baseline:
        m = min(args.baseline_posts, n)
        b = baseline(work / "baseline", specs[:m])
        scaled = b * n / m
        note = "" if m == n else f", extrapolated linearly to {n}: {scaled:.0f} s (a lower bound)"
        print(f"\n== baseline: Material blog plugin, {m} posts ==")
        print(f"{'pages (blog plugin, search off)':<34} {b:7.2f} s{note}")
        bsite = work / "baseline" / "site"
        print(f"{'bytes/post (baseline site)':<34} {du(bsite) / m / 1024:7.1f} KB")
    if tmp:
        tmp.cleanup()
    return 0


def _mkdocs_version() -> str:
    import mkdocs

    return mkdocs.__version__


if __name__ == "__main__":
    raise SystemExit(main())
