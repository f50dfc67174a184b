"""The policy loads, and every way of getting it wrong is named by key and line."""

from __future__ import annotations

import pytest
from conftest import PROJECT

from pipeline.errors import PolicyError
from pipeline.policy import load_policy, parse_policy

TEXT = (PROJECT / "policy" / "policy.yml").read_text(encoding="utf-8")


def test_shipped_policy_loads() -> None:
    policy = load_policy(PROJECT)
    assert policy.timezone == "Asia/Shanghai"
    assert policy.unit("城关支行").kind == "branch"
    assert {"compliance", "ebanking", "leadership", "urgent", "technology"} <= set(policy.roles)
    assert policy.leadtime.days == 7 and policy.leadtime.maintenance_working_days == 3
    assert policy.broadcast.per_month == 4


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  sequential: true", "  sequentail: true", "approval.sequentail: unknown key"),
        ("per_month: 4", "per_month: -1", "broadcast.per_month: Input should be greater than or equal to 0"),
        ("timezone: Asia/Shanghai", "timezone: Mars/Olympus", "timezone: unknown timezone 'Mars/Olympus'"),
        (
            "by_category:\n    notice: [{tier: leadership}]",
            "by_category:\n    advert: [{tier: leadership}]",
            "unknown category 'advert'",
        ),
        ("    notice: [{tier: leadership}]", "    notice: [{tier: chairman}]", "unknown tier 'chairman'"),
        ("  compliance: {users:", "  compliants: {users:", "missing role(s) compliance"),
        ('publishing_hours: {start: "07:00"', 'publishing_hours: {start: "7am"', "expected a time as HH:MM"),
        ("kind: service ", "kind: enterprise ", "account.kind"),
    ],
)
def test_policy_errors_name_the_key(old: str, new: str, expected: str) -> None:
    assert old in TEXT, old
    with pytest.raises(PolicyError) as info:
        parse_policy(TEXT.replace(old, new, 1))
    text = str(info.value)
    assert expected in text, text
    assert "policy/policy.yml:" in text


def test_unknown_key_points_at_its_line() -> None:
    broken = TEXT.replace("  sequential: true", "  sequentail: true")
    line = next(i for i, text in enumerate(broken.split("\n"), 1) if text.startswith("  sequentail: true"))
    with pytest.raises(PolicyError) as info:
        parse_policy(broken)
    assert f"policy/policy.yml:{line}: approval.sequentail" in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    notice: [{tier: leadership}]",
            "    notice: [{tier: chairman}]",
            "approval.by_category.notice: unknown tier 'chairman'; define it under roles",
        ),
        (
            "  - {name: 开发区支行, kind: branch",
            "  - {name: 城关支行, kind: branch",
            "units: duplicate unit name(s) 城关支行",
        ),
    ],
)
def test_cross_field_errors_point_at_the_key_line(old: str, new: str, expected: str) -> None:
    """Checks spanning sections (tiers against roles, unit names) report the line of the offending key."""
    assert old in TEXT, old
    broken = TEXT.replace(old, new, 1)
    line = TEXT[: TEXT.index(old)].count("\n") + 1  # the line edited
    with pytest.raises(PolicyError) as info:
        parse_policy(broken)
    assert f"policy/policy.yml:{line}: {expected}" in str(info.value), str(info.value)
    assert "(top level)" not in str(info.value)


def test_cross_field_checks_also_run_without_parse_policy() -> None:
    """A policy built in code (not through parse_policy) is still validated across sections."""
    import yaml

    from pipeline.policy import Policy

    data = yaml.safe_load(TEXT)
    data["approval"]["by_category"]["notice"] = [{"tier": "chairman"}]
    with pytest.raises(ValueError, match=r"approval\.by_category\.notice: unknown tier 'chairman'"):
        Policy.model_validate(data)


@pytest.mark.parametrize("text", ["", "- a list\n", "bank: [\n", "a: &x 1\nb: *x\n"])
def test_unusable_policy_files(text: str) -> None:
    with pytest.raises(PolicyError):
        parse_policy(text)


def test_missing_policy_file(tmp_path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path)


def test_shipped_roles_name_users_only() -> None:
    """The review workflow runs the gate with the job token, which cannot read organisation teams."""
    policy = load_policy(PROJECT)
    assert all(not role.teams for role in policy.roles.values())
    assert all(not unit.heads.teams for unit in policy.units)
