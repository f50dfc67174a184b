"""The cheap cue before the credential search never skips a text the search would match."""

from __future__ import annotations

import re
import sys

from hypothesis import given
from hypothesis import strategies as st

from pipeline.checks.credentials import _CUE, _QUICK


def test_every_alternative_holds_a_cue() -> None:
    for alternative in _QUICK.pattern.split("|"):
        assert _CUE.search(alternative), alternative


def test_a_and_e_match_only_themselves_ignoring_case() -> None:
    for letter in "ae":
        pattern = re.compile(letter, re.I)
        assert [c for c in map(chr, range(sys.maxunicode + 1)) if pattern.fullmatch(c)] == [letter.upper(), letter]


@given(st.text(st.sampled_from(list("ghpousr_itubkeyvAKSIEJCRTaeyjs密钥秘 Ｋſİı-")), max_size=40))
def test_search_implies_cue(text: str) -> None:
    if _QUICK.search(text):
        assert _CUE.search(text)
