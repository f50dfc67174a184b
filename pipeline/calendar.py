"""China's working-day calendar: public holidays, weekends and adjusted workdays (调休).

Two sources, merged per date:

- the `holidays` package (`holidays.China`), whose days off and `weekend_workdays` come from the
  State Council's yearly notices. The package also *computes* any later year from rules (fixed and
  lunar dates, weekend-to-Monday observance), but without the 调休 swaps those years are guesses, so a
  year counts as known to the package only when its notice is in the package's data
  (`ChinaStaticHolidays.special_public_holidays`: 2001 onwards, up to the newest notice it ships);
- `policy/calendar.yml` (path: `leadtime.calendar` in the policy), where the bank adds a year when the
  State Council announces it, before a new `holidays` release carries it:

      version: 1
      years:
        2027:
          notice: 国务院办公厅关于2027年部分节假日安排的通知
          holidays: [2027-01-01, 2027-02-05..2027-02-12]   # days off; A..B is a range
          workdays: [2027-02-14]                            # weekend days that are working days

For a year the package knows, the file's dates override the package's on those dates. For a year only
the file knows, the file is the whole truth (weekends plus its lists). Asking about a date in a year
that neither knows raises `UnknownYearError`, whose message says how to add it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from . import yamlsafe
from .errors import ConfigError, PolicyError
from .i18n import N_, _
from .policy import POLICY_FILE, Policy

FIRST_OFFICIAL_YEAR = 2001  # the package checks its data against the official notices from 2001 on


WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


class UnknownYearError(ConfigError):
    """A date in a year for which no official holiday arrangement is known."""

    def __init__(self, year: int, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.year = year


@dataclass(frozen=True)
class YearOverride:
    """One year of `policy/calendar.yml`: the days off and the weekend working days it declares."""

    year: int
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    notice: str = ""
    line: int = 1


@dataclass(frozen=True)
class CalendarFile:
    path: str
    years: dict[int, YearOverride] = field(default_factory=dict)


def package_years() -> frozenset[int]:
    """Years whose official notice (with its adjusted workdays) the installed `holidays` package carries."""
    try:
        from holidays.countries.china import ChinaStaticHolidays
    except ImportError:  # pragma: no cover - a dependency; a future layout change
        return frozenset()
    years = getattr(ChinaStaticHolidays, "special_public_holidays", {})
    return frozenset(y for y in years if isinstance(y, int) and y >= FIRST_OFFICIAL_YEAR)


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _dates(value: object, where: str, line: int, source: str, problems: list[str]) -> set[dt.date]:
    """A list of dates and `A..B` ranges, each problem reported as `source:line: where: ...`."""
    out: set[dt.date] = set()
    if value is None:
        return out
    if not isinstance(value, list):
        problems.append(f"{source}:{line}: {where}: " + _("expected a list of dates such as [2027-02-05, 2027-02-06]"))
        return out
    for item in value:
        if isinstance(item, str) and ".." in item:
            a, _dots, b = item.partition("..")
            start, end = _as_date(a), _as_date(b)
            if start is None or end is None or end < start:
                problems.append(
                    f"{source}:{line}: {where}: "
                    + _("{item} is not a range of dates like 2027-02-05..2027-02-11", item=repr(item))
                )
                continue
            if (end - start).days > 31:
                problems.append(
                    f"{source}:{line}: {where}: "
                    + _("{item} spans more than a month; check the dates", item=repr(item))
                )
                continue
            out.update(start + dt.timedelta(days=i) for i in range((end - start).days + 1))
            continue
        day = _as_date(item)
        if day is None:
            problems.append(
                f"{source}:{line}: {where}: "
                + _("{item} is not a date; write YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD", item=repr(item))
            )
            continue
        out.add(day)
    return out


def parse_calendar(text: str, source: str = "policy/calendar.yml") -> CalendarFile:
    """Parse and validate the calendar file; every problem is reported with its line."""
    try:
        loaded = yamlsafe.load(text, max_nodes=20_000)
    except yamlsafe.YamlProblem as exc:
        raise PolicyError(f"{source}:{exc.line}: {exc.message}") from None
    data = loaded.data
    if data is None:
        return CalendarFile(source)
    problems: list[str] = []
    if not isinstance(data, dict):
        raise PolicyError(f"{source}:1: " + _("expected a mapping with `version: 1` and `years:`"))
    for key in data:
        if key not in ("version", "years"):
            problems.append(
                f"{source}:{loaded.line_of((str(key),))}: {key}: " + _("unknown key; expected version or years")
            )
    if data.get("version", 1) != 1:
        problems.append(f"{source}:{loaded.line_of(('version',))}: version: " + _("expected 1"))
    years_raw = data.get("years") or {}
    out: dict[int, YearOverride] = {}
    if not isinstance(years_raw, dict):
        problems.append(
            f"{source}:{loaded.line_of(('years',))}: years: " + _("expected a mapping of year to its lists")
        )
        years_raw = {}
    for year_key, spec in years_raw.items():
        line = loaded.line_of(("years", str(year_key)))
        try:
            year = int(year_key)
        except (TypeError, ValueError):
            year = 0
        if not 1950 <= year <= 2200 or isinstance(year_key, bool):
            problems.append(f"{source}:{line}: years.{year_key}: " + _("expected a year such as 2027"))
            continue
        if not isinstance(spec, dict):
            problems.append(f"{source}:{line}: years.{year}: " + _("expected holidays: [...] and workdays: [...]"))
            continue
        for key in spec:
            if key not in ("holidays", "workdays", "notice"):
                problems.append(
                    f"{source}:{loaded.line_of(('years', str(year_key), str(key)))}: years.{year}.{key}: "
                    + _("unknown key; expected holidays, workdays or notice")
                )
        lists: dict[str, set[dt.date]] = {}
        for name in ("holidays", "workdays"):
            where = f"years.{year}.{name}"
            kline = loaded.line_of(("years", str(year_key), name), line)
            lists[name] = _dates(spec.get(name), where, kline, source, problems)
            for day in sorted(lists[name]):
                if abs(day.year - year) > 1 or (day.year != year and day.month not in (1, 12)):
                    problems.append(
                        f"{source}:{kline}: {where}: " + _("{day} is not in or next to {year}", day=day, year=year)
                    )
        for day in sorted(lists["workdays"]):
            if day.weekday() < 5:
                problems.append(
                    f"{source}:{loaded.line_of(('years', str(year_key), 'workdays'), line)}: years.{year}.workdays: "
                    + _(
                        "{day} is a {weekday}, already a working day; list only weekend days worked in exchange",
                        day=day,
                        weekday=_(WEEKDAY_NAMES[day.weekday()]),
                    )
                )
        both = lists["holidays"] & lists["workdays"]
        for day in sorted(both):
            problems.append(
                f"{source}:{line}: years.{year}: " + _("{day} is listed both as a holiday and as a workday", day=day)
            )
        notice = spec.get("notice", "")
        out[year] = YearOverride(
            year=year,
            holidays=frozenset(lists["holidays"]),
            workdays=frozenset(lists["workdays"]),
            notice=str(notice or ""),
            line=line,
        )
    if problems:
        raise PolicyError(
            _("{file}: the calendar does not validate ({count} problem(s))", file=source, count=len(problems)), problems
        )
    return CalendarFile(source, out)


def _policy_line(root: Path, loc: tuple[str, ...]) -> int:
    """The line of `loc` in the policy file under `root` (1 when it cannot be read): for error messages."""
    try:
        return yamlsafe.load((root / POLICY_FILE).read_text(encoding="utf-8"), max_nodes=50_000).line_of(loc)
    except (OSError, UnicodeDecodeError, yamlsafe.YamlProblem):
        return 1


def load_calendar_file(root: Path, policy: Policy) -> CalendarFile:
    """The policy's `leadtime.calendar` file (default `policy/calendar.yml`).

    A file the policy names that does not exist is an error: a mistyped path would otherwise drop the
    bank's holiday overrides without a word. Only when the policy leaves the key out (an older policy)
    may the default file be absent; it then adds nothing.
    """
    rel = policy.leadtime.calendar
    path = root / rel
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if "calendar" not in policy.leadtime.model_fields_set:
            return CalendarFile(rel)
        line = _policy_line(root, ("leadtime", "calendar"))
        raise ConfigError(
            _(
                "{file}:{line}: leadtime.calendar: the calendar file {calendar} does not exist",
                file=POLICY_FILE,
                line=line,
                calendar=rel,
            ),
            hint=_(
                "create it, or fix `leadtime.calendar` in {file} to name the holiday override file", file=POLICY_FILE
            ),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(_("{file}: cannot read: {reason}", file=rel, reason=exc)) from None
    return parse_calendar(text, rel)


class WorkCalendar:
    """Working days in mainland China: Monday to Friday, less public holidays, plus adjusted workdays."""

    def __init__(
        self,
        policy: Policy,
        root: Path,
        *,
        overrides: CalendarFile | None = None,
        official_years: frozenset[int] | None = None,
    ) -> None:
        """`official_years` narrows the years taken from the package (tests pin it to a release's)."""
        self.policy = policy
        self.root = root
        self.file = overrides if overrides is not None else load_calendar_file(root, policy)
        self._official_years = official_years
        self._cache: dict[int, tuple[frozenset[dt.date], frozenset[dt.date], dict[dt.date, str]]] = {}

    # -- what is known ------------------------------------------------------------------------

    @cached_property
    def _package_years(self) -> frozenset[int]:
        """Read on first use: importing the holidays package takes ~0.3 s, and most runs count no working day."""
        years = package_years()
        return years & self._official_years if self._official_years is not None else years

    @cached_property
    def known_years(self) -> frozenset[int]:
        return self._package_years | frozenset(self.file.years)

    def knows(self, year: int) -> bool:
        return year in self.known_years

    def _unknown(self, year: int) -> UnknownYearError:
        pkg = sorted(self._package_years)
        have = (
            _("the holidays package knows {first}-{last}", first=pkg[0], last=pkg[-1])
            if pkg
            else _("the holidays package knows no year")
        )
        extra = sorted(y for y in self.file.years if y not in self._package_years)
        if extra:
            have += _(" and {file} adds {years}", file=self.file.path, years=", ".join(map(str, extra)))
        entry = f"`years: {year}: {{holidays: [...], workdays: [...]}}`"
        return UnknownYearError(
            year,
            _("no official holiday calendar for {year}: {have}", year=year, have=have),
            hint=_(
                "when the State Council announces {year}'s holidays, add them to {file} under {entry} "
                "(or upgrade the holidays package)",
                year=year,
                file=self.file.path,
                entry=entry,
            ),
        )

    def _year(self, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date], dict[dt.date, str]]:
        """(days off, weekend workdays, names) for `year`, merged from the package and the file."""
        if year in self._cache:
            return self._cache[year]
        if not self.knows(year):
            raise self._unknown(year)
        off: set[dt.date] = set()
        work: set[dt.date] = set()
        names: dict[dt.date, str] = {}
        if year in self._package_years:
            import holidays

            cn = holidays.country_holidays("CN", years=year, language="zh_CN")
            for day, name in cn.items():
                if day.year == year:
                    off.add(day)
                    names[day] = name
            work |= {d for d in cn.weekend_workdays if d.year == year}
        # A year's own entry, and a neighbour's entry reaching into it (a December workday for January).
        for y in (year - 1, year, year + 1):
            ov = self.file.years.get(y)
            if ov is None:
                continue
            for day in ov.holidays:
                if day.year == year:
                    off.add(day)
                    work.discard(day)
                    names.setdefault(day, ov.notice or "holiday")
            for day in ov.workdays:
                if day.year == year:
                    work.add(day)
                    off.discard(day)
                    names.pop(day, None)
        result = (frozenset(off), frozenset(work), names)
        self._cache[year] = result
        return result

    # -- questions ----------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        """True on a weekday that is not a day off, and on a weekend day worked in exchange (调休)."""
        off, work, _names = self._year(day.year)
        if day in work:
            return True
        return day.weekday() < 5 and day not in off

    def is_holiday(self, day: dt.date) -> bool:
        off = self._year(day.year)[0]
        return day in off

    def holiday_name(self, day: dt.date) -> str | None:
        return self._year(day.year)[2].get(day)

    def describe(self, day: dt.date) -> str:
        """`2026-10-06 (Tue, holiday: 国庆节)` — a date as messages show it."""
        wd = _(WEEKDAYS[day.weekday()])
        try:
            if self.is_working_day(day):
                kind = _("adjusted workday 调休上班") if day.weekday() >= 5 else _("working day")
            else:
                name = self.holiday_name(day)
                kind = _("holiday: {name}", name=name) if name else _("weekend")
        except UnknownYearError:
            kind = _("year not in the calendar")
        return _("{date} ({weekday}, {kind})", date=day.isoformat(), weekday=wd, kind=kind)

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The `n`th working day after `day` (n > 0) or before it (n < 0); `day` itself when n == 0."""
        step = 1 if n >= 0 else -1
        left = abs(n)
        current = day
        while left:
            current += dt.timedelta(days=step)
            if self.is_working_day(current):
                left -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Whole working days strictly after `start` and strictly before `end` (0 when end <= start + 1)."""
        count = 0
        day = start + dt.timedelta(days=1)
        while day < end:
            if self.is_working_day(day):
                count += 1
            day += dt.timedelta(days=1)
        return count
