"""The approval form of Annex 1 (信息发布审批表), generated from a post, its checks and its reviews.

`render_form(post, root, policy, verdict=..., pr=...)` returns `FormData(markdown, html, data)`: the
same form as Markdown (for the pull request and the record) and as a printable A4 HTML page (inline
CSS, Chinese labels, a bordered table like the paper form). `data` holds the plain values. The form
shows: unit, title, category, delivery, planned time, digest, submission time and the lead-time
result (Art. 15), the compliance findings of `review` severity and every exception used with its
reason (Art. 8), and per approval tier the reviewer, decision, time and commit. It holds no secrets:
only what the post, the checks and the forge's public review data say.

`form_for_commit(...)` is the publisher's entry point: the form for a post at a commit, with the
verdict of `pipeline.approval.verify_commit`.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .approval import TierResult, Verdict, required_tiers
from .check import CheckContext, check_post
from .errors import WxpubError
from .findings import Finding, Severity
from .forge.base import PullRequest
from .i18n import _
from .policy import CATEGORIES, CATEGORY_NAMES, Policy
from .post import Post

CATEGORY_LABELS = {c: (CATEGORY_NAMES[c], item) for c, item in zip(CATEGORIES, "一二三四五六", strict=True)}
DELIVERY_LABELS = {"publish": "发布（不推送）", "broadcast": "群发（推送给关注者）"}
DECISIONS = {"approved": "同意", "changes_requested": "要求修改", "pending": "待审批"}
# What the approvers must confirm, per rule of the gate's warnings (the form is the bank's Chinese form).
WARNING_LABELS = {
    "approval/unverified-co-author": "合著者身份无法核实，审批人须确认本人不是该合著者",
    "approval/unidentified-author": "提交人身份无法核实，审批人须确认本人不是该提交人",
    "approval/approver-revoked": "审批人已不在现行审批名单中（审批按合并时有效的政策认定）",
}


@dataclass
class FormData:
    markdown: str
    html: str
    data: dict[str, Any] = field(default_factory=dict)


# -- gathering -------------------------------------------------------------------------------------


def _fmt(t: dt.datetime | None, policy: Policy) -> str:
    return t.astimezone(policy.tz).strftime("%Y-%m-%d %H:%M") if t else ""


def _submission(
    post: Post, root: Path, policy: Policy, now: dt.datetime, pr: PullRequest | None
) -> tuple[dt.datetime | None, str, list[Finding]]:
    """(submission time, how it is known, lead-time findings), using `pipeline.leadtime` when present."""
    try:
        from . import leadtime
    except ImportError:  # the lead-time module is optional for the form
        leadtime = None  # type: ignore[assignment]
    sub: Any = None
    if leadtime is not None:
        try:
            if pr is not None and pr.created_at is not None:  # the pull request is the submission (Art. 15)
                detail = f"pull request #{pr.number} opened"
                sub = leadtime.Submission(pr.created_at, "pr", detail)
            else:
                sub = leadtime.submission_time(root, post, now, tz=policy.tz)
        except (WxpubError, AttributeError, TypeError):
            sub = None
    if sub is None:
        if pr is not None and pr.created_at is not None:
            return pr.created_at, f"pull request #{pr.number} opened", []
        return None, "unknown", []
    found: list[Finding] = []
    if leadtime is not None and post.meta is not None:
        try:
            found = list(leadtime.lead_time_findings(post, sub, policy))
        except (WxpubError, AttributeError, TypeError):
            found = []
    return sub.at, str(sub.detail), found


def _leadtime_result(post: Post, policy: Policy, at: dt.datetime | None, findings: list[Finding]) -> str:
    assert post.meta is not None
    days = policy.leadtime.days_for(post.meta.category)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if at is None:
        return f"未知（无提交时间）；要求提前 {days} 天"
    have = post.meta.publish_at - at
    ahead = f"提前 {have.days} 天 {have.seconds // 3600} 小时" if have.total_seconds() > 0 else "未提前"
    waived = [f for f in findings if f.rule == "leadtime/urgent-waiver" and f.severity is not Severity.INFO]
    if waived:
        return f"紧急发布：{ahead}，要求 {days} 天，待紧急审批层级批准后豁免"
    if errors:
        return f"不满足：{ahead}，要求 {days} 天（{errors[0].rule}）"
    return f"满足：{ahead}，要求 {days} 天"


def _tier_rows(verdict: Verdict | None, post: Post, policy: Policy) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    if verdict is None:
        specs, _sources = required_tiers(policy, [post], [post.path])
        tiers = [TierResult(name=s.name, required=s.count, missing=s.count, key=s.key) for s in specs]
    else:
        tiers = verdict.tiers
    for t in tiers:
        for a in t.approved_by:
            rows.append(
                {
                    "tier": t.name,
                    "reviewer": f"{a.login}（资格已撤销）" if a.revoked else a.login,
                    "decision": DECISIONS["approved"],
                    "time": _fmt(a.at, policy),
                    "commit": (a.commit or "")[:10],
                }
            )
        for b in t.blocked_by:
            rows.append(
                {
                    "tier": t.name,
                    "reviewer": b.login,
                    "decision": DECISIONS["changes_requested"],
                    "time": _fmt(b.at, policy),
                    "commit": (b.commit or "")[:10],
                }
            )
        if t.missing:
            rows.append(
                {
                    "tier": t.name,
                    "reviewer": f"（尚需 {t.missing} 人）",
                    "decision": DECISIONS["pending"],
                    "time": "",
                    "commit": "",
                }
            )
    return rows


def _warning(text: str) -> str:
    """A gate warning for the form: its Chinese label, then the message without the rule id."""
    rule, _sep, message = text.partition("] ")
    label = WARNING_LABELS.get(rule.lstrip("["), "")
    message = message or text
    return f"{label}：{message}" if label else message


def form_data(
    post: Post,
    root: Path,
    policy: Policy,
    *,
    verdict: Verdict | None = None,
    pr: PullRequest | None = None,
    now: dt.datetime | None = None,
    findings: list[Finding] | None = None,
) -> dict[str, Any]:
    """The plain values of the form (see the module docstring)."""
    if post.meta is None:
        raise WxpubError(
            _("{path}: the front matter does not validate; run wxpub check and fix it first", path=post.path)
        )
    now = now or dt.datetime.now(dt.UTC)
    m = post.meta
    if findings is None:
        findings = check_post(post, CheckContext(root=root, policy=policy, now=now))
    at, how, lt_findings = _submission(post, root, policy, now, pr)
    label, item = CATEGORY_LABELS.get(m.category, (m.category, ""))
    bank = min(policy.bank.official_names, key=len)
    if verdict is None:
        conclusion = "尚未审批（未读取合并请求的审批记录）"
    elif verdict.ok:
        conclusion = "已通过全部审批层级"
    else:
        conclusion = "未通过：" + "；".join(r.split("] ", 1)[-1] for r in verdict.reasons[:5])
    return {
        "form_title": f"{bank}信息发布审批表",
        "post_id": post.id,
        "unit": m.unit,
        "title": m.title,
        "author": m.author,
        "category": f"{label}（{m.category}，第十三条第（{item}）项）" if item else label,
        "delivery": DELIVERY_LABELS.get(m.delivery, m.delivery),
        "publish_at": _fmt(m.publish_at, policy),
        "digest": m.digest,
        "products": "、".join(m.products),
        "urgent": m.urgent.reason if m.urgent else "",
        "submitted_at": _fmt(at, policy),
        "submitted_how": how,
        "leadtime": _leadtime_result(post, policy, at, lt_findings),
        "review_findings": [
            {"rule": f.rule, "article": f.article, "line": f.line, "message": f.message}
            for f in [*findings, *lt_findings]
            if f.severity is Severity.REVIEW
        ],
        "exceptions": [{"line": f.line, "message": f.message} for f in findings if f.rule == "exception/used"],
        "errors": [
            {"rule": f.rule, "line": f.line, "message": f.message} for f in findings if f.severity is Severity.ERROR
        ],
        "pull_request": verdict.pr if verdict is not None else (pr.number if pr else None),
        "approved_commit": (verdict.head_sha if verdict is not None else (pr.head_sha if pr else ""))[:10],
        "tiers": _tier_rows(verdict, post, policy),
        "conclusion": conclusion,
        "warnings": [_warning(w) for w in (verdict.warnings if verdict is not None else [])],
        "policy_commit": (verdict.policy_commit if verdict is not None else "")[:10],
        "approved": bool(verdict and verdict.ok),
        "generated_at": _fmt(now, policy),
        "timezone": policy.timezone,
    }


# -- views -----------------------------------------------------------------------------------------


def _rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    pr = f"#{d['pull_request']}" if d["pull_request"] else "无"
    if d["approved_commit"]:
        pr += f"（审批版本 {d['approved_commit']}）"
    rows = [
        ("编号", d["post_id"]),
        ("申请单位", d["unit"]),
        ("标题", d["title"]),
        ("作者", d["author"] or "—"),
        ("信息类别", d["category"]),
        ("发布方式", d["delivery"]),
        ("计划发布时间", f"{d['publish_at']}（{d['timezone']}）"),
        ("摘要", d["digest"] or "—"),
        ("涉及产品", d["products"] or "—"),
        ("提交时间", f"{d['submitted_at'] or '未知'}（{d['submitted_how']}）"),
        ("提前期（第十五条）", d["leadtime"]),
    ]
    if d["urgent"]:
        rows.append(("紧急发布事由", d["urgent"]))
    rows.append(("合并请求", pr))
    if d.get("policy_commit"):
        rows.append(("审批依据的政策版本", d["policy_commit"]))
    return rows


def _md(s: object) -> str:
    return str(s).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def to_markdown(d: dict[str, Any]) -> str:
    out = [f"# {d['form_title']}", "", "| 项目 | 内容 |", "|---|---|"]
    out += [f"| {k} | {_md(v)} |" for k, v in _rows(d)]
    out += ["", "## 合规审查提示（需审核人确认）", ""]
    out += [f"- 第 {f['line']} 行 [{f['rule']}]（{f['article']}）：{_md(f['message'])}" for f in d["review_findings"]]
    out += [] if d["review_findings"] else ["无。"]
    out += ["", "## 例外使用及理由", ""]
    out += [f"- 第 {e['line']} 行：{_md(e['message'])}" for e in d["exceptions"]] or ["无。"]
    if d["errors"]:
        out += ["", "## 未解决的错误", ""]
        out += [f"- 第 {e['line']} 行 [{e['rule']}]：{_md(e['message'])}" for e in d["errors"]]
    out += ["", "## 审批意见", "", "| 审批层级 | 审批人 | 意见 | 时间 | 版本 |", "|---|---|---|---|---|"]
    out += [
        f"| {_md(r['tier'])} | {_md(r['reviewer'])} | {r['decision']} | {r['time']} | {r['commit']} |"
        for r in d["tiers"]
    ]
    if d.get("warnings"):
        out += ["", "## 审批提示（审批人须确认）", ""]
        out += [f"- {_md(w)}" for w in d["warnings"]]
    out += ["", f"**审批结论：** {_md(d['conclusion'])}", "", f"生成时间：{d['generated_at']}（wxpub）", ""]
    return "\n".join(out)


CSS = """
@page { size: A4; margin: 18mm 16mm; }
* { box-sizing: border-box; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 11pt; color: #000;
       margin: 0 auto; max-width: 178mm; }
h1 { text-align: center; font-size: 18pt; letter-spacing: 0.2em; margin: 0 0 6mm; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; }
table { width: 100%; border-collapse: collapse; page-break-inside: auto; }
th, td { border: 1px solid #000; padding: 2mm 3mm; vertical-align: top; text-align: left; }
th { background: #f2f2f2; font-weight: bold; white-space: nowrap; }
table.fields th { width: 30mm; }
tr { page-break-inside: avoid; }
ul { margin: 0; padding-left: 5mm; }
.conclusion { margin-top: 4mm; font-weight: bold; }
.ok { color: #0a5c0a; } .no { color: #a00000; }
.footer { margin-top: 4mm; font-size: 9pt; color: #444; text-align: right; }
table.signatures { margin-top: 4mm; }
table.signatures caption { caption-side: top; text-align: left; font-weight: bold; padding: 0 0 2mm; }
table.signatures th { width: 40mm; }
table.signatures td { height: 8mm; vertical-align: bottom; color: #444; }
.scroll { max-width: 100%; overflow-x: auto; }
@media print {
  body { font-size: 10pt; }
  h1 { margin-bottom: 4mm; }
  h2 { margin: 3mm 0 1.5mm; }
  th, td { padding: 1.2mm 2.5mm; }
  table.signatures td { height: 7mm; }
}
@media screen and (max-width: 600px) {
  body { padding: 3mm; font-size: 10.5pt; }
  th { white-space: normal; }
  table.fields th, table.signatures th { width: auto; }
}
""".strip()


def _signatures(d: dict[str, Any]) -> str:
    """Lines to sign by hand on the printed form, one per approval tier (the paper copy compliance keeps)."""
    tiers = list(dict.fromkeys(str(r["tier"]) for r in d["tiers"] if r.get("tier")))
    rows = "".join(f"<tr><th>{html_lib.escape(t)}</th><td>签字：</td><td>日期：</td></tr>" for t in tiers)
    return f'<table class="signatures"><caption>审批签字</caption>{rows}</table>' if rows else ""


def to_html(d: dict[str, Any]) -> str:
    e = html_lib.escape
    fields = "\n".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in _rows(d))

    def items(entries: list[str]) -> str:
        return "<ul>" + "".join(f"<li>{x}</li>" for x in entries) + "</ul>" if entries else "无。"

    reviews = items(
        [f"第 {f['line']} 行 [{e(f['rule'])}]（{e(f['article'])}）：{e(f['message'])}" for f in d["review_findings"]]
    )
    excs = items([f"第 {x['line']} 行：{e(x['message'])}" for x in d["exceptions"]])
    errors = items([f"第 {x['line']} 行 [{e(x['rule'])}]：{e(x['message'])}" for x in d["errors"]])
    tier_rows = "\n".join(
        f"<tr><td>{e(r['tier'])}</td><td>{e(r['reviewer'])}</td><td>{e(r['decision'])}</td>"
        f"<td>{e(r['time'])}</td><td><code>{e(r['commit'])}</code></td></tr>"
        for r in d["tiers"]
    )
    cls = "ok" if d["approved"] else "no"
    warn = d.get("warnings") or []
    warnings = f"<h2>审批提示（审批人须确认）</h2>\n{items([e(w) for w in warn])}\n" if warn else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{e(d["form_title"])}：{e(d["title"])}</title>
<style>
{CSS}
</style>
</head>
<body>
<h1>{e(d["form_title"])}</h1>
<table class="fields">
{fields}
<tr><th>合规审查提示</th><td>{reviews}</td></tr>
<tr><th>例外使用及理由</th><td>{excs}</td></tr>
{f"<tr><th>未解决的错误</th><td>{errors}</td></tr>" if d["errors"] else ""}
</table>
<h2>审批意见</h2>
<div class="scroll"><table class="tiers">
<tr><th>审批层级</th><th>审批人</th><th>意见</th><th>时间</th><th>版本</th></tr>
{tier_rows}
</table></div>
{warnings}<p class="conclusion {cls}">审批结论：{e(d["conclusion"])}</p>
{_signatures(d)}
<p class="footer">生成时间：{e(d["generated_at"])}（{e(d["timezone"])}）· wxpub</p>
</body>
</html>
"""


def render_form(
    post: Post,
    root: Path,
    policy: Policy,
    *,
    verdict: Verdict | None = None,
    pr: PullRequest | None = None,
    now: dt.datetime | None = None,
    findings: list[Finding] | None = None,
) -> FormData:
    """The Annex 1 form for `post` as Markdown and printable HTML (see the module docstring)."""
    d = form_data(post, root, policy, verdict=verdict, pr=pr, now=now, findings=findings)
    return FormData(markdown=to_markdown(d), html=to_html(d), data=d)


def form_for_commit(
    root: Path,
    policy: Policy,
    post: Post,
    commit: str,
    *,
    verdict: Verdict | None = None,
    reviews_file: str | None = None,
    now: dt.datetime | None = None,
) -> FormData | None:
    """The form the publisher stores with the record: the post at `commit`, the verdict of its approval."""
    pr: PullRequest | None = None
    number = getattr(verdict, "pr", None)
    if number:
        try:
            from .forge import ReviewsFileForge, client_from_env

            forge: Any = (
                ReviewsFileForge(reviews_file, root=root) if reviews_file else client_from_env(policy.forge.kind)
            )
            pr = forge.pull(number)
        except WxpubError:
            pr = None
    if post.meta is None:
        return None
    return render_form(post, root, policy, verdict=verdict, pr=pr, now=now)
