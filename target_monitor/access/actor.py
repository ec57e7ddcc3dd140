"""Who is asking: an Actor from the identity provider's claims, the CLI's --as, or local mode.

`access.yaml` (in the data directory's reference folder) maps users and groups to a role and a
unit; a user listed nowhere gets them from the configured OIDC claims when the provider sends
them, else no role (sees nothing). The demo file ships one user per role.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from target_monitor.access.roles import OTHER_UNITS_PAGES, ROLES, Role, role_by_name
from target_monitor.access.scope import Scope
from target_monitor.paths import reference_dir

ACCESS_FILE = "access.yaml"
LOCAL_USER = "local"  # the operator of a single-user local start and of the CLI without --as


class AccessConfigError(ValueError):
    """access.yaml cannot be read: nobody gets access (fail closed)."""


@dataclass(frozen=True)
class AccessConfig:
    users: dict[str, dict] = field(default_factory=dict)
    groups: dict[str, dict] = field(default_factory=dict)
    clerks_see_other_units: bool = True
    claims: dict[str, str] = field(default_factory=lambda: {"unit": "unit", "roles": "roles", "groups": "groups"})
    path: Path | None = None


def load_access(data_dir: Path) -> AccessConfig:
    """The access.yaml of the data directory's reference folder (no file: nobody is listed)."""
    path = reference_dir(Path(data_dir)) / ACCESS_FILE
    if not path.exists():
        return AccessConfig(path=None)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AccessConfigError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise AccessConfigError(f"{path}: not a mapping")
    settings = raw.get("settings") or {}
    claims = {"unit": "unit", "roles": "roles", "groups": "groups", **(settings.get("claims") or {})}
    users = {str(k).strip().lower(): dict(v or {}) for k, v in (raw.get("users") or {}).items()}
    groups = {str(k).strip(): dict(v or {}) for k, v in (raw.get("groups") or {}).items()}
    for name, entry in [*users.items(), *groups.items()]:
        if role_by_name(entry.get("role")) is None:
            raise AccessConfigError(f"{path}: {name}: unknown role {entry.get('role')!r}; "
                                    f"roles: {', '.join(ROLES)}")
    return AccessConfig(users=users, groups=groups,
                        clerks_see_other_units=bool(settings.get("clerks_see_other_units", True)),
                        claims=claims, path=path)


@dataclass(frozen=True)
class Actor:
    """A person (or the local operator) with at most one role and, for a clerk, a unit."""

    user: str
    role: Role | None
    unit: str | None = None
    source: str = "oidc"  # oidc | local | cli
    name: str = ""
    clerks_see_other_units: bool = True

    @property
    def role_code(self) -> str:
        return self.role.code if self.role else ""

    def pages(self) -> frozenset[str]:
        if self.role is None:
            return frozenset()
        pages = self.role.pages
        if not self.role.all_units and not self.clerks_see_other_units:
            pages = pages - OTHER_UNITS_PAGES
        return pages

    def scope(self, units) -> Scope:
        """The units this actor's reads may return (`units`: the reference Units tree)."""
        if self.role is None:
            return Scope(frozenset(), frozenset(), who=self.user)
        records = "view_records" in self.role.actions
        if self.role.all_units:
            return Scope(None if records else frozenset(), None, who=self.user)
        own = frozenset(units.subtree(self.unit)) if self.unit and self.unit in {u.code for u in units} else frozenset()
        return Scope(own if records else frozenset(), None if self.clerks_see_other_units else own, who=self.user)


def local_operator() -> Actor:
    """The single user of a local start, and the CLI without --as: 管理员."""
    try:
        name = getpass.getuser()
    except Exception:  # no user name in a container: still the operator
        name = ""
    return Actor(user=LOCAL_USER, role=ROLES["admin"], source="local", name=name)


def _claim_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def actor_from_claims(claims: dict, config: AccessConfig, source: str = "oidc") -> Actor:
    """The actor for a logged-in user's claims: access.yaml users, then groups, then the claims."""
    keys = [str(claims.get(k) or "").strip().lower() for k in ("email", "preferred_username", "sub")]
    user = next((k for k in keys if k), "")
    name = str(claims.get("name") or user)
    for k in keys:
        if k and k in config.users:
            entry = config.users[k]
            return Actor(user=user, role=role_by_name(entry.get("role")), unit=entry.get("unit"), source=source,
                         name=name, clerks_see_other_units=config.clerks_see_other_units)
    for group in _claim_list(claims.get(config.claims.get("groups", "groups"))):
        entry = config.groups.get(group.lstrip("/"))
        if entry is not None:
            unit = entry.get("unit") or claims.get(config.claims.get("unit", "unit"))
            return Actor(user=user, role=role_by_name(entry.get("role")), unit=unit, source=source, name=name,
                         clerks_see_other_units=config.clerks_see_other_units)
    roles = [r for r in (role_by_name(v) for v in _claim_list(claims.get(config.claims.get("roles", "roles")))) if r]
    if roles:
        # several roles in the claim: the widest wins (the order of ROLES is widest first)
        role = min(roles, key=lambda r: list(ROLES).index(r.code))
        unit = claims.get(config.claims.get("unit", "unit"))
        return Actor(user=user, role=role, unit=str(unit) if unit else None, source=source, name=name,
                     clerks_see_other_units=config.clerks_see_other_units)
    return Actor(user=user, role=None, source=source, name=name)


def actor_for_user(user: str, config: AccessConfig) -> Actor | None:
    """The CLI's --as USER: a user listed in access.yaml, else None."""
    entry = config.users.get(user.strip().lower())
    if entry is None:
        return None
    return Actor(user=user.strip().lower(), role=role_by_name(entry.get("role")), unit=entry.get("unit"),
                 source="cli", name=user, clerks_see_other_units=config.clerks_see_other_units)
