"""The memoised resolver and the plain-string shortcut of `pipeline.yamlsafe` give what PyYAML's safe loader gives."""

from __future__ import annotations

import yaml

from pipeline import yamlsafe

DOCS = [
    "title: 服务公告第1期\nauthor: 电子银行部\npublish_at: 2027-01-20T10:00:00+08:00\n",
    "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: '1'\ng: \"true\"\nh: 0x1F\ni: 2026-11-26\nj: yes\nk: .inf\n",
    "list: [1, two, 3.0, false, null]\nnested: {x: 1, y: [a, b]}\nempty: ''\n",
    "same: 1\nagain: '1'\nthird: 1\nquoted: \"1\"\n",  # one value, plain and quoted: different tags
    "long: " + "长" * 100 + "\nnum: " + "9" * 80 + "\n",
]


def test_load_matches_pyyaml_safe_load_twice() -> None:
    for doc in DOCS * 2:  # the second pass reads every tag from the memo
        assert yamlsafe.load(doc).data == yaml.safe_load(doc), doc


def test_quoted_and_plain_values_keep_their_types_after_memo() -> None:
    yamlsafe.load("a: 12\n")
    assert yamlsafe.load("a: '12'\n").data == {"a": "12"}
    assert yamlsafe.load("a: 12\n").data == {"a": 12}
