"""Who is changing the workspace, and whether their role allows it.

Roles and their actions are data (``roles.toml``): viewer (look, search, export), editor
(import, draw, edit, delete, check), admin (accounts, restore, reference layers, settings);
each role may do what the roles before it may. A :class:`Workspace` bound to an
:class:`Actor` checks every change against the actor's role and records the change under
the actor's name, so a forged request from the page is refused by the core itself.

Without sign-in (a single planner on their own machine, and the command line acting as the
operating-system user) the workspace acts for :data:`OWNER`, who may do everything.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geo_app.problems import Lang, Words, error
from geo_app.workspace.errors import WorkspaceError, refusal

ROLES_TOML = Path(__file__).with_name("roles.toml")


@dataclass(frozen=True)
class Roles:
    order: tuple[str, ...]
    # Role -> every action it may do (its own and those of the roles before it).
    allowed: dict[str, frozenset[str]]
    names: dict[str, dict[str, str]]
    actions: dict[str, dict[str, str]]

    def label(self, role: str, lang: Lang) -> str:
        return self.names[role][lang]

    def action_label(self, action: str, lang: Lang) -> str:
        return self.actions[action][lang]

    def least_role_for(self, action: str) -> str:
        return next(role for role in self.order if action in self.allowed[role])


@lru_cache(maxsize=1)
def roles() -> Roles:
    with ROLES_TOML.open("rb") as handle:
        document = tomllib.load(handle)
    order = tuple(document["roles"])
    allowed: dict[str, frozenset[str]] = {}
    so_far: set[str] = set()
    for role in order:
        so_far |= set(document["roles"][role]["actions"])
        allowed[role] = frozenset(so_far)
    names = {role: {"zh": e["zh"], "en": e["en"]} for role, e in document["roles"].items()}
    return Roles(order, allowed, names, dict(document["actions"]))


ROLE_NAMES: tuple[str, ...] = roles().order


class NotAllowedError(WorkspaceError):
    """The actor's role does not allow the change; nothing was written."""


@dataclass(frozen=True)
class Actor:
    """A signed-in account (or the owner of an unshared workspace) and its role."""

    name: str
    role: str
    # How the actor was recognised: "owner", "password", "header", "oidc", or "cli" (an
    # account named on the command line).
    via: str = "owner"

    def may(self, action: str) -> bool:
        return action in roles().allowed.get(self.role, frozenset())

    def require(self, action: str) -> None:
        if self.may(action):
            return
        table = roles()
        needed = table.least_role_for(action)
        raise NotAllowedError(error(
            "not_allowed", user=self.name,
            role=_both(table.names[self.role]), action=_both(table.actions[action]),
            needed=_both(table.names[needed]),
        ))


def _both(entry: dict[str, str]) -> Words:
    return Words(entry["zh"], entry["en"])


# The single planner of an unshared workspace, and the command line run by the OS user.
OWNER = Actor(name="", role="admin", via="owner")


def checked_role(role: str) -> str:
    if role not in roles().allowed:
        raise refusal("unknown_role", role=role, roles=", ".join(ROLE_NAMES))
    return role


__all__ = ["OWNER", "ROLE_NAMES", "Actor", "NotAllowedError", "actor_arguments", "actor_from",
           "checked_role", "roles"]


def actor_arguments(actor: Actor) -> dict[str, dict[str, str]]:
    """The actor as a worker's job arguments (nothing for the owner)."""
    if actor == OWNER:
        return {}
    return {"actor": {"name": actor.name, "role": actor.role, "via": actor.via}}


def actor_from(arguments: dict) -> Actor:
    """The actor a worker acts for, from its job arguments (the server put it there)."""
    given = arguments.get("actor")
    if not given:
        return OWNER
    return Actor(str(given["name"]), checked_role(str(given["role"])), via=str(given["via"]))
