"""Benchmark `wxpub check` on a generated 10,000-post repository against naive baselines, in one run.

    .venv/bin/python benchmarks/check_bench.py [--posts 10000] [--terms 20000] [--seed 7] [--sample 200]

From a seed it generates posts of about 1,500 Chinese characters (a few with planted findings) into a
temporary git repository with the project's real policy, plus a lexicon of `--terms` terms in total
(generated terms are added to a temporary copy of policy/lexicons as `forbidden-vice+bench.txt`).
It then measures, in the same run:

- the full `wxpub check` over every post (a subprocess: wall time; peak memory as the largest
  single process from getrusage(RUSAGE_CHILDREN) and the whole process tree sampled from /proc);
- `wxpub check --changed-since HEAD` with one post changed (wall time including interpreter start);
- the naive baselines on the same texts and terms: a per-term `in` loop and one `re` alternation,
  on `--sample` posts, extrapolated to the whole corpus (said so in the output), and the engine's
  own matcher on the same sample for a like-for-like figure.

It also runs the per-post checks in this process on the `--sample` posts and prints the segmenter's share
of their time (`pipeline.checks.words` segments only the sentences around candidate hits).

Targets (2 cores): whole corpus <= 10 s, >= 20x faster than the per-term loop, peak memory <= 500 MB,
--changed-since on one post <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
WXPUB = [sys.executable, "-m", "pipeline"]
NOW = "2026-11-26T09:00:00+08:00"

PHRASES = [
    "为进一步提升客户服务体验",
    "本行借记卡即日起免收年费和小额账户管理费",
    "客户可通过手机银行办理相关业务",
    "营业网点工作时间为每日上午九点至下午五点",
    "如有疑问请拨打客服热线96588咨询",
    "请妥善保管个人信息",
    "不要向陌生人透露验证码",
    "警惕电信网络诈骗",
    "普惠金融服务乡村振兴",
    "支持小微企业和个体工商户发展",
    "农户信用贷款申请流程简便",
    "携带本人有效身份证件到就近网点办理",
    "活动期间每位客户限参与一次",
    "具体规则以网点公告为准",
    "感谢广大客户长期以来的信任与支持",
    "系统升级期间部分业务暂停办理",
    "我们将持续优化线上服务渠道",
    "金融知识进万家宣传活动正在进行",
    "存款保险制度保障储户资金安全",
    "春节期间部分网点调整营业时间",
    "社保卡激活可在自助设备上完成",
    "扫码支付方便快捷",
    "关爱老年客户",
    "开展反诈宣传进社区活动",
    "助力地方经济高质量发展",
    "提供便捷高效的金融服务",
    "守护群众钱袋子",
    "详情请咨询当地营业网点",
    "秉承服务三农的市场定位",
    "坚持稳健经营的发展理念",
    "欢迎广大客户踊跃参与",
]
PLANTED = ["全市最好的服务", "联系人张经理13812345678", "据传利率将调整", "本材料为内部资料"]
COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质"  # noqa: E501


def cjk_text(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    n = 0
    while n < size:
        p = rng.choice(PHRASES) + rng.choice("，。；")
        if rng.random() < 0.3:
            p = "".join(rng.choice(COMMON) for _ in range(rng.randint(6, 18))) + "。"
        if rng.random() < 0.08:
            p += "\n\n"
        parts.append(p)
        n += len(p)
    return "".join(parts)


def gen_terms(rng: random.Random, n: int) -> list[str]:
    rare = "麒麟鹦鹉骆驼琵琶枇杷葡萄蜘蛛蝴蝶蜻蜓蚂蚁蟋蟀螳螂玫瑰牡丹芍药菡萏蒹葭鸳鸯翡翠琥珀玛瑙珊瑚砗磲"
    out: set[str] = set()
    while len(out) < n:
        term = [rng.choice(rare + COMMON) for _ in range(rng.randint(3, 5))]
        term[rng.randrange(len(term))] = rng.choice(rare)  # at least one rare character: hits stay realistic
        out.add("".join(term))
    return sorted(out)


def post_index(i: int, body: str) -> str:
    return (
        "---\n"
        f"title: 服务公告第{i}期\n"
        "author: 电子银行部\n"
        "unit: 电子银行部\n"
        "category: service\n"
        "publish_at: 2027-01-20T10:00:00+08:00\n"
        "digest: 本行服务信息汇总。\n"
        "cover: cover.jpg\n"
        "sources: [{file: cover.jpg, source: original}]\n"
        "---\n\n" + body + "\n"
    )


def build_repo(root: Path, posts: int, terms: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    shutil.copytree(PROJECT / "policy", root / "policy")
    from PIL import Image

    cover = root / "cover.jpg"
    Image.new("RGB", (900, 383), (24, 96, 160)).save(cover, format="JPEG")
    data = cover.read_bytes()
    cover.unlink()
    sys.path.insert(0, str(PROJECT))
    from pipeline.checks import lexicon as lx

    existing = lx.read_lexicons(root / "policy" / "lexicons")
    default_terms = [t.raw for ts in existing.terms.values() for t in ts]
    extra = gen_terms(rng, max(0, terms - len(default_terms)))
    (root / "policy" / "lexicons" / "forbidden-vice+bench.txt").write_text(
        "# generated benchmark terms\n" + "\n".join(extra) + "\n", encoding="utf-8"
    )
    bodies: list[str] = []
    for i in range(posts):
        body = cjk_text(rng, 1500)
        if rng.random() < 0.05:
            k = rng.randrange(len(body))
            body = body[:k] + rng.choice(PLANTED) + "。" + body[k:]
        bodies.append(body)
        month, day = 1 + (i // 28) % 12, 1 + i % 28
        folder = root / "posts" / "2027" / f"{month:02d}-{day:02d}-bench-{i:05d}"
        folder.mkdir(parents=True)
        (folder / "index.md").write_text(post_index(i, body), encoding="utf-8")
        (folder / "cover.jpg").write_bytes(data)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        # gc.autoDetach=false: the commit's 20,000 loose objects set off `git gc --auto`, which otherwise packs
        # them in the background during the timed check (~3 s of its wall time on 2 cores); packed first instead
        subprocess.run(["git", "-c", "gc.autoDetach=false", *args], cwd=root, check=True, env=env)
    return bodies, default_terms + extra


class TreeMemory:
    """Samples the summed RSS of a process and its descendants from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _rss(self) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                ppid, pages = int(stat[1]), int(stat[21])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
            rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
        total, stack = 0, [self.pid]
        while stack:
            p = stack.pop()
            total += rss.get(p, 0)
            stack.extend(children.get(p, []))
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def load() -> str:
    """The 1-minute load average, to print beside every timing (other work on the machine slows wall time)."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, int, float]:
    """(wall seconds, exit code, peak tree RSS bytes, CPU seconds of the process tree)."""
    cpu = children_cpu()
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    mem = TreeMemory(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - t
    peak = mem.stop()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return wall, proc.returncode, peak, children_cpu() - cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--terms", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sample", type=int, default=200, help="posts for the naive baselines (extrapolated)")
    ap.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wxpub-check-bench-"))
    root = tmp / "repo"
    root.mkdir()
    try:
        t = time.perf_counter()
        bodies, terms = build_repo(root, args.posts, args.terms, args.seed)
        chars = sum(len(b) for b in bodies)
        print(
            f"generated {args.posts} posts ({chars / args.posts:.0f} chars each, {chars / 1e6:.1f} M chars) "
            f"and {len(terms)} lexicon terms in {time.perf_counter() - t:.1f} s (seed {args.seed})"
        )

        out = tmp / "report.json"
        cmd = [*WXPUB, "check", "--root", str(root), "--now", NOW, "--format", "json", "-o", str(out)]
        before = load()
        wall, code, tree, cpu = timed(cmd, PROJECT)
        single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        import json

        doc = json.loads(out.read_text(encoding="utf-8"))
        print(
            f"\nwxpub check, full corpus: {wall:.2f} s wall, {args.posts / wall:,.0f} posts/s, "
            f"{chars / wall / 1e6:.2f} M chars/s, exit {code}, {len(doc['findings'])} findings"
        )
        print(
            f"  CPU: {cpu:.1f} s over the process tree ({cpu / args.posts * 1000:.2f} ms a post); {before} before, "
            f"{load()} after (other work on the machine slows wall time)"
        )
        print(
            f"  peak memory: {tree / 2**20:.0f} MB whole process tree (sampled), "
            f"{single / 2**20:.0f} MB largest single process"
        )

        # one changed post, --changed-since
        target = sorted((root / "posts").rglob("index.md"))[args.posts // 2]
        target.write_text(target.read_text(encoding="utf-8") + "\n本行服务全市最好。\n", encoding="utf-8")
        before = load()
        runs = [
            timed([*WXPUB, "check", "--root", str(root), "--now", NOW, "--changed-since", "HEAD"], PROJECT)
            for _ in range(5)
        ]
        walls = [r[0] for r in runs]
        cpus = [r[3] for r in runs]
        print(
            f"wxpub check --changed-since HEAD, one changed post: median {statistics.median(walls):.2f} s wall "
            f"(runs {', '.join(f'{w:.2f}' for w in walls)}; CPU median {statistics.median(cpus):.2f} s), "
            f"exit {runs[0][1]}; {before}"
        )
        start = timed([*WXPUB, "--version"], PROJECT)
        print(
            f"  of which interpreter start + CLI imports (wxpub --version): {start[0]:.2f} s wall, {start[3]:.2f} s CPU"
        )

        # baselines on the same texts and terms
        sys.path.insert(0, str(PROJECT))
        from pipeline.checks.lexicon import Lexicons, Term
        from pipeline.checks.text import normalise

        sample = bodies[: args.sample]
        scale = len(bodies) / len(sample)
        t = time.perf_counter()
        loop_hits = sum(1 for text in sample for term in terms if term in text)
        loop = (time.perf_counter() - t) * scale
        t = time.perf_counter()
        pattern = re.compile("|".join(re.escape(x) for x in sorted(terms, key=len, reverse=True)))
        compile_s = time.perf_counter() - t
        t = time.perf_counter()
        re_hits = sum(len(pattern.findall(text)) for text in sample)
        alt = (time.perf_counter() - t) * scale + compile_s
        lex = Lexicons([Term("bench", normalise(x), x, (), "") for x in terms])
        t = time.perf_counter()
        _ = lex.automaton
        build = time.perf_counter() - t
        t = time.perf_counter()
        ac_hits = sum(len(lex.find(normalise(text))) for text in sample)
        engine = (time.perf_counter() - t) * scale + build
        print(
            f"\nbaselines on {len(sample)} of the same posts x {len(terms)} terms, extrapolated x{scale:.0f} "
            f"to the whole corpus, one core ({load()}):"
        )
        print(f"  per-term `in` loop:        {loop:8.1f} s  ({loop_hits} hits in the sample)")
        print(f"  one `re` alternation:      {alt:8.1f} s  (compile {compile_s:.2f} s; {re_hits} hits)")
        print(f"  engine (normalise + AC):   {engine:8.1f} s  (automaton build {build:.2f} s; {ac_hits} hits)")
        # the segmenter's share of the per-post checks, in this process, on the sample posts
        from pipeline.check import CheckContext, check_post, load_checks
        from pipeline.checks import words
        from pipeline.policy import load_policy
        from pipeline.post import load_post

        load_checks()
        policy = load_policy(root)
        import datetime as dt

        ctx = CheckContext(root=root, policy=policy, now=dt.datetime.fromisoformat(NOW))
        folders = sorted(p.parent for p in (root / "posts").rglob("index.md"))[: args.sample]
        loaded = [load_post(f, root, policy)[0] for f in folders]
        seg_before, load_before = words.STATS["seconds"], words.STATS["load_seconds"]
        sentences_before = words.STATS["sentences"]
        t = time.perf_counter()
        for post in loaded:
            check_post(post, ctx)
        checks_s = time.perf_counter() - t
        seg_s = words.STATS["seconds"] - seg_before
        seg_load = words.STATS["load_seconds"] - load_before
        segmented = int(words.STATS["sentences"] - sentences_before)
        print(
            f"\nsegmenter share, per-post checks on {len(loaded)} posts in this process: {checks_s:.2f} s in all, "
            f"segmenting {seg_s:.3f} s ({segmented} sentences, {100 * seg_s / checks_s:.1f}%) plus the dictionary "
            f"load {seg_load:.2f} s once per process ({100 * (seg_s + seg_load) / checks_s:.1f}% with it)"
        )
        print("\nratios against the full `wxpub check` (all rules, both cores, loading and reporting included):")
        print(f"  per-term loop / wxpub check = {loop / wall:.1f}x   (target >= 20x)")
        print(f"  re alternation / wxpub check = {alt / wall:.1f}x")
        print(f"  per-term loop / engine matcher alone = {loop / engine:.1f}x")
        print("\nthe four figures against their targets:")
        print(f"  whole corpus:            {wall:6.2f} s wall      target <= 10 s (2 cores)")
        print(f"  per-term loop / check:   {loop / wall:6.1f}x          target >= 20x (same run, same texts and terms)")
        print(f"  peak memory (tree):      {tree / 2**20:6.0f} MB        target <= 500 MB")
        changed = statistics.median(walls)
        print(f"  --changed-since, 1 post: {changed:6.2f} s wall      target <= 1 s (interpreter start included)")
        ok = [
            ("corpus <= 10 s", wall <= 10),
            ("<= 20x", loop / wall >= 20),
            ("memory <= 500 MB", tree <= 500 * 2**20),
            ("changed-since <= 1 s", statistics.median(walls) <= 1.0),
        ]
        print("\ntargets: " + ", ".join(f"{name}: {'met' if good else 'MISSED'}" for name, good in ok))
    finally:
        if args.keep:
            print(f"\nrepository kept at {root}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
