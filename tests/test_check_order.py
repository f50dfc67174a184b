"""check_folders sorts findings by a key that is exactly the dataclass order of `Finding`."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from pipeline.check import _order
from pipeline.findings import Finding, Severity

SMALL = st.text("ab", max_size=2)
FINDING = st.builds(
    Finding,
    path=SMALL,
    line=st.integers(0, 2),
    column=st.integers(0, 2),
    end_column=st.integers(0, 2),
    rule=SMALL,
    article=SMALL,
    severity=st.sampled_from(list(Severity)),
    message=SMALL,
    match=SMALL,
    hint=SMALL,
)


def test_the_key_lists_every_field_in_order() -> None:
    f = Finding("p", 1, 2, 3, "r", "a", Severity.ERROR, "m", "x", "h")
    assert _order(f) == tuple(getattr(f, x.name) for x in dataclasses.fields(Finding))


@given(st.lists(FINDING, max_size=30))
def test_same_order_as_the_dataclass(findings: list[Finding]) -> None:
    assert sorted(findings, key=_order) == sorted(findings)
