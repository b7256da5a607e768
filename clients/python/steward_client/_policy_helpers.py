"""Helpers for groups, subscription policies and enforcement
(``steward.v1.Groups``, ``steward.v1.Policies``, the identity template), in
the same style as ``_helpers``: plain arguments, unwrapped responses, every
page followed, enums by name."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ._helpers import enum_value

__all__ = ["PolicyHelpers"]

_GROUPS = "/steward.v1.Groups/"
_POLICIES = "/steward.v1.Policies/"
_USERS = "/steward.v1.Users/"


def _policy(name: str, access: int | str | None, data_sources: Iterable[str], scopes: Iterable[Any],
            users: Iterable[str], groups: Iterable[str]) -> dict[str, Any]:
    """A Policy as a dict. ``scopes`` are ``"KEY"``, ``"KEY/DATABASE"``,
    ``"KEY/DATABASE/SCHEMA"`` strings or ``DataSourceScope`` dicts."""
    def scope(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        parts = value.split("/", 2)
        return {"connection_key": parts[0], "database": parts[1] if len(parts) > 1 else "",
                "schema": parts[2] if len(parts) > 2 else ""}
    return {
        "name": name,
        "access": enum_value("steward.v1.PolicyAccess", access),
        "data_sources": list(data_sources),
        "scopes": [scope(s) for s in scopes],
        "subjects": [{"user_name": u} for u in users] + [{"group_name": g} for g in groups],
    }


class PolicyHelpers:
    """Mixed into StewardClient. Every helper takes ``timeout`` (seconds)."""

    # Provided by StewardClient (ServiceHelpers).
    def call(self, method_path: str, request: Any = None, timeout: float | None = None,
             metadata: Any = None, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def iterate_pages(self, method_path: str, request: Any, items_field: str, *,
                      timeout: float | None = None) -> Iterator[Any]:  # pragma: no cover
        raise NotImplementedError

    # -- groups --------------------------------------------------------------------

    def create_group(self, name: str, *, os_group: str = "", timeout: float | None = None) -> Any:
        """Creates a group (bound to ``os_group`` if given); returns the ``Group``."""
        return self.call(_GROUPS + "Create", {"name": name, "os_group": os_group}, timeout).group

    def get_group(self, name: str, *, timeout: float | None = None) -> Any:
        return self.call(_GROUPS + "Get", {"name": name}, timeout).group

    def list_groups(self, *, page_size: int = 0, timeout: float | None = None) -> Iterator[Any]:
        """Every ``Group``, by name, all pages."""
        return self.iterate_pages(_GROUPS + "List", {"page_size": page_size}, "groups", timeout=timeout)

    def add_group_members(self, group: str, users: Iterable[str], *, timeout: float | None = None) -> Any:
        """Adds users (idempotent); returns the ``Group``."""
        return self.call(_GROUPS + "AddMembers", {"group_name": group, "user_names": list(users)}, timeout).group

    def remove_group_member(self, group: str, user: str, *, timeout: float | None = None) -> Any:
        return self.call(_GROUPS + "RemoveMember", {"group_name": group, "user_name": user}, timeout).group

    def delete_group(self, name: str, *, timeout: float | None = None) -> None:
        self.call(_GROUPS + "Delete", {"name": name}, timeout)

    def import_group_members(self, csv: str, *, dry_run: bool = False, timeout: float | None = None) -> int:
        """Adds CSV rows ``group,user``, all or none; returns how many were (or would be)."""
        return self.call(_GROUPS + "ImportMembers", {"csv": csv, "dry_run": dry_run}, timeout).imported

    def identity_template(self, *, timeout: float | None = None) -> str:
        """The template deriving PostgreSQL usernames (``""``: none)."""
        return self.call(_USERS + "GetIdentityTemplate", {}, timeout).template

    def set_identity_template(self, template: str, *, timeout: float | None = None) -> str:
        """Sets it, e.g. ``"{name}_ro"``; ``""`` removes it."""
        return self.call(_USERS + "SetIdentityTemplate", {"template": template}, timeout).template

    # -- policies ------------------------------------------------------------------

    def create_policy(self, name: str, access: int | str, *, data_sources: Iterable[str] = (),
                      scopes: Iterable[Any] = (), users: Iterable[str] = (), groups: Iterable[str] = (),
                      dry_run: bool = False, timeout: float | None = None) -> Any:
        """Creates a policy: ``access`` ``"READ"`` or ``"WRITE"``; scopes as
        ``"KEY[/DATABASE[/SCHEMA]]"``. Returns the ``Policy``."""
        request = {"policy": _policy(name, access, data_sources, scopes, users, groups), "dry_run": dry_run}
        return self.call(_POLICIES + "Create", request, timeout).policy

    def get_policy(self, name: str, *, timeout: float | None = None) -> Any:
        return self.call(_POLICIES + "Get", {"name": name}, timeout).policy

    def list_policies(self, *, page_size: int = 0, timeout: float | None = None) -> Iterator[Any]:
        """Every ``Policy``, by name, all pages."""
        return self.iterate_pages(_POLICIES + "List", {"page_size": page_size}, "policies", timeout=timeout)

    def update_policy(self, name: str, *, access: int | str | None = None, data_sources: Iterable[str] | None = None,
                      scopes: Iterable[Any] | None = None, users: Iterable[str] | None = None,
                      groups: Iterable[str] | None = None, expected_revision: int = 0, dry_run: bool = False,
                      timeout: float | None = None) -> Any:
        """Changes the parts given (``users``/``groups`` replace the subjects);
        returns the ``Policy`` as it is (or, with ``dry_run``, would be)."""
        paths = [path for path, value in (("access", access), ("data_sources", data_sources), ("scopes", scopes))
                 if value is not None]
        if users is not None or groups is not None:
            paths.append("subjects")
        policy = _policy(name, access, data_sources or (), scopes or (), users or (), groups or ())
        request = {"name": name, "policy": policy, "update_paths": paths, "dry_run": dry_run,
                   "expected_revision": expected_revision}
        return self.call(_POLICIES + "Update", request, timeout).policy

    def delete_policy(self, name: str, *, timeout: float | None = None) -> None:
        """Deletes the policy; the enforcement that follows revokes its grants."""
        self.call(_POLICIES + "Delete", {"name": name}, timeout)

    def enforce(self, connection_key: str, *, dry_run: bool = False, timeout: float | None = None) -> Any:
        """``EnforceResponse``: the plan (``dry_run``) or what was done, per database."""
        return self.call(_POLICIES + "Enforce", {"connection_key": connection_key, "dry_run": dry_run}, timeout)

    def list_subscribers(self, data_source: str, *, timeout: float | None = None) -> list[Any]:
        """The ``Subscriber``s of a data source, by user name."""
        return list(self.call(_POLICIES + "ListSubscribers", {"data_source": data_source}, timeout).subscribers)
