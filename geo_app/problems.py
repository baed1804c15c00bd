"""What is wrong with an input file, said in plain words in Chinese and English.

Reading and validation both report through ``Problem`` so that the CLI and the app can
print one line per problem, in the user's language, whichever step found it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


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
        if lang == "zh":
            subject = f"要素 {self.feature}：" if self.feature is not None else "文件："
            prefix = "警告：" if self.severity == "warning" else ""
        else:
            subject = f"feature {self.feature}: " if self.feature is not None else "file: "
            prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{subject}{self.message(lang)}"


def error(code: str, zh: str, en: str, feature: str | None = None) -> Problem:
    return Problem("error", code, zh, en, feature)


def warning(code: str, zh: str, en: str, feature: str | None = None) -> Problem:
    return Problem("warning", code, zh, en, feature)


class InputError(ValueError):
    """The input cannot be used at all; carries the problem that says why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message_en)
        self.problem = problem
