"""The five roles: which pages each sees and which actions each may take.

Declared once here; `allowed()` (access/__init__.py) answers every question from these sets,
the navigation shows only a role's pages, and the CLI maps each command to an action.
"""

from __future__ import annotations

from dataclasses import dataclass

# every page of app.py by its url_path (the audit and access pages are the admin's)
DASHBOARD = ("overview", "compare", "trend", "unit")
MEETING = ("meeting", "ranking", "scores", "briefing")
ANALYSIS = ("records", "explore", "console")
DATA = ("snapshots", "data")
ADMIN = ("audit",)
SUBMISSIONS = ("submissions",)  # 报送审核: clerks submit, reviewers approve or return
REPORTING = ("reporting",)  # 报送情况: unit × month, 未报 / 待审核 / 已退回 / 已通过 / 逾期
FOLLOWUP = ("duban",)  # 督办: the items red lights open, followed until closed
ALL_PAGES = (*DASHBOARD, *MEETING, *ANALYSIS, *DATA, *ADMIN, *SUBMISSIONS, *REPORTING, *FOLLOWUP)

# actions that are not "see a page"
ACTIONS = (
    "view_figures",      # progress tables, charts, figure downloads
    "view_records",      # record-level rows (masked): record lists, explorer, console views
    "download_records",  # record lists and query results as files
    "query_sql",         # the SQL console and `target-monitor sql`
    "upload",            # extracts (a clerk: for its own unit only)
    "import_targets",    # 任务分解表
    "edit_work_items",   # assessment work items (考核评分)
    "build_snapshot",    # 月度快照
    "refresh_aggregates",
    "undo_import",       # imports list / undo, store compact / vacuum: the store's versions
    "generate_demo",
    "view_audit",
    "submit",            # 报送: a clerk submits its own unit's month for review (submissions/)
    "review",            # 审核: approve (the data then counts) or return a submission
)


@dataclass(frozen=True)
class Role:
    code: str
    zh: str
    en: str
    pages: frozenset[str]
    actions: frozenset[str]
    all_units: bool  # False: the actor's unit and the units under it only

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


ROLES: dict[str, Role] = {r.code: r for r in (
    Role("admin", "管理员", "Administrator", frozenset(ALL_PAGES), frozenset(ACTIONS), True),
    Role("leader", "领导", "Leader", frozenset((*DASHBOARD, *MEETING, "snapshots", *REPORTING, *FOLLOWUP)),
         frozenset({"view_figures", "build_snapshot"}), True),
    Role("analyst", "分析员", "Analyst",
         frozenset((*DASHBOARD, *MEETING, *ANALYSIS, "snapshots", *FOLLOWUP)),
         frozenset({"view_figures", "view_records", "download_records", "query_sql"}), True),
    Role("reviewer", "审核员", "Reviewer", frozenset((*DASHBOARD, "ranking", "records", "data", *SUBMISSIONS,
                                                    *REPORTING, *FOLLOWUP)),
         frozenset({"view_figures", "view_records", "download_records", "review"}), True),
    # compare and ranking only while clerks may see other units' figures (access.yaml settings)
    # snapshots: a clerk downloads its own unit's pack there, nothing else (pages/snapshots.py)
    Role("clerk", "街镇填报员", "Unit clerk", frozenset(("unit", "records", "data", "compare", "ranking", *SUBMISSIONS,
                                                    *REPORTING, *FOLLOWUP, "snapshots")),
         frozenset({"view_figures", "view_records", "download_records", "query_sql", "upload", "submit"}), False),
    # a 街镇's own leader: the first review level of its unit's submissions when submissions.yaml
    # has two levels; sees its unit's figures, no records
    Role("unit_leader", "街镇领导", "Unit leader", frozenset(("unit", *SUBMISSIONS, *REPORTING)),
         frozenset({"view_figures", "review"}), False),
)}

# pages that show other units' aggregate figures to a clerk (off with clerks_see_other_units: false)
OTHER_UNITS_PAGES = frozenset({"compare", "ranking"})

# the first page each role lands on
LANDING = {"admin": "overview", "leader": "overview", "analyst": "overview", "reviewer": "overview",
           "clerk": "unit", "unit_leader": "submissions"}


def role_by_name(name: str | None) -> Role | None:
    """A role from its code (admin) or its Chinese or English name (管理员, Administrator)."""
    if not name:
        return None
    text = str(name).strip()
    for role in ROLES.values():
        if text.lower() in (role.code, role.en.lower()) or text == role.zh:
            return role
    return None
