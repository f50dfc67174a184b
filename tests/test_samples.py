"""The sample posts are realistic and pass: at least 8, every category, a wealth post, a downtime notice."""

from __future__ import annotations

from conftest import NOW, PROJECT

from pipeline.check import CheckContext, check_folders
from pipeline.findings import Severity
from pipeline.policy import CATEGORIES, load_policy
from pipeline.repo import post_folders


def test_samples_cover_every_category_and_pass() -> None:
    policy = load_policy(PROJECT)
    folders = post_folders(PROJECT)
    assert len(folders) >= 8
    result = check_folders(folders, CheckContext(root=PROJECT, policy=policy, now=NOW), jobs=1)
    assert all(p.ok for p in result.posts)
    assert {p.meta.category for p in result.posts if p.meta} == set(CATEGORIES)
    errors = [f"{f.path}:{f.line}: [{f.rule}] {f.message}" for f in result.findings if f.severity is Severity.ERROR]
    assert errors == []
    wealth = [p for p in result.posts if p.meta and "wealth" in p.meta.products]
    assert wealth and all("理财非存款，产品有风险，投资须谨慎" in p.body for p in wealth)
    assert any(p.meta and p.meta.maintenance for p in result.posts)
