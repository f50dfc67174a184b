"""What a validation problem (pydantic's `ErrorDetails`) means, in the language people read.

English keeps pydantic's own words, as wxpub always showed them; other languages get a sentence per
kind of problem (the common ones in front matter and policy files), and pydantic's words otherwise.
"""

from __future__ import annotations

from pydantic_core import ErrorDetails

from .i18n import _, language


def _choices(expected: object) -> str:
    """pydantic's `'a', 'b' or 'c'` as `a, b, c`."""
    text = str(expected).replace(" or ", ", ")
    return ", ".join(part.strip().strip("'") for part in text.split(","))


def problem(err: ErrorDetails) -> str:
    """The problem, without its location (the caller says which key) and without `Value error, `."""
    msg = err["msg"].removeprefix("Value error, ")
    if language() == "en":
        return msg
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        return _(msg)  # our own validators raise marked messages (N_)
    if kind in ("string_type", "string_sub_type"):
        return _("must be text")
    if kind == "string_too_short":
        return _("must not be empty")
    if kind == "string_too_long":
        return _("is too long: at most {limit} characters", limit=ctx.get("max_length", "?"))
    if kind in ("literal_error", "enum"):
        return _("must be one of: {choices}", choices=_choices(ctx.get("expected", "")))
    if kind.startswith("url_"):
        return _("must be a web address such as https://www.example.com/page")
    if kind.startswith(("datetime_", "date_")):
        return _("must be a date and time such as 2026-12-05T10:00:00+08:00")
    if kind.startswith("time_"):
        return _("must be a time of day such as 09:30")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("must be a list")
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return _("must be keys with values")
    if kind == "extra_forbidden":
        return _("is not a known key here; check the spelling")
    if kind == "missing":
        return _("is required")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("must be a whole number")
    if kind in ("float_type", "float_parsing"):
        return _("must be a number")
    if kind in ("bool_type", "bool_parsing"):
        return _("must be true or false")
    if kind == "greater_than_equal":
        return _("must be {limit} or more", limit=ctx.get("ge", "?"))
    if kind == "greater_than":
        return _("must be more than {limit}", limit=ctx.get("gt", "?"))
    if kind == "less_than_equal":
        return _("must be {limit} or less", limit=ctx.get("le", "?"))
    if kind == "less_than":
        return _("must be less than {limit}", limit=ctx.get("lt", "?"))
    return msg
