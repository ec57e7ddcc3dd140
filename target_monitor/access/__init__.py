"""Who may see and do what.

An *actor* (who is asking: access/actor.py) asks whether it may take an *action* on a
*resource*; `allowed()` is the one function that answers, and it denies by default (the
pattern of Datasette's permissions). Reads are not checked page by page: the actor's `Scope`
(access/scope.py) is set for the thread of work and the store applies it under every query,
so a read without a scope returns nothing.

    page:<url_path>       see a page (the navigation lists only these)
    <action>              an action of roles.ACTIONS, optionally on a unit:
    upload, unit:<code>   a clerk uploads for its own unit only
"""

from __future__ import annotations

from target_monitor.access.actor import (
    LOCAL_USER, AccessConfig, AccessConfigError, Actor, actor_for_user, actor_from_claims, load_access,
    local_operator,
)
from target_monitor.access.roles import ALL_PAGES, LANDING, ROLES, Role, role_by_name
from target_monitor.access.scope import EVERYTHING, NOTHING, Scope, current, set_current, using

__all__ = [
    "ALL_PAGES", "EVERYTHING", "LANDING", "LOCAL_USER", "NOTHING", "ROLES", "AccessConfig", "AccessConfigError",
    "Actor", "Role", "Scope", "actor_for_user", "actor_from_claims", "allowed", "current", "explain",
    "load_access", "local_operator", "role_by_name", "set_current", "using",
]


def explain(actor: Actor | None, action: str, resource: str | None = None) -> tuple[bool, str]:
    """(allowed, why): the decision and the rule that made it, in English (the admin's debug view)."""
    if actor is None or actor.role is None:
        return False, "no role: the user is not in access.yaml and the provider sent no role claim"
    role = actor.role
    if action.startswith("page:"):
        page = action.removeprefix("page:")
        if page in actor.pages():
            return True, f"role {role.code} sees page {page}"
        return False, f"role {role.code} does not see page {page}"
    if action not in role.actions:
        return False, f"role {role.code} may not {action}"
    if resource and resource.startswith("unit:") and not role.all_units:
        unit = resource.removeprefix("unit:")
        if not actor.unit:
            return False, f"role {role.code} has no unit in access.yaml"
        if action in ("upload", "submit"):  # uploads: the clerk's own unit only, not the units under it
            ok = unit == actor.unit
            return ok, (f"{actor.user} uploads for {actor.unit}" if ok
                        else f"{actor.user} uploads for {actor.unit} only, not {unit}")
        return True, f"role {role.code} may {action} within its units"
    return True, f"role {role.code} may {action}"


def allowed(actor: Actor | None, action: str, resource: str | None = None) -> bool:
    """May `actor` take `action` (on `resource`)? Default deny."""
    return explain(actor, action, resource)[0]


def outside_units(parsed, actor: Actor | None) -> list[str]:
    """The unit codes of a parsed upload's accepted rows that `actor` may not upload for (a clerk:
    every unit but its own). Empty when the actor may upload them all."""
    frame = getattr(parsed, "accepted", None)
    codes = set(frame["unit_code"].dropna().astype(str)) if frame is not None and "unit_code" in frame else set()
    return sorted(c for c in codes if not allowed(actor, "upload", "unit:" + c))
