"""The policy's `leadtime.calendar` must name a file that exists: a typo must not drop the holiday overrides."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PROJECT, post_text

from pipeline.calendar import WorkCalendar, load_calendar_file
from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.policy import load_policy

SHIPPED = (PROJECT / "policy" / "policy.yml").read_text(encoding="utf-8")
TYPO = SHIPPED.replace("  calendar: policy/calendar.yml", "  calendar: policy/calender.yml", 1)


def _line(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if line.startswith(start))


def test_a_mistyped_calendar_path_is_an_error_naming_key_line_and_path(make_repo: Callable[..., Path]) -> None:
    assert TYPO != SHIPPED
    root = make_repo({}, policy=TYPO)
    with pytest.raises(ConfigError) as info:
        WorkCalendar(load_policy(root), root)
    line = _line(TYPO, "  calendar: policy/calender.yml")
    assert info.value.message == (
        f"policy/policy.yml:{line}: leadtime.calendar: the calendar file policy/calender.yml does not exist"
    )
    assert "create it, or fix `leadtime.calendar` in policy/policy.yml" in (info.value.hint or "")


@pytest.mark.parametrize("command", ["check", "leadtime"])
def test_the_cli_exits_2_on_a_mistyped_calendar_path(
    command: str, make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({"2026/12-05-card": post_text()}, policy=TYPO)
    code = main([command, "--root", str(root), "--now", "2026-11-20T09:00:00+08:00"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert re.search(r"policy/policy\.yml:\d+: leadtime\.calendar: the calendar file policy/calender\.yml", err), err
    assert "fix `leadtime.calendar` in policy/policy.yml" in err
    assert "Traceback" not in err


def test_the_shipped_calendar_file_exists_and_loads() -> None:
    policy = load_policy(PROJECT)
    assert "calendar" in policy.leadtime.model_fields_set  # named explicitly, so it must exist
    assert load_calendar_file(PROJECT, policy).path == "policy/calendar.yml"


def test_a_policy_without_the_key_may_have_no_calendar_file(make_repo: Callable[..., Path]) -> None:
    """An older policy that does not name a calendar file: the default file is optional, as before."""
    without = SHIPPED.replace("  calendar: policy/calendar.yml\n", "", 1)
    assert without != SHIPPED
    root = make_repo({}, policy=without)
    (root / "policy" / "calendar.yml").unlink()
    assert load_calendar_file(root, load_policy(root)).years == {}
