"""YAML for untrusted input: no aliases, no duplicate keys, bounded size, and a line for every key.

`load(text)` returns the plain data and a map from each value's location (a tuple of keys and list
indices, as pydantic reports them) to its 1-based line, so a finding can point at the offending key.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from .i18n import N_, _

# What the YAML parser says, for the problems people make in front matter (others are shown as the parser
# words them, in backticks).
PARSER_PROBLEMS = {
    "did not find expected ',' or ']'": N_("a list in [ ] is not closed with ]"),
    "did not find expected ',' or '}'": N_("a mapping in { } is not closed with }"),
    "mapping values are not allowed in this context": N_(
        "a colon where a value was expected: put text with a colon in quotes, or check the indentation"
    ),
    "mapping values are not allowed here": N_(
        "a colon where a value was expected: put text with a colon in quotes, or check the indentation"
    ),
    "found character that cannot start any token": N_("a character YAML does not allow here (a tab? use spaces)"),
    "found unexpected end of stream": N_("a quotation mark is not closed"),
    "did not find expected '-' indicator": N_("a list item without its - (check the indentation)"),
    "could not find expected ':'": N_("a key without its colon (:)"),
    "did not find expected key": N_("the indentation is off: keys of one mapping must line up"),
    "found undefined alias": N_("YAML anchors and aliases (&, *) are not allowed"),
}


def _parser_problem(problem: str | None) -> str:
    from .i18n import language

    text = problem or ""
    if language() == "en":
        return text
    known = PARSER_PROBLEMS.get(text)
    return _(known) if known else f"`{text}`"


_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """The safe loader, its implicit tags memoised: keys and many values repeat from post to post, and the
    resolver (Python, called by libyaml for every scalar) runs its regular expressions for each one."""

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode or len(value) > 64:
            return str(super().resolve(kind, value, implicit))
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            if len(_RESOLVED) >= 4096:
                _RESOLVED.clear()
            tag = _RESOLVED[key] = str(super().resolve(kind, value, implicit))
        return tag


MAX_NODES = 5_000
MAX_DEPTH = 20

Loc = tuple[str | int, ...]


class YamlProblem(ValueError):
    """YAML that cannot be used; `line` is 1-based within the YAML text."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Loaded:
    data: object
    lines: dict[Loc, int]

    def line_of(self, loc: Loc, default: int = 1) -> int:
        """The line of `loc`, or of its nearest parent that has one."""
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return default


def load(text: str, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Loaded:
    try:
        node = yaml.compose(text, Loader=_Loader)  # libyaml: 4x faster
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlProblem(
            _("invalid YAML: {problem}", problem=_parser_problem(exc.problem or exc.context)), line
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(_("invalid YAML: {problem}", problem=exc), 1) from None
    if node is None:
        return Loaded(None, {})
    lines: dict[Loc, int] = {}
    seen: set[int] = set()
    constructor = yaml.constructor.SafeConstructor()
    count = 0

    def build(n: yaml.Node, loc: Loc, depth: int) -> object:
        nonlocal count
        count += 1
        if count > max_nodes:
            raise YamlProblem(
                _("front matter too large: more than {limit} values", limit=max_nodes), n.start_mark.line + 1
            )
        if depth > max_depth:
            raise YamlProblem(
                _("front matter nested deeper than {limit} levels", limit=max_depth), n.start_mark.line + 1
            )
        if id(n) in seen:
            raise YamlProblem(_("YAML anchors and aliases (&, *) are not allowed"), n.start_mark.line + 1)
        seen.add(id(n))
        lines.setdefault(loc, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[object, object] = {}
            for key_node, value_node in n.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlProblem(_("YAML merge keys (<<) are not allowed"), key_node.start_mark.line + 1)
                key = build_scalar(key_node)
                if isinstance(key, (list, dict)):
                    raise YamlProblem(_("a key must be a plain value"), key_node.start_mark.line + 1)
                if key in out:
                    raise YamlProblem(_("duplicate key {key}", key=repr(key)), key_node.start_mark.line + 1)
                kloc = (*loc, str(key))
                lines[kloc] = key_node.start_mark.line + 1
                out[key] = build(value_node, kloc, depth + 1)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, (*loc, i), depth + 1) for i, item in enumerate(n.value)]
        return build_scalar(n)

    def build_scalar(n: yaml.Node) -> object:
        if not isinstance(n, yaml.ScalarNode):
            return [] if isinstance(n, yaml.SequenceNode) else {}
        if n.tag == _STR:
            return n.value  # what SafeConstructor makes of a plain string, without its dispatch
        try:
            return constructor.construct_object(n, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            raise YamlProblem(_("invalid YAML value: {problem}", problem=exc), n.start_mark.line + 1) from None

    try:
        data = build(node, (), 0)
    finally:
        # `build` refers to itself through its closure: a reference cycle that would keep the nodes, the
        # constructor and its marks alive until the next garbage collection. Broken here, they go at once.
        build = build_scalar = None  # type: ignore[assignment]
    return Loaded(data, lines)
