"""Why the workspace refuses a change or cannot be used, in Chinese and English."""

from __future__ import annotations

from collections.abc import Sequence

from geo_app.problems import InputError, error


class WorkspaceError(InputError):
    """The workspace cannot be used, or a change to it is refused; ``problem`` says why."""


def refusal(code: str, zh: str, en: str, feature: str | None = None) -> WorkspaceError:
    return WorkspaceError(error(code, zh, en, feature))


class StaleEditError(WorkspaceError):
    """The parcel changed since the version the edit was made on."""

    def __init__(self, parcel_id: str, expected: int, current: int | None):
        self.parcel_id, self.expected, self.current = parcel_id, expected, current
        if current is None:
            zh = f"编辑基于第 {expected} 版，但该地块已被他人删除；请刷新后再改"
            en = f"the edit was made on version {expected}, but the parcel has since been deleted"
            en += "; reload and try again"
        else:
            zh = (
                f"编辑基于第 {expected} 版，但该地块已被他人改为第 {current} 版；"
                "未覆盖，请刷新后再改"
            )
            en = (
                f"the edit was made on version {expected}, but the parcel is now at version "
                f"{current} (changed by someone else); nothing was overwritten, reload and "
                "try again"
            )
        super().__init__(error("stale_edit", zh, en, parcel_id))


class ParcelNotFoundError(WorkspaceError):
    def __init__(self, parcel_id: str, version: int | None = None):
        if version is None:
            problem = error("no_such_parcel", "工作区中没有这个地块", "no such parcel in the "
                            "workspace", parcel_id)
        else:
            problem = error(
                "no_such_version",
                f"没有第 {version} 版的记录",
                f"there is no recorded version {version}",
                parcel_id,
            )
        super().__init__(problem)


class DuplicateParcelError(WorkspaceError):
    def __init__(self, parcel_ids: Sequence[str], replace_hint: bool = True):
        listed = ", ".join(parcel_ids[:10]) + (" …" if len(parcel_ids) > 10 else "")
        hint_zh = "；如要用文件整体替换工作区中的地块，请加 --replace" if replace_hint else ""
        hint_en = "; to replace the workspace's parcels with the file, add --replace"
        super().__init__(
            error(
                "parcel_exists",
                f"工作区中已有这些地块编号：{listed}{hint_zh}",
                f"the workspace already has parcels with these ids: {listed}"
                + (hint_en if replace_hint else ""),
            )
        )
        self.parcel_ids = list(parcel_ids)
