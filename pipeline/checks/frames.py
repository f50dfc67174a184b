"""Frames: a claim-type term inside a warning, a negation or a citation is not the bank's claim.

Anti-fraud and illegal-fundraising education quotes the promises it warns against (不法分子承诺“保本付息”),
a compliance article quotes the rule that bans a phrase (《广告法》第九条规定不得使用“最佳”), and a disclaimer
denies the very term (不保证本金). The rules that find claims (`Rule.claim`) report such hits like any other;
this pass, applied to every post's findings, reads the sentence around each hit and, under a frame, lowers
its severity visibly: `info` (`review` in a product or campaign post, where the approver reads it anyway),
with a message that names the frame and its cue. Nothing is dropped.

The cues are policy data (`policy/frames.yml`, see `pipeline.policy.FramesPolicy`). The scope is the
sentence, split at 。！？；!? and line breaks but never inside quotation marks; a sentence that ends with a
colon at the end of a line leads the lines after it up to the next blank line (a list under a heading
such as 常见骗局：). Inside the sentence:

- a `warning` or `citation` cue before the term frames it, unless the bank speaks again in between: a
  `reassurance` (不用担心, 认准), an `own_voice` promise (我行承诺), a clause opening with a `turn` (但是) or
  one of `subjects` (，本产品…), or a subject (the bank's names count) anywhere in a later clause;
- a `warning_after` cue after the term frames it anywhere later in the sentence (…，请提高警惕); a
  `warning` cue after it within its clause (…是骗局), or in the whole sentence when the term is quoted;
  a clause right after the term that opens with a warning (出租银行卡，小心成了帮凶) frames it too;
- a `mention` cue shortly after a quoted term names it as a word (“最好”“第一”这样的字眼);
- a `question` cue before a quotation that ends with a question mark: someone else asks it (客户问：“有没有收益
  最高的产品？”), when it is the first quotation after the cue; so is 是“…”(的)吗？, a question doubting the
  quoted word (基金定投是“稳赚”的吗？);
- a sentence heading a list or a table leads it: a line ending with a colon over its lines, a Markdown heading
  over the list right under it (## 常见误区), a table's header cell over its column (| 骗子的话术 |);
- a warning cue with a gap may enclose the term (拒绝…诱惑: 拒绝高收益诱惑);
- a `negation` directly before the term (不保证本金, 并非保本) frames it; a negation of something else does
  not (不要错过！保本保收益: the sentence ends between them).

Never a frame: a negated warning (不必警惕), a warning about missing out (严禁错过), a quoted promise the bank
then affirms (…，我行做得到), a cue in another sentence. A negation is a disclaimer: `info` in any post.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..check import post_filter
from ..findings import REGISTRY, Finding, Severity
from ..i18n import N_, _
from ..policy import FramesPolicy, load_frames
from .text import CHAR_MAP, RESIZING, Unit, scan_of

if TYPE_CHECKING:
    from ..check import CheckContext
    from ..post import Post

# What `wxpub rules RULE` says about frames for a claim rule, with the law's words.
EXPLAINED = N_(
    "a hit inside a frame is not the bank's claim and drops to info (review in a product or campaign post; a "
    "negation is always info), with a message naming the frame: a warning (警惕, 谨防, 切勿, 不法分子, 骗局, 打着…的"
    "幌子 …), a citation of a law, rule or regulator (《…》第N条, 监管规定, 中国人民银行 …), a negation of the term "
    "itself (不保证, 并非, 非保本), a quoted term named as a word (“最好”这样的字眼). Not a frame: a negation of "
    "something else (不要错过！保本), a reassurance (不用担心，…), the bank's own promise (我行承诺“保本”), a cue in "
    "another sentence. The cues are policy/frames.yml."
)
FRAMES_QUOTE = (
    "《广告法》第二条 在中华人民共和国境内，商品经营者或者服务提供者通过一定媒介和形式直接或者间接地介绍自己所推销的"
    "商品或者服务的商业广告活动，适用本法。"
)

OPEN_QUOTES = {"“": "”", "「": "」", "『": "』", "‘": "’", '"': '"', "《": "》"}
SENTENCE_END = frozenset("。！？；!?;\n")
CLAUSE_END = frozenset("，,:：")
COLONS = frozenset(":：")
MAX_QUOTE = 80  # an unclosed quotation mark stops protecting its punctuation after this many characters
SOFT_CATEGORIES = frozenset({"product", "campaign"})
_GAP = "[^。！？；!?;\\n]{0,20}?"
_NUMBER = "[0-9一二三四五六七八九十百千零〇两]+"
# Between a negation and the term it denies: nothing, or a verb of promising (不保证本金, 并非承诺保本).
_POLITE = re.compile(r"(?:请您|请|要|需|务必|一定要|千万)?")


def _skip_polite(text: str, at: int) -> int:
    """The length of a polite opener (请您, 务必, 千万) before a warning verb at `at`."""
    m = _POLITE.match(text, at)
    return m.end() - at if m else 0


_NEWLINE = re.compile("\n")
_MISS_OUT = re.compile(r"(?:别|了|再)?(?:错过|错失|犹豫|等待|迟疑)")
_UNWARNED = re.compile(r"(?:不必|无需|无须|不用|没必要|用不着|何必|不需要|别)$")
_NEGATED = re.compile(r"(?:不|非|没有|绝非|并非)(?:是|为)?$")
_NEGATION_GAP = re.compile(
    r"(?:是|为|能|会|一定|可以?|承诺|保证|代表|意味着|等于|属于|提供|作|对|产品|该产品|本产品|[“”\"‘’「」]){0,3}"
)


@dataclass(frozen=True)
class Frame:
    kind: str  # warning | negation | citation | mention | question
    cue: str


def _pattern(cues: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex over the cues (longest first), in the normalised form the sentence is matched in."""
    if not cues:
        return None
    parts = []
    for cue in sorted(set(cues), key=len, reverse=True):
        pieces = re.split(r"(…|#)", cue)
        out = []
        for p in pieces:
            if p == "…":
                out.append(_GAP)
            elif p == "#":
                out.append(_NUMBER)
            elif p:
                out.append(re.escape(p.translate(CHAR_MAP)))
        parts.append("".join(out))
    return re.compile("|".join(parts))


class Cues:
    """The compiled cues of one `FramesPolicy`; `names` (the bank's names) count as subjects."""

    def __init__(self, fp: FramesPolicy, names: tuple[str, ...] = ()) -> None:
        self.warning = _pattern(fp.warning)
        self.warning_after = _pattern(fp.warning_after)
        self.warning_any = _pattern(fp.warning_after + fp.warning)
        self.negation = _pattern(fp.negation)
        self.mention = _pattern(fp.mention)
        self.question = _pattern(fp.question)
        self.citation = _pattern(fp.citation)
        self.blockers = _pattern(fp.reassurance + fp.own_voice)
        self.subjects = _pattern(fp.subjects + names)
        self.turns = _pattern(fp.turns)
        self.affirmations = _pattern(fp.affirmations)


_CUES: dict[tuple[int, tuple[str, ...]], tuple[FramesPolicy, Cues]] = {}


def cues_for(fp: FramesPolicy, names: tuple[str, ...] = ()) -> Cues:
    key = (id(fp), names)
    hit = _CUES.get(key)
    if hit is not None and hit[0] is fp:
        return hit[1]
    cues = Cues(fp, names)
    _CUES.clear()
    _CUES[key] = (fp, cues)
    return cues


_MARKS = re.compile('[。！？；!?;\n“”「」『』‘’"《》]')


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) of every sentence of `text`: split after 。！？；!? and at line breaks, never inside
    quotation marks (an unclosed mark protects at most `MAX_QUOTE` characters and never a line break).
    Only the punctuation is visited (one regex scan), not every character."""
    spans: list[tuple[int, int]] = []
    start = 0
    closing = ""
    opened = -1
    for m in _MARKS.finditer(text):
        i = m.start()
        ch = text[i]
        if closing:
            if ch == closing or ch == "\n" or i - opened > MAX_QUOTE:
                closing = ""
            if ch != "\n":
                continue
        elif ch in OPEN_QUOTES:
            closing, opened = OPEN_QUOTES[ch], i
            continue
        if ch in SENTENCE_END:
            end = i if ch == "\n" else i + 1
            if end > start:
                spans.append((start, end))
            start = i + 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _quoted(sentence: str, s: int, e: int) -> bool:
    before, after = sentence[:s], sentence[e:]
    for o, c in OPEN_QUOTES.items():
        if o == "《":
            continue
        k = before.rfind(o)
        if k >= 0 and c not in before[k + 1 :] and c in after:
            return True
    return False


def _clause_start(sentence: str, s: int) -> int:
    k = max((sentence.rfind(ch, 0, s) for ch in CLAUSE_END), default=-1)
    return k + 1


def _clause_end(sentence: str, e: int) -> int:
    ends = [k for k in (sentence.find(ch, e) for ch in CLAUSE_END) if k >= 0]
    return min(ends) if ends else len(sentence)


def _blocked(cues: Cues, sentence: str, a: int, b: int) -> bool:
    """Whether the bank speaks again between a cue ending at `a` and a term starting at `b`: a reassurance or an
    own-voice promise anywhere; a turn (但是, 其实) or a subject (本产品, 我行, the bank's name) opening a clause; a
    subject anywhere in a later clause than the cue's (谨防假冒，认准XX银行，收益最高…)."""
    if a >= b:
        return False
    if cues.blockers is not None and cues.blockers.search(sentence, a, b):
        return True
    boundary = min((k for k in (sentence.find(ch, a, b) for ch in CLAUSE_END) if k >= 0), default=b)
    for pat in (cues.subjects, cues.turns):
        if pat is None:
            continue
        for m in pat.finditer(sentence, a, b):
            at = m.start()
            opens = at == 0 or sentence[at - 1] in CLAUSE_END or sentence[at - 1] in "“「"
            if opens or (pat is cues.subjects and at > boundary):
                return True
    return False


def _affirmed(cues: Cues, sentence: str, e: int) -> bool:
    """不法分子做不到的保本保息，我行做得到: after the term, the bank affirms it in its own voice."""
    if cues.subjects is None or cues.affirmations is None:
        return False
    for m in cues.subjects.finditer(sentence, e):
        if cues.affirmations.match(sentence, m.end()) or cues.affirmations.match(sentence, m.end() + 1):
            return True
    return False


def classify(cues: Cues, sentence: str, s: int, e: int, lead: str = "") -> Frame | None:
    """The frame of the term at [s, e) of a (normalised) sentence, if any; `lead` is a heading sentence."""
    if cues.negation is not None:
        for m in cues.negation.finditer(sentence, 0, e):
            if m.start() < s < m.end():  # the hit starts inside the negation: 不保证本金 for 保证本金
                return Frame("negation", m.group())
            if m.end() > s:
                continue
            gap = sentence[m.end() : s]
            if m.group() == "非" and (gap or sentence[m.end() : m.end() + 1] == "常"):
                continue
            if _NEGATION_GAP.fullmatch(gap):
                return Frame("negation", m.group())
    if _affirmed(cues, sentence, e):
        return None
    for kind, pat in (("citation", cues.citation), ("warning", cues.warning)):
        if pat is None:
            continue
        for m in pat.finditer(sentence, 0, s):
            if m.end() <= s and not _not_a_cue(sentence, m) and not _blocked(cues, sentence, m.end(), s):
                return Frame(kind, m.group())
        if kind == "warning":
            # a cue with a gap around the term (拒绝…诱惑: 拒绝高收益诱惑), the bank not speaking inside it
            for m in pat.finditer(sentence, max(0, s - 20), min(len(sentence), e + 20)):
                if m.start() < s and m.end() > e and not _blocked(cues, sentence, m.start() + 1, s):
                    return Frame(kind, m.group())
        k = _item_start(sentence) if lead else 0
        if lead and not _blocked(cues, sentence[k:], 0, s - k):
            m2 = pat.search(lead)
            if m2 is not None and not _not_a_cue(lead, m2):
                return Frame(kind, m2.group())
    quoted = _quoted(sentence, s, e)
    if quoted and cues.mention is not None:
        named = cues.mention.search(sentence, e, min(len(sentence), e + 30))
        if named is not None and not re.search(r"[，,：:]", sentence[e : named.start()].replace("，“", "“")):
            return Frame("mention", named.group())
    if quoted and cues.question is not None:
        asked = _asked(cues, sentence, s)
        if asked is not None:
            return Frame("question", asked)
    after_end = len(sentence) if quoted else _clause_end(sentence, e)
    if not quoted and after_end < len(sentence) and cues.warning is not None:
        # 出租出借银行卡，小心成了诈骗的帮凶: the next clause opens with a warning about what precedes it
        opener = cues.warning.match(sentence, after_end + 1 + _skip_polite(sentence, after_end + 1))
        if opener is not None and not _not_a_cue(sentence, opener):
            return Frame("warning", opener.group())
    for kind, pat, end in (
        ("warning", cues.warning_after, len(sentence)),
        ("warning", cues.warning_any, after_end),
        ("citation", cues.citation, after_end),
    ):
        if pat is None:
            continue
        for after in pat.finditer(sentence, e, end):
            if _not_a_cue(sentence, after) or _NEGATED.search(sentence, max(e, after.start() - 3), after.start()):
                continue
            if _blocked(cues, sentence, e, after.start()):
                break
            return Frame(kind, after.group())
    return None


def _item_start(sentence: str) -> int:
    """Where a list item's text starts (after 1. or - and any bold marks): a subject there opens the clause."""
    m = _LIST_ITEM.match(sentence)
    k = m.end() if m else 0
    while k < len(sentence) and sentence[k] in " *_\t":
        k += 1
    return k


_IS_IT = re.compile(r"(?:的)?[吗么][？?]")


def _asked(cues: Cues, sentence: str, s: int) -> str | None:
    """The cue of a question someone else asks (客户问：“有没有收益最高的产品？”) when the quotation that holds the
    term at `s` is the first one after the cue and ends with a question mark; or a question that doubts the
    quoted word itself (定投是“稳赚”的吗？); None otherwise."""
    assert cues.question is not None
    o = max(sentence.rfind(q, 0, s) for q in OPEN_QUOTES if q != "《")
    if o < 0:
        return None
    close = sentence.find(OPEN_QUOTES[sentence[o]], s)
    if close < 0:
        return None
    if sentence[o - 1 : o] == "是" and _IS_IT.match(sentence, close + 1):
        return "是…吗？"  # 基金定投是“稳赚”的吗？: the question doubts the quoted word
    if sentence[close - 1 : close] not in ("？", "?"):
        return None
    for m in cues.question.finditer(sentence, 0, o + 1):
        between = sentence[m.end() : o]
        if not any(c in between for c in '”」』’"') and not _blocked(cues, sentence, m.end(), o):
            return m.group()
    return None


def _not_a_cue(text: str, m: re.Match[str]) -> bool:
    """不得不 (one has to) is not a prohibition; 不必警惕, 无需防范 (a negated warning) is a reassurance; 谨防错过,
    严禁错过 (do not miss out) is a sales push."""
    if m.group().endswith("不得") and text[m.end() : m.end() + 1] == "不":
        return True
    if _MISS_OUT.match(text, m.end()):
        return True
    return _UNWARNED.search(text, max(0, m.start() - 4), m.start()) is not None


def _normal(text: str) -> str:
    """The text through the char map when no character changes length (cues are matched in that form)."""
    out = text.translate(CHAR_MAP)
    return out if len(out) == len(text) and (not RESIZING or RESIZING.isdisjoint(text)) else text


def why(frame: Frame, term: str) -> str:
    if frame.kind == "negation":
        return _("“{term}” is negated ({cue}…): not a claim", term=term, cue=frame.cue)
    if frame.kind == "mention":
        return _("“{term}” is named as a word (…{cue}): not a claim", term=term, cue=frame.cue)
    if frame.kind == "question":
        return _("“{term}” is in a question someone asks ({cue}…): not a claim", term=term, cue=frame.cue)
    if frame.kind == "citation":
        return _("“{term}” is quoted from a law, a rule or a regulator ({cue}): not a claim", term=term, cue=frame.cue)
    return _("“{term}” is quoted in a warning ({cue}…): not a claim", term=term, cue=frame.cue)


def _locate(units: list[Unit], f: Finding, memo: dict[str, object]) -> tuple[Unit, int] | None:
    for u in units:
        if u.name == "body":
            starts = memo.get("frames.body_lines")
            if not isinstance(starts, list):
                starts = [0] + [m.end() for m in _NEWLINE.finditer(u.text)]
                memo["frames.body_lines"] = starts
            k = f.line - u.line
            if 0 <= k < len(starts):
                off = starts[k] + f.column - 1
                if u.text.startswith(f.match, off):
                    return u, off
        elif u.line == f.line:
            off = f.column - u.column
            if off >= 0 and u.text.startswith(f.match, off):
                return u, off
    return None


def sentence_at(unit: Unit, start: int, end: int, memo: dict[str, object]) -> tuple[str, int, int, str] | None:
    """The normalised sentence around [start, end) of a unit's text, the span's offsets in it, and the
    normalised heading sentence that leads it (see `_lead`; "" when none). Sentences never cross a line
    break, so only the line of the span is split (a post's other lines cost nothing)."""
    text = unit.text
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", start)
    le = len(text) if le < 0 else le
    spans = _line_sentences(unit, ls, le, memo)
    k = bisect.bisect_right(spans, (start - ls, le + 1)) - 1
    if k < 0:
        return None
    s, e = spans[k]
    s, e = s + ls, e + ls
    if not s <= start < e:
        return None
    lead = _lead_line(unit, ls, memo, text.count("|", ls, start)) if k == 0 else ""
    return _normal(text[s:e]), start - s, min(end, e) - s, lead


def _line_sentences(unit: Unit, ls: int, le: int, memo: dict[str, object]) -> list[tuple[int, int]]:
    key = f"frames.line.{unit.name}.{ls}"
    spans = memo.get(key)
    if not isinstance(spans, list):
        spans = sentences(unit.text[ls:le])
        memo[key] = spans
    return spans


_LIST_ITEM = re.compile(r"\s*(?:[-*+]\s|\d+[.、)）]|[（(]\d+[)）]|[一二三四五六七八九十]+、)")
_HEADING = re.compile(r"\s*#{1,6}\s*(.*\S)\s*#*\s*$")


def _line_at(text: str, ls: int) -> str:
    le = text.find("\n", ls)
    return text[ls : len(text) if le < 0 else le]


def _table_header(text: str, ls: int, column: int) -> str:
    """The header cell of the column `column` (the count of `|` before the term) of the table whose row
    starts at `ls` (| 骗子的话术 | 真相 | over the scripts it quotes); "" when the row is the header."""
    top = ls
    while top > 0:
        above = text.rfind("\n", 0, top - 1) + 1
        if not _line_at(text, above).lstrip().startswith("|"):
            break
        top = above
    if top == ls:
        return ""
    cells = _line_at(text, top).split("|")
    return cells[column].strip() if 0 < column < len(cells) else ""


def _list_heading(text: str, ls: int, max_lines: int) -> str:
    """The Markdown heading right above the list that holds the line at `ls` (## 常见骗局 over its items): only
    list items and blank lines between; "" otherwise."""
    end = ls - 1
    for _line in range(max_lines):
        if end < 0:
            return ""
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        h = _HEADING.match(line)
        if h is not None:
            return _normal(h.group(1))
        if line.strip() and not _LIST_ITEM.match(line):
            return ""
        end = start - 1
    return ""


def _lead_line(unit: Unit, ls: int, memo: dict[str, object], column: int = 0, max_lines: int = 30) -> str:
    """The last sentence of the nearest line above `ls` in the same paragraph that ends with a colon (a heading
    such as 常见骗局： over a list); for a table row, the header cell of the term's column; for a list item, the
    Markdown heading right above its list; "" when a blank line comes first."""
    text = unit.text
    current = _line_at(text, ls)
    if current.lstrip().startswith("|") and column:
        return _normal(_table_header(text, ls, column))
    if _LIST_ITEM.match(current):
        heading = _list_heading(text, ls, max_lines)
        if heading:
            return heading
    end = ls - 1  # the line break before the line
    for _line in range(max_lines):
        if end < 0:
            return ""
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if not line.strip():
            return ""
        if line.rstrip()[-1:] in COLONS:
            spans = _line_sentences(unit, start, end, memo)
            if not spans:
                return ""
            s, e = spans[-1]
            return _normal(line[s:e])
        end = start - 1
    return ""


def frame_of(units: list[Unit], f: Finding, cues: Cues, memo: dict[str, object]) -> Frame | None:
    """The frame around a finding's match in the post, if any."""
    if not f.match:
        return None
    found = _locate(units, f, memo)
    if found is None:
        return None
    unit, off = found
    at = sentence_at(unit, off, off + len(f.match), memo)
    if at is None:
        return None
    sentence, s, e, lead = at
    return classify(cues, sentence, s, e, lead)


@post_filter
def apply_frames(post: Post, findings: list[Finding], ctx: CheckContext) -> list[Finding]:
    """Lower the severity of claim findings inside a frame, saying which frame (see the module doc)."""
    claims = [
        i
        for i, f in enumerate(findings)
        if f.path == post.path
        and f.severity is not Severity.INFO
        and (r := REGISTRY.get(f.rule)) is not None
        and r.claim
    ]
    if not claims:
        return findings
    cues = ctx.cache.get("checks.frames")
    if not isinstance(cues, Cues):
        bank = ctx.policy.bank
        cues = cues_for(load_frames(ctx.root, ctx.policy), (*bank.official_names, *bank.short_names))
        ctx.cache["checks.frames"] = cues
    scan = scan_of(post, ctx)
    soft = post.meta is not None and post.meta.category in SOFT_CATEGORIES
    out = list(findings)
    for i in claims:
        f = out[i]
        frame = frame_of(scan.units, f, cues, scan.memo)
        if frame is None:
            continue
        # a negation (不保证本金) is a disclaimer wherever it stands; a quoted warning in a product post is read
        severity = Severity.REVIEW if soft and frame.kind != "negation" else Severity.INFO
        out[i] = replace(f, severity=severity, message=why(frame, f.match), hint=f.message)
    return out
