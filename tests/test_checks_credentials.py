"""secret/credential: the shapes it finds, where it points, and that no output carries the secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NOW, cover_bytes, post_text

from pipeline.check import CheckContext, check_folders
from pipeline.checks.credentials import find_credentials
from pipeline.cli import main
from pipeline.policy import load_policy
from pipeline.repo import post_folders

GITHUB = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
APP_SECRET = "0123456789abcdef0123456789abcdef"
POST = "2026/12-05-case"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"GITHUB_TOKEN={GITHUB}", GITHUB),
        ("令牌gho_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8。", "gho_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"),
        ("ghs_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "ghs_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"),
        ("ghu_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "ghu_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        ),
        (f"WECHAT_SECRET={APP_SECRET}", APP_SECRET),
        (f"AppSecret 是：{APP_SECRET.upper()}", APP_SECRET.upper()),
        (f"密钥：{APP_SECRET}", APP_SECRET),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA", "-----BEGIN OPENSSH PRIVATE KEY-----"),
        ("key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        (
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ),
        ("get?access_token=72_aBcDeFgHiJkLmNoPqRs0123&x=1", "72_aBcDeFgHiJkLmNoPqRs0123"),
    ],
)
def test_shapes(text: str, secret: str) -> None:
    assert [text[s:e] for s, e, _ in find_credentials(text)] == [secret]


@pytest.mark.parametrize(
    "text",
    [
        "请妥善保管密码和密钥，任何人索要都是诈骗。",
        "access_token=ACCESS_TOKEN",
        "ghp_short",
        "订单号 0123456789abcdef0123456789abcdef",
        "本行秘密0123456789abcdef0123456789abcdef",  # 秘密 is a marker word (secret/marker), not 密钥
        "AKIAIOSFODNN7EXAMPLEX",
        "eyJhbGciOiJIUzI1NiJ9 就是 base64",
        "secret 0123456789abcdef0123456789abcdef0",  # 33 hex digits: not a 32-digit AppSecret
    ],
)
def test_non_secrets(text: str) -> None:
    assert find_credentials(text) == []


def repo(make_repo: Callable[..., Path], body: str, **front: object) -> Path:
    front.setdefault("sources", [{"file": "cover.jpg", "source": "original"}])
    return make_repo({POST: {"index.md": post_text(body, **front), "cover.jpg": cover_bytes()}}, commit=False)


def test_findings_point_at_the_secret_and_show_four_characters(make_repo: Callable[..., Path]) -> None:
    body = f"第一段。\n\n配置：GITHUB_TOKEN={GITHUB} WECHAT_SECRET={APP_SECRET}\n"
    root = repo(make_repo, body, title=f"通知{GITHUB[:4]}")
    findings = check_folders(post_folders(root), CheckContext(root=root, policy=load_policy(root), now=NOW), jobs=1)
    hits = [f for f in findings.findings if f.rule == "secret/credential"]
    lines = (root / "posts" / POST / "index.md").read_text(encoding="utf-8").split("\n")
    assert [(f.match, f.severity.value) for f in hits] == [("ghp_…", "error"), ("0123…", "error")]
    for f, secret in zip(hits, (GITHUB, APP_SECRET), strict=True):
        line = lines[f.line - 1]
        assert line[f.column - 1 :].startswith(secret), (f.line, f.column, line)
        assert f.end_column == f.column + len(secret)
        assert secret not in f.message and secret[:5] not in f.message
        assert secret not in f.hint and secret not in f.match


def test_no_report_format_carries_the_secret(
    make_repo: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repo(make_repo, f"配置：GITHUB_TOKEN={GITHUB}\n\n公众号密钥 {APP_SECRET}\n")
    folder = str(root / "posts" / POST)
    sarif = tmp_path / "out.sarif"
    assert main(["check", folder, "--root", str(root), "--now", NOW.isoformat(), "--sarif", str(sarif)]) == 1
    outputs = [sarif.read_text(encoding="utf-8"), capsys.readouterr().out]
    for fmt in ("json", "github", "text"):
        main(["check", folder, "--root", str(root), "--now", NOW.isoformat(), "--format", fmt])
        outputs.append(capsys.readouterr().out)
    assert "secret/credential" in outputs[0] and json.loads(outputs[0])
    for out in outputs:
        assert "secret/credential" in out
        assert GITHUB[:5] not in out and APP_SECRET[:5] not in out, out


def test_a_credential_cannot_be_allowed(make_repo: Callable[..., Path]) -> None:
    allow = [{"rule": "secret/credential", "match": "", "reason": "测试账号"}]
    root = repo(make_repo, f"GITHUB_TOKEN={GITHUB}\n", allow=allow)
    findings = check_folders(post_folders(root), CheckContext(root=root, policy=load_policy(root), now=NOW), jobs=1)
    assert [f.rule for f in findings.findings if f.rule == "secret/credential"] == ["secret/credential"]
    assert not any(f.rule == "exception/used" for f in findings.findings)
