"""Rendering throughput: `render_post` over N generated Chinese posts, beside plain Markdown-to-HTML.

    .venv/bin/python benchmarks/render_bench.py [-n 500] [--seed 7] [--repeat 3]

Writes N realistic posts (headings, paragraphs, lists nested three levels, tables, quotes, code,
footnotes, external and WeChat links, images) into a temporary repository with the project's policy,
loads them, then times, in the same run and over the same bodies:
  - baseline: `markdown.markdown(body)` (python-markdown, no extensions);
  - render_post in publish mode (every image mapped), i.e. everything the publisher does per post.
Interleaved rounds, best of `--repeat` each (wall clock; CPU time printed too). Target: >= 100 posts/s for render_post.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import markdown
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.policy import load_policy  # noqa: E402
from pipeline.post import Post, load_post  # noqa: E402
from pipeline.render import PlaceholderImages, render_post  # noqa: E402

SUBJECTS = ["本行", "客户", "手机银行", "借记卡", "信用卡", "网点", "理财经理", "普惠金融部", "社保卡", "助农服务点"]
VERBS = ["推出", "办理", "升级", "开通", "暂停", "恢复", "优化", "提醒", "支持", "提供"]
OBJECTS = [
    "线上开户服务",
    "小额账户管理费减免",
    "转账限额调整",
    "养老金代发业务",
    "农户小额信用贷款",
    "反诈骗宣传活动",
    "营业时间调整",
    "二维码收款功能",
    "存款保险宣传",
    "数字人民币钱包",
]
TAILS = ["，详情请咨询客服热线96588。", "，请以营业网点公告为准。", "，欢迎广大客户前来办理。", "。", "，敬请周知。"]


def sentence(rng: random.Random) -> str:
    return rng.choice(SUBJECTS) + rng.choice(VERBS) + rng.choice(OBJECTS) + rng.choice(TAILS)


def paragraph(rng: random.Random) -> str:
    return "".join(sentence(rng) for _ in range(rng.randint(2, 6)))


def body(rng: random.Random, n: int) -> str:
    parts = [paragraph(rng)]
    for s in range(rng.randint(3, 6)):
        parts.append(f"## 第{s + 1}部分 {rng.choice(OBJECTS)}")
        parts.extend(paragraph(rng) for _ in range(rng.randint(1, 4)))
        kind = rng.randrange(6)
        if kind == 0:
            a, b, c, d = (rng.choice(OBJECTS) for _ in range(4))
            parts.append(f"- {a}\n  - {b}\n    - {c}\n- {d}")
        elif kind == 1:
            rows = "\n".join(
                f"| {rng.choice(OBJECTS)} | {rng.randint(1, 99)}元 | {rng.random():.2%} |" for _ in range(4)
            )
            parts.append("| 项目 | 金额 | 比例 |\n|:--|--:|--:|\n" + rows)
        elif kind == 2:
            parts.append("> " + sentence(rng) + "\n> " + sentence(rng))
        elif kind == 3:
            parts.append("```python\ndef fee(x: int) -> int:\n    return x * 2  # 示例\n```")
        elif kind == 4:
            parts.append(f"![{rng.choice(OBJECTS)}示意图](img{s}.png)")
        else:
            parts.append(
                f"详见[公告{n}](https://www.example.com/notice/{n}/{s})和"
                f"[往期文章](https://mp.weixin.qq.com/s/post{n}x{s})。"
            )
    parts.append(f"注意事项请见说明[^1]。\n\n[^1]: {sentence(rng)}")
    return "\n\n".join(parts) + "\n"


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 80)).save(buf, format="PNG")
    return buf.getvalue()


def make_posts(root: Path, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    image = png()
    cover = io.BytesIO()
    Image.new("RGB", (900, 383), (24, 96, 160)).save(cover, format="JPEG")
    folders = []
    for i in range(n):
        month, day = 1 + i % 12, 1 + i % 28
        folder = root / "posts" / "2027" / f"{month:02d}-{day:02d}-bench-{i}"
        folder.mkdir(parents=True)
        text = (
            "---\n"
            f"title: 基准测试文章第{i}篇\nauthor: 电子银行部\nunit: 电子银行部\ncategory: notice\n"
            f"publish_at: 2027-{month:02d}-{day:02d}T10:00:00+08:00\ndigest: {sentence(rng)}\ncover: cover.jpg\n"
            "---\n\n" + body(rng, i)
        )
        (folder / "index.md").write_text(text, encoding="utf-8")
        (folder / "cover.jpg").write_bytes(cover.getvalue())
        for s in range(6):
            (folder / f"img{s}.png").write_bytes(image)
        folders.append(str(folder))
    return folders


def timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds, CPU seconds of this process) for one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=500, help="posts (default 500)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts (default 3)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wxpub-render-bench-"))
    try:
        shutil.copytree(ROOT / "policy", tmp / "policy")
        folders = make_posts(tmp, args.n, args.seed)
        policy = load_policy(tmp)
        posts: list[Post] = []
        for f in folders:
            post, findings = load_post(Path(f), tmp, policy)
            assert post.ok, findings
            posts.append(post)
        bodies = [p.body for p in posts]
        chars = sum(len(b) for b in bodies)
        images = PlaceholderImages()

        render_post(posts[0], tmp, policy, images=images)  # warm the caches (Markdown instance, theme)
        # interleaved rounds, best of each: both see the same load on a shared machine
        base_w = base_c = full_w = full_c = float("inf")
        for _ in range(args.repeat):
            w, c = timed(lambda: [markdown.markdown(b) for b in bodies])
            base_w, base_c = min(base_w, w), min(base_c, c)
            w, c = timed(lambda: [render_post(p, tmp, policy, images=images) for p in posts])
            full_w, full_c = min(full_w, w), min(full_c, c)
        base, full = base_w, full_w
        sizes = [len(render_post(p, tmp, policy, images=images).html) for p in posts]

        print(f"posts: {args.n} (seed {args.seed}), Markdown {chars / args.n:,.0f} characters per post on average")
        print(f"baseline markdown.markdown():  {args.n / base:8.1f} posts/s  ({base * 1000 / args.n:.2f} ms/post)")
        print(f"render_post (publish mode):    {args.n / full:8.1f} posts/s  ({full * 1000 / args.n:.2f} ms/post)")
        print(f"ratio render_post / baseline:  {full / base:8.2f}x the time of plain Markdown (wall clock)")
        print(
            f"CPU time of this process:      baseline {args.n / base_c:.1f} posts/s, "
            f"render_post {args.n / full_c:.1f} posts/s, ratio {full_c / base_c:.2f}x"
        )
        print(f"rendered HTML: {sum(sizes) / len(sizes):,.0f} characters on average, largest {max(sizes):,}")
        target = 100
        ok = args.n / full >= target
        print(f"target >= {target} posts/s: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
