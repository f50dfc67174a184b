"""The Annex 1 approval form: fields, compliance notes, exceptions, tiers; Markdown and printable A4 HTML."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, post_text
from forge_standin import FULL_TOKEN, REPO, ForgeData, GitHubStandin

from pipeline.approval import evaluate
from pipeline.cli import main
from pipeline.forge.base import Commit, PullRequest, Review
from pipeline.form import form_for_commit, render_form
from pipeline.policy import load_policy
from pipeline.post import load_post

PID = "2026/12-05-card-offer"
FIXTURES = Path(__file__).parent / "fixtures" / "reviews"
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
HEAD = "abcdef1234" + "0" * 30
SOURCES = [{"file": "cover.jpg", "source": "original"}]


def utc(hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, 20, hour, tzinfo=dt.UTC)


def load(root: Path):  # type: ignore[no-untyped-def]
    policy = load_policy(root)
    post, findings = load_post(root / "posts" / PID, root, policy)
    assert post.ok, findings
    return policy, post


def approved(policy, post):  # type: ignore[no-untyped-def]
    pr = PullRequest(7, "editor", utc(1), HEAD, title="借记卡")
    reviews = [
        Review(1, "li-retail", "APPROVED", HEAD, utc(2)),
        Review(2, "qian-compliance", "CHANGES_REQUESTED", HEAD, utc(3)),
        Review(3, "he-compliance", "APPROVED", HEAD, utc(4)),
    ]
    return pr, evaluate(policy, [post], [post.path], pr, reviews, [Commit(HEAD, "editor", "editor")], {})


def test_form_fields_tiers_and_both_views(make_repo: Callable[..., Path]) -> None:
    root = make_repo({PID: post_text(sources=SOURCES)})
    policy, post = load(root)
    pr, verdict = approved(policy, post)
    form = render_form(post, root, policy, verdict=verdict, pr=pr, now=NOW)
    d = form.data
    assert d["form_title"] == "XX农商银行信息发布审批表"
    assert (d["unit"], d["title"], d["publish_at"]) == ("个人金融部", "借记卡年费减免通知", "2026-12-05 10:00")
    assert d["category"] == "产品动态（product，第十三条第（一）项）"
    assert d["delivery"] == "发布（不推送）"
    assert d["submitted_at"] == "2026-11-20 09:00" and d["submitted_how"] == "pull request #7 opened"
    assert d["leadtime"] == "满足：提前 15 天 1 小时，要求 7 天"
    assert d["tiers"] == [
        {
            "tier": "个人金融部负责人",
            "reviewer": "li-retail",
            "decision": "同意",
            "time": "2026-11-20 10:00",
            "commit": "abcdef1234",
        },
        {
            "tier": "合规部 (compliance)",
            "reviewer": "he-compliance",
            "decision": "同意",
            "time": "2026-11-20 12:00",
            "commit": "abcdef1234",
        },
        {
            "tier": "合规部 (compliance)",
            "reviewer": "qian-compliance",
            "decision": "要求修改",
            "time": "2026-11-20 11:00",
            "commit": "abcdef1234",
        },
        {"tier": "电子银行部 (ebanking)", "reviewer": "（尚需 1 人）", "decision": "待审批", "time": "", "commit": ""},
    ]
    assert d["conclusion"].startswith("未通过：") and not d["approved"]
    md = form.markdown
    assert md.startswith("# XX农商银行信息发布审批表\n")
    assert "| 申请单位 | 个人金融部 |" in md
    assert "| 个人金融部负责人 | li-retail | 同意 | 2026-11-20 10:00 | abcdef1234 |" in md
    assert "| 合并请求 | #7（审批版本 abcdef1234） |" in md
    html = form.html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert "@page { size: A4;" in html and "border: 1px solid #000" in html
    assert "<th>计划发布时间</th><td>2026-12-05 10:00（Asia/Shanghai）</td>" in html
    assert "<td>qian-compliance</td><td>要求修改</td>" in html
    assert "<script" not in html and "http" not in html  # self-contained: no scripts, no remote assets


def test_review_findings_exceptions_and_errors_are_listed(make_repo: Callable[..., Path]) -> None:
    body = "网传本行将调整利率，请以官方公告为准。本行是全省第一家推出该服务的银行。\n"
    allow = [{"rule": "adlaw/absolute-term", "match": "第一", "reason": "2025年年报披露"}]
    root = make_repo({PID: post_text(body=body, allow=allow)})
    policy, post = load(root)
    d = render_form(post, root, policy, now=NOW).data
    assert [f["rule"] for f in d["review_findings"]] == ["forbidden/unverified-news"]
    assert d["review_findings"][0]["article"] == "14.3"
    assert len(d["exceptions"]) == 1 and "2025年年报披露" in d["exceptions"][0]["message"]
    assert [e["rule"] for e in d["errors"]] == ["copyright/image-source"]
    md = render_form(post, root, policy, now=NOW).markdown
    assert "## 合规审查提示（需审核人确认）\n\n- 第 " in md and "[forbidden/unverified-news]（14.3）" in md
    assert "## 例外使用及理由\n\n- 第 " in md and "2025年年报披露" in md
    assert "## 未解决的错误" in md


def test_without_reviews_every_required_tier_is_pending(make_repo: Callable[..., Path]) -> None:
    root = make_repo({PID: post_text(category="notice", sources=SOURCES)})
    policy, post = load(root)
    d = render_form(post, root, policy, now=NOW).data
    assert [(r["tier"], r["decision"]) for r in d["tiers"]] == [
        ("个人金融部负责人", "待审批"),
        ("合规部 (compliance)", "待审批"),
        ("电子银行部 (ebanking)", "待审批"),
        ("行领导 (leadership)", "待审批"),
    ]
    assert d["conclusion"].startswith("尚未审批")
    assert "## 例外使用及理由\n\n无。" in render_form(post, root, policy, now=NOW).markdown


def test_short_lead_time_is_shown_as_not_met(make_repo: Callable[..., Path]) -> None:
    root = make_repo({PID: post_text(sources=SOURCES, publish_at=dt.datetime(2026, 11, 22, 10, 0, tzinfo=NOW.tzinfo))})
    policy, post = load(root)
    pr = PullRequest(7, "editor", utc(1), HEAD)
    d = render_form(post, root, policy, pr=pr, now=NOW).data
    assert d["leadtime"] == "不满足：提前 2 天 1 小时，要求 7 天（leadtime/one-week）"


def test_untrusted_text_is_escaped(make_repo: Callable[..., Path]) -> None:
    root = make_repo({PID: post_text(title="<img src=x onerror=alert(1)>|优惠", sources=SOURCES)})
    policy, post = load(root)
    form = render_form(post, root, policy, now=NOW)
    assert "<img src=x" not in form.html and "&lt;img src=x onerror=alert(1)&gt;|优惠" in form.html
    assert "<img" not in form.markdown and "\\|优惠" in form.markdown


def test_no_secrets_in_the_form(make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_SECRETSECRETSECRET")
    monkeypatch.setenv("WECHAT_SECRET", "wxsecretvalue123")
    root = make_repo({PID: post_text(sources=SOURCES)})
    policy, post = load(root)
    pr, verdict = approved(policy, post)
    form = render_form(post, root, policy, verdict=verdict, pr=pr, now=NOW)
    for text in (form.markdown, form.html, json.dumps(form.data, ensure_ascii=False)):
        assert "SECRET" not in text and "wxsecret" not in text and str(root) not in text


def test_form_for_commit_reads_the_pull_request_time(make_repo: Callable[..., Path]) -> None:
    root = make_repo({PID: post_text(sources=SOURCES)})
    policy, post = load(root)
    from pipeline.forge import ReviewsFileForge

    forge = ReviewsFileForge(FIXTURES / "approved.json", root=root)
    pr = forge.pull(7)
    verdict = evaluate(policy, [post], forge.files(7), pr, forge.reviews(7), forge.commits(7), forge.is_member)
    form = form_for_commit(
        root, policy, post, pr.head_sha, verdict=verdict, reviews_file=str(FIXTURES / "approved.json"), now=NOW
    )
    assert form is not None and form.data["approved"]
    assert form.data["submitted_how"] == "pull request #7 opened"
    assert "已通过全部审批层级" in form.markdown


def test_cli_form_from_reviews_file_and_forge(
    make_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({PID: post_text(sources=SOURCES)})
    folder = str(root / "posts" / PID)
    out = tmp_path / "form.html"
    args = ["form", folder, "--reviews-file", str(FIXTURES / "approved.json"), "--root", str(root)]
    assert main([*args, "--format", "html", "-o", str(out), "--now", NOW.isoformat()]) == 0
    assert "<td>lv-ebank</td><td>同意</td>" in out.read_text(encoding="utf-8")
    assert main(["form", folder, "--root", str(root), "--now", NOW.isoformat()]) == 0
    assert "| 电子银行部 (ebanking) | （尚需 1 人） | 待审批 |  |  |" in capsys.readouterr().out
    head = git(root, "rev-parse", "HEAD").strip()
    d = ForgeData()
    d.add_pull(9, head=head, files=[f"posts/{PID}/index.md"], base=head)
    d.teams.update({"xxbank/compliance": {}, "xxbank/ebanking": {}})
    d.review(9, "li-retail", "APPROVED", head, "2026-11-20T02:00:00Z")
    for var in ("GITHUB_API_URL", "GITHUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    with GitHubStandin(d) as srv:
        monkeypatch.setenv("GITHUB_TOKEN", FULL_TOKEN)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        code = main(
            ["form", folder, "--pr", "9", "--forge-url", srv.url, "--root", str(root), "--now", NOW.isoformat()]
        )
    text = capsys.readouterr().out
    assert code == 0 and "| 个人金融部负责人 | li-retail | 同意 | 2026-11-20 10:00 |" in text
    assert "| 合并请求 | #9（审批版本" in text
    (tmp_path / "empty").mkdir()
    assert main(["form", str(tmp_path / "empty"), "--root", str(root)]) == 2  # not a post


@pytest.mark.browser
def test_html_prints_on_a4(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    root = make_repo({PID: post_text(sources=SOURCES)})
    policy, post = load(root)
    pr, verdict = approved(policy, post)
    page_file = tmp_path / "form.html"
    page_file.write_text(render_form(post, root, policy, verdict=verdict, pr=pr, now=NOW).html, encoding="utf-8")
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page()
        page.goto(page_file.as_uri())
        pdf = page.pdf(prefer_css_page_size=True)
        borders = page.eval_on_selector("table.tiers td", "e => getComputedStyle(e).borderTopStyle")
        browser.close()
    import re

    box = [float(x) for x in re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups()]  # type: ignore[union-attr]
    assert box == pytest.approx([595.3, 841.9], abs=1.5)  # A4 in points
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 1  # the whole form fits on one sheet
    assert borders == "solid"
