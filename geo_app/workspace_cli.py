"""``geo-app import``, ``history`` and ``restore``: the workspace on the command line.

Also the ``--workspace`` option that ``totals`` and ``export`` share: given (or set with
``GEO_APP_DATA``), their parcels come from the workspace; otherwise the shipped sample
parcels are used, as before the workspace existed.
"""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Mapping
from typing import Any

from geo_app.cli_support import (
    EXIT_INPUT,
    EXIT_OK,
    Command,
    Console,
    Translate,
    add_crs_argument,
    add_json_argument,
    table_lines,
)
from geo_app.i18n import t
from geo_app.problems import Problem
from geo_app.workspace import (
    DATA_ENV,
    HistoryEntry,
    Workspace,
    configured_data_dir,
    resolve_data_dir,
    workspace_ledger,
)


def add_workspace_argument(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "--workspace",
        metavar="DIR",
        help=tr(
            f"工作区文件夹（默认取环境变量 {DATA_ENV}，再默认为用户数据文件夹）",
            f"workspace folder (default: ${DATA_ENV}, else the per-user data folder)",
        ),
    )


def _add_user(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "--user",
        metavar="NAME",
        help=tr(
            "记入修改历史的姓名（默认：登录名）", "name recorded in the history (default: login)"
        ),
    )


def _user(args: argparse.Namespace) -> str:
    if args.user and args.user.strip():
        return args.user.strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def configured_ledger(explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> Any:
    """The workspace's ledger when a workspace is given or configured, else the shipped one."""
    from geo_app.ledger import default_ledger

    directory = configured_data_dir(explicit, environ)
    if directory is None:
        return default_ledger()
    return workspace_ledger(Workspace.open(directory))


def workspace_ledger_or_none(explicit: str | None = None) -> Any:
    """For exports: None (their own default) unless a workspace is given or configured."""
    if configured_data_dir(explicit) is None:
        return None
    return configured_ledger(explicit)


# --- import -------------------------------------------------------------------------------


def _import_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "file",
        metavar="FILE",
        help=tr(
            "地块文件：GeoJSON、GeoPackage、zip 压缩的 Shapefile、KML、KMZ、"
            "CSV/XLSX（WKT 列或逐点坐标）、界址点坐标 TXT",
            "parcels file: GeoJSON, GeoPackage, zipped Shapefile, KML, KMZ, CSV/XLSX (a WKT "
            "column or one vertex per row), 界址点 coordinate text",
        ),
    )
    add_crs_argument(parser, tr)
    add_workspace_argument(parser, tr)
    _add_user(parser, tr)
    parser.add_argument(
        "--replace",
        action="store_true",
        help=tr(
            "用文件中的地块替换工作区中的全部地块（可从历史恢复）",
            "replace all the workspace's parcels with the file's (restorable from the history)",
        ),
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help=tr(
            "自动修复自相交的地块（显示面积变化）",
            "repair self-intersecting parcels (the change in hectares is shown)",
        ),
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=tr("只检查，不写入", "check only, write nothing"),
    )
    add_json_argument(parser, tr)


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "severity": problem.severity,
        "code": problem.code,
        "feature": problem.feature,
        "message_zh": problem.message_zh,
        "message_en": problem.message_en,
    }


def _run_import(args: argparse.Namespace, console: Console) -> int:
    from geo_app.importing import import_file

    workspace = Workspace.open(resolve_data_dir(args.workspace))
    result = import_file(
        workspace,
        args.file,
        _user(args),
        crs=args.crs,
        replace=args.replace,
        repair=args.repair,
        dry_run=args.dry_run,
    )
    plan, outcome = result.plan, result.outcome
    ledger = workspace_ledger(workspace) if outcome is not None else None
    if args.json:
        console.json(
            {
                "workspace": str(workspace.path),
                "file": plan.source,
                "format": plan.data.format_name if plan.data is not None else None,
                "crs": plan.data.source_crs.key if plan.data is not None else None,
                "crs_origin": plan.data.crs_origin if plan.data is not None else None,
                "imported": outcome is not None,
                "parcel_count": len(plan.parcels),
                "hectares": plan.hectares,
                "removed": list(outcome.removed) if outcome else [],
                "batch_id": outcome.batch_id if outcome else None,
                "workspace_total_ha": ledger.total_ha if ledger is not None else None,
                "problems": [_problem_json(p) for p in plan.problems],
            }
        )
    else:
        console.problems(plan.problems, console.out)
        for line in _import_summary(plan, outcome, ledger, workspace, console.lang, console.text):
            console.print(line)
    return EXIT_OK if plan.ok else EXIT_INPUT


def _import_summary(
    plan: Any, outcome: Any, ledger: Any, workspace: Workspace, lang: str, tr: Translate
) -> list[str]:
    lines: list[str] = []
    data = plan.data
    if data is not None:
        origin = t(f"crs_origin.{data.crs_origin}", lang)
        lines.append(
            tr(
                f"文件 {plan.source}：{data.format_name}，坐标系 {data.source_crs.key}"
                f"（{origin}）",
                f"file {plan.source}: {data.format_name}, coordinate system "
                f"{data.source_crs.key} ({origin})",
            )
        )
    count, ha = len(plan.parcels), plan.hectares
    if not plan.ok:
        errors = len(plan.errors)
        lines.append(
            tr(
                f"未导入任何地块：发现 {errors} 个错误，请修改文件后重试",
                f"nothing was imported: {errors} error(s) found; fix the file and try again",
            )
        )
        return lines
    if outcome is None:
        lines.append(
            tr(
                f"检查通过（未写入）：{count} 个地块，共 {ha:,.4f} 公顷",
                f"check passed (nothing written): {count} parcels, {ha:,.4f} ha",
            )
        )
        return lines
    lines.append(
        tr(
            f"已导入 {count} 个地块，共 {ha:,.4f} 公顷（批次 {outcome.batch_id}）",
            f"imported {count} parcels, {ha:,.4f} ha (batch {outcome.batch_id})",
        )
    )
    if outcome.removed:
        what = tr("示例地块", "sample parcels")
        if not outcome.removed_samples:
            what = tr("地块", "parcels")
        lines.append(
            tr(
                f"移除原有{what} {len(outcome.removed)} 个（{outcome.hectares_removed:,.4f} 公顷，"
                "可从历史恢复）",
                f"removed {len(outcome.removed)} earlier {what} "
                f"({outcome.hectares_removed:,.4f} ha, restorable from the history)",
            )
        )
    lines.append(
        tr(
            f"工作区合计 {ledger.total_ha:,.2f} 公顷，目标 {ledger.target_ha:g} 公顷，"
            f"缺口 {ledger.gap_ha:,.2f} 公顷",
            f"workspace total {ledger.total_ha:,.2f} ha, target {ledger.target_ha:g} ha, "
            f"gap {ledger.gap_ha:,.2f} ha",
        )
    )
    lines.append(tr(f"工作区：{workspace.path}", f"workspace: {workspace.path}"))
    return lines


# --- history and restore ------------------------------------------------------------------

_ACTIONS = {
    "insert": ("新增", "insert"),
    "update": ("修改", "update"),
    "delete": ("删除", "delete"),
    "import": ("导入", "import"),
    "restore": ("恢复", "restore"),
}


def _history_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument("--parcel", metavar="ID", help=tr("只看这个地块", "only this parcel"))
    parser.add_argument(
        "--limit", type=int, default=50, metavar="N", help=tr("最多几条（默认 50）", "at most N")
    )
    add_workspace_argument(parser, tr)
    add_json_argument(parser, tr)


def _entry_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "user": entry.user,
        "action": entry.action,
        "parcel_id": entry.parcel_id,
        "batch_id": entry.batch_id,
        "version_before": entry.version_before,
        "version_after": entry.version_after,
        "before": entry.before_properties,
        "after": entry.after_properties,
    }


def _run_history(args: argparse.Namespace, console: Console) -> int:
    workspace = Workspace.open(resolve_data_dir(args.workspace))
    entries = workspace.history(args.parcel, limit=max(args.limit, 1))
    if args.json:
        console.json([_entry_json(e) for e in entries])
        return EXIT_OK
    tr = console.text
    if not entries:
        console.print(tr("没有修改记录", "no changes recorded"))
        return EXIT_OK
    rows = [[tr("序号", "no."), tr("时间（UTC）", "time (UTC)"), tr("修改人", "user"),
             tr("操作", "action"), tr("地块", "parcel"), tr("版本", "version")]]
    for e in entries:
        versions = f"{e.version_before or '—'} → {e.version_after or '—'}"
        rows.append([str(e.id), e.at, e.user, tr(*_ACTIONS[e.action]), e.parcel_id, versions])
    for line in table_lines(rows):
        console.print(line)
    return EXIT_OK


def _restore_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument("parcel", metavar="ID", help=tr("地块编号", "parcel id"))
    parser.add_argument("version", type=int, metavar="VERSION", help=tr("要恢复的版本", "version"))
    parser.add_argument(
        "--expect-version",
        type=int,
        metavar="N",
        help=tr(
            "只在地块当前仍是第 N 版时恢复（防止覆盖他人的修改）",
            "restore only if the parcel is still at version N (guards others' edits)",
        ),
    )
    add_workspace_argument(parser, tr)
    _add_user(parser, tr)


def _run_restore(args: argparse.Namespace, console: Console) -> int:
    workspace = Workspace.open(resolve_data_dir(args.workspace))
    parcel = workspace.restore(args.parcel, args.version, _user(args), args.expect_version)
    console.print(
        console.text(
            f"地块 {parcel.parcel_id} 已恢复为第 {args.version} 版的内容"
            f"（现为第 {parcel.version} 版）",
            f"parcel {parcel.parcel_id} restored to version {args.version} "
            f"(now version {parcel.version})",
        )
    )
    return EXIT_OK


def workspace_commands() -> list[Command]:
    """The entries for the ``geo-app`` command registry."""
    return [
        Command(
            "import",
            "把地块文件导入工作区（整体导入或不导入）",
            "import a parcels file into the workspace (all of it or nothing)",
            _import_arguments,
            _run_import,
        ),
        Command(
            "history",
            "工作区的修改历史",
            "the workspace's change history",
            _history_arguments,
            _run_history,
        ),
        Command(
            "restore",
            "把地块恢复为历史上的某一版",
            "restore a parcel to an earlier version",
            _restore_arguments,
            _run_restore,
        ),
    ]
