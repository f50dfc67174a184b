"""Words, not substrings: Chinese word segmentation with part-of-speech tags, run only where it is needed.

The lexicons and patterns find candidates with Aho-Corasick and regular expressions over the whole post;
a rule then asks here whether a candidate is a word of the sentence, and which: 第一 in 第一百一十六条 is
part of a number, in 第一次 a sequence word, in 全网第一 a ranking; 最高 in 最高人民法院 is part of a name.
Only the sentences around candidates are segmented, so a post without candidates costs nothing.

The segmenter is rjieba (jieba's dictionary and HMM tagger, in Rust): chosen by measurement over jieba
(the same tags on the project's sentences, ~270x faster per sentence, no 1.7 s dictionary load on first
use, no cache file written to a temp folder and no log line on stderr). Its dictionary is compiled into
the wheel: nothing is downloaded or written at run time. Tags are jieba's (ICTCLAS-style): m number,
a adjective, d adverb, n noun, nt/nr/ns/nz names, v verb, x punctuation, eng Latin.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

# How much segmentation a process did (the check benchmark prints the segmenter's share of the time).
STATS: dict[str, float] = {"sentences": 0, "seconds": 0.0, "load_seconds": 0.0}
_MEMO_MAX = 4096

_tagger: Any = None
_memo: dict[str, list[Token]] = {}


class Token(NamedTuple):
    word: str
    tag: str
    start: int
    end: int


def _load() -> Any:
    global _tagger
    if _tagger is None:
        t = time.perf_counter()
        import rjieba  # the dictionary loads here, once per process, only when a candidate needs it

        rjieba.tag("银行")  # first use builds the dictionary's automaton
        _tagger = rjieba
        STATS["load_seconds"] += time.perf_counter() - t
    return _tagger


def tokens(sentence: str) -> list[Token]:
    """The words of a sentence with their tags and offsets (memoised per process)."""
    hit = _memo.get(sentence)
    if hit is not None:
        return hit
    tagger = _load()
    t = time.perf_counter()
    out: list[Token] = []
    pos = 0
    for word, tag in tagger.tag(sentence):
        out.append(Token(word, tag, pos, pos + len(word)))
        pos += len(word)
    STATS["sentences"] += 1
    STATS["seconds"] += time.perf_counter() - t
    if len(_memo) >= _MEMO_MAX:
        _memo.clear()
    _memo[sentence] = out
    return out


def token_at(toks: list[Token], pos: int) -> int:
    """The index of the token that covers offset `pos` (-1 when none does)."""
    for i, t in enumerate(toks):
        if t.start <= pos < t.end:
            return i
    return -1
