"""What is wrong with an input file, said in plain words in Chinese and English.

Reading and validation both report through ``Problem`` so that the CLI and the app can
print one line per problem, in the user's language, whichever step found it.

The words are in ``strings.toml``. A problem is built from its name and the values its text
needs: ``error("too_deep.measured", depth=70, limit=64)`` reads ``problem.too_deep.measured``
and has the code ``too_deep``. The name is the code, followed by ``.variant`` when one code
is said in more than one way. Values arrive formatted as they are to be printed (numbers with
their decimals); a value that is itself words, such as a JSON type, is given as
:class:`Words` so each language gets its own. Texts under ``problem.`` and
``problem_words.`` are always filled in, so a literal brace is written ``{{`` there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from geo_app.i18n import LANGS as I18N_LANGS
from geo_app.i18n import load_strings, t

Severity = Literal["error", "warning"]
Lang = Literal["zh", "en"]
# The product's languages, as i18n lists them (the one list), typed for problems.
LANGS: tuple[Lang, ...] = I18N_LANGS  # type: ignore[assignment]


@dataclass(frozen=True)
class Words:
    """One piece of text in each language, to fill into a problem's text."""

    zh: str
    en: str

    def in_lang(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


def _filled(text: str, lang: Lang, values: Mapping[str, Any]) -> str:
    in_lang = {
        name: value.in_lang(lang) if isinstance(value, Words) else value
        for name, value in values.items()
    }
    return text.format(**in_lang)


def _both(key: str, values: Mapping[str, Any]) -> Words:
    """The strings.toml text ``key`` filled with ``values``, in each language."""
    strings = load_strings()
    return Words(*(_filled(strings.get(key, lang), lang, values) for lang in LANGS))


def words(name: str, /, **values: Any) -> Words:
    """The words ``problem_words.<name>`` in both languages (a type, a hint, a note)."""
    return _both(f"problem_words.{name}", values)


@dataclass(frozen=True)
class Problem:
    severity: Severity
    # A stable machine-readable name, e.g. "self_intersection"; tests and tools match on it.
    code: str
    message_zh: str
    message_en: str
    # The feature's ``id`` property, or "#<index>" when it has none; None for the whole file.
    feature: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def message(self, lang: Lang = "zh") -> str:
        return self.message_zh if lang == "zh" else self.message_en

    def line(self, lang: Lang = "zh") -> str:
        """One printable line: ``feature p-1: reason``, prefixed ``warning:`` for warnings."""
        subject = "file" if self.feature is None else "feature"
        return t(
            f"problem_line.{self.severity}.{subject}",
            lang,
            feature=self.feature,
            message=self.message(lang),
        )

    def with_feature(self, feature: str | None) -> Problem:
        """The same problem, said of ``feature``."""
        return replace(self, feature=feature)

    def noted(self, name: str, /, *, severity: Severity | None = None, **values: Any) -> Problem:
        """The problem with the note ``problem_words.<name>`` added to its text."""
        note = words(name, **values)
        return replace(
            self,
            severity=severity or self.severity,
            message_zh=self.message_zh + note.zh,
            message_en=self.message_en + note.en,
        )


def _problem(
    severity: Severity, name: str, feature: str | None, values: Mapping[str, Any]
) -> Problem:
    texts = _both(f"problem.{name}", values)
    code = name.partition(".")[0]
    return Problem(severity, code, texts.zh, texts.en, feature)


def error(name: str, /, *, feature: str | None = None, **values: Any) -> Problem:
    """The error ``problem.<name>`` of strings.toml, its text filled with ``values``."""
    return _problem("error", name, feature, values)


def warning(name: str, /, *, feature: str | None = None, **values: Any) -> Problem:
    """The warning ``problem.<name>`` of strings.toml, its text filled with ``values``."""
    return _problem("warning", name, feature, values)


class GeoAppError(Exception):
    """The one family of errors the product tells its users about.

    Each carries a :class:`Problem`, its words in both languages, so the command line and
    the app catch ``GeoAppError`` once, at their edge, and say it in the user's language.
    """

    # The command line's exit code: 1, the input cannot be used; 2, the command is wrong.
    exit_code = 1

    def __init__(self, problem: Problem):
        super().__init__(problem.message_en)
        self.problem = problem

    def message(self, lang: Lang = "zh") -> str:
        return self.problem.message(lang)

    def line(self, lang: Lang = "zh") -> str:
        """What the command line prints: the message (input errors add their subject)."""
        return self.problem.message(lang)


def said(key: str, /, **values: Any) -> Problem:
    """An error whose words are the strings.toml text ``key``, in both languages."""
    texts = _both(key, values)
    return Problem("error", key, texts.zh, texts.en)


class InputError(GeoAppError, ValueError):
    """The input cannot be used at all; carries the problem that says why."""

    def line(self, lang: Lang = "zh") -> str:
        return self.problem.line(lang)


class KeyedError(GeoAppError, ValueError):
    """An error said by a strings.toml text ``key`` filled with ``values``."""

    def __init__(self, key: str, /, **values: Any):
        self.key, self.values = key, values
        super().__init__(said(key, **values))


class DataError(GeoAppError, ValueError):
    """Data the product ships or is configured with breaks its contract. ``detail`` is the
    maintainer's English (file, entry and rule); the frame around it is in both languages."""

    frame = "error.data"

    def __init__(self, detail: str):
        self.detail = str(detail)
        super().__init__(said(self.frame, reason=self.detail))

    def __str__(self) -> str:
        return self.detail


class SettingsError(DataError):
    """A setting (a basemap entry, an approval number, a map option) cannot be used."""

    frame = "error.settings"


# Feature problems of one kind shown in full before the rest are summed up in one line.
SHOWN_PER_KIND = 3


def summarised(
    problems: list[Problem], shown: int = SHOWN_PER_KIND, keep_all: frozenset[str] = frozenset()
) -> list[Problem]:
    """Errors first, then warnings; of each kind of feature problem the first ``shown``,
    then one line with how many more and their first ids. Codes in ``keep_all`` (each line
    a finding the planner acts on one by one) are never summed up."""
    ordered = [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in ordered:
        if problem.feature is not None and problem.code not in keep_all:
            groups.setdefault((problem.severity, problem.code), []).append(problem)
    out: list[Problem] = []
    placed: set[tuple[str, str]] = set()
    for problem in ordered:
        key = (problem.severity, problem.code)
        if problem.feature is None or problem.code in keep_all or len(groups[key]) <= shown + 1:
            out.append(problem)
            continue
        if key in placed:
            continue
        placed.add(key)
        group = groups[key]
        out += group[:shown]
        rest = group[shown:]
        examples = ", ".join(str(p.feature) for p in rest[:shown])
        summary = _problem(
            problem.severity,
            "summary",
            None,
            {"what": Words(rest[0].message_zh, rest[0].message_en), "count": len(rest),
             "examples": examples},
        )
        out.append(Problem(summary.severity, problem.code, summary.message_zh,
                           summary.message_en, None))
    return out
