"""Everyday helpers over the generic calls: they take plain arguments, unwrap
responses, follow pages and accept enum values by name. Everything they do
can also be done with ``client.call`` or the service stubs."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from . import _pool

if TYPE_CHECKING:
    from .client import ServerStream

__all__ = ["ServiceHelpers", "enum_value"]

_HEALTH = "/grpc.health.v1.Health/"
_SERVER = "/steward.v1.Server/"
_CONNECTIONS = "/steward.v1.Connections/"
_DATA_SOURCES = "/steward.v1.DataSources/"
_USERS = "/steward.v1.Users/"
_AUDIT = "/steward.v1.Audit/List"

# Enum fields of ConnectionSettings that the helpers take by short name.
_SETTINGS_ENUMS = {"deployment_type": "steward.v1.DeploymentType", "ssl_mode": "steward.v1.SslMode"}


def enum_value(enum_full_name: str, value: int | str | None) -> int:
    """The number of an enum value given as a number, its name, or its name
    without the enum's prefix, in any case with ``-`` for ``_``::

        enum_value("steward.v1.Permission", "user-admin")  # PERMISSION_USER_ADMIN, 2

    None is the enum's zero value (UNSPECIFIED). Raises ValueError for a
    name the enum does not have.
    """
    if value is None:
        return 0
    if not isinstance(value, str):
        return int(value)
    enum = _pool.enum_type(enum_full_name)
    name = value.strip().upper().replace("-", "_")
    names = enum.keys()
    prefix = _common_prefix(names)
    for candidate in (name, prefix + name):
        if candidate in names:
            return enum.Value(candidate)
    choices = ", ".join(n[len(prefix):] for n in names if not n.endswith("_UNSPECIFIED"))
    raise ValueError(f"{value!r} is not a {enum_full_name} (one of {choices})")


def _common_prefix(names: list[str]) -> str:
    """``CONNECTION_STATE_`` for the enum whose zero is CONNECTION_STATE_UNSPECIFIED."""
    first = names[0]
    return first[: -len("UNSPECIFIED")] if first.endswith("_UNSPECIFIED") else ""


def _unix_ms(when: datetime.datetime | float | int | None) -> int:
    """A datetime (naive ones are local time), or seconds since the epoch, in ms."""
    if when is None:
        return 0
    seconds = when.timestamp() if isinstance(when, datetime.datetime) else float(when)
    return int(round(seconds * 1000))


class ServiceHelpers:
    """Mixed into StewardClient. Every helper takes ``timeout`` (seconds)."""

    # Provided by StewardClient.
    def call(self, method_path: str, request: Any = None, timeout: float | None = None,
             metadata: Any = None, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def stream(self, method_path: str, request: Any = None, timeout: float | None = None,
               metadata: Any = None, **kwargs: Any) -> ServerStream:  # pragma: no cover
        raise NotImplementedError

    def iterate_pages(self, method_path: str, request: Any, items_field: str, *,
                      timeout: float | None = None) -> Iterator[Any]:
        """Yields the items of every page of a paged List method, following
        ``next_page_token`` until it is empty (one call per page, each with
        ``timeout``). ``request`` is the first page's request, a message or dict."""
        request_class = _pool.message_class(_pool.find_method(method_path).input_type.full_name)
        request = request_class(**request) if isinstance(request, Mapping) else request
        page = request_class()
        page.CopyFrom(request)
        while True:
            response = self.call(method_path, page, timeout)
            yield from getattr(response, items_field)
            if not response.next_page_token:
                return
            page.page_token = response.next_page_token

    # -- health and server ---------------------------------------------------------

    def health_check(self, service: str = "", *, timeout: float | None = None) -> int:
        """The serving status (``health_v1.HealthCheckResponse.SERVING``...) of
        the daemon, or of one of its services (e.g. ``"steward.v1.Users"``);
        NOT_FOUND for a service it does not serve."""
        return self.call(_HEALTH + "Check", {"service": service}, timeout).status

    def watch_health(self, service: str = "", *, timeout: float | None = None) -> ServerStream:
        """Streams ``HealthCheckResponse``: the current status, then each change."""
        return self.stream(_HEALTH + "Watch", {"service": service}, timeout)

    def server_info(self, *, timeout: float | None = None) -> Any:
        """``ServerInfoResponse``: version, uptime, store backend, limits, pid..."""
        return self.call(_SERVER + "Info", None, timeout)

    def server_stats(self, *, timeout: float | None = None) -> Any:
        """``ServerStatsResponse``: connections, calls by method and status, latencies."""
        return self.call(_SERVER + "Stats", None, timeout)

    def whoami(self, *, timeout: float | None = None) -> Any:
        """``WhoAmIResponse``: the caller's uid, gid and pid as the kernel reports
        them, and the Steward user and permissions the daemon knows them by."""
        return self.call(_SERVER + "WhoAmI", None, timeout)

    # -- connections ---------------------------------------------------------------

    def register_connection(self, display_name: str, settings: Any = None, *,
                            timeout: float | None = None, **settings_fields: Any) -> Any:
        """Registers a connection and returns it (``Connection``, REGISTERED).

        ``settings`` is a ``ConnectionSettings`` (or dict), or give its fields
        as keywords; enums by short name::

            client.register_connection(
                "sales", deployment_type="SELF_MANAGED", host="db.internal", port=5432,
                state_database="steward_state", governed_databases=["sales"],
                username="steward", password=password)
        """
        request = {"display_name": display_name, "settings": _settings(settings, settings_fields)}
        return self.call(_CONNECTIONS + "Register", request, timeout).connection

    def get_connection(self, key: str, *, timeout: float | None = None) -> Any:
        """The ``Connection`` with its last validation (password ``[REDACTED]``)."""
        return self.call(_CONNECTIONS + "Get", {"key": key}, timeout).connection

    def list_connections(self, state: int | str | None = None, *, page_size: int = 0,
                         timeout: float | None = None) -> Iterator[Any]:
        """Every ``Connection``, or those in ``state`` (e.g. ``"ACTIVE"``), all pages."""
        request = {"state": enum_value("steward.v1.ConnectionState", state), "page_size": page_size}
        return self.iterate_pages(_CONNECTIONS + "List", request, "connections", timeout=timeout)

    def update_connection(self, key: str, *, dry_run: bool = False, expected_revision: int = 0,
                          keep_password: bool = False, timeout: float | None = None,
                          **changes: Any) -> Any:
        """Changes the settings given as keywords (``port=5433``,
        ``password=...``) and returns the ``UpdateConnectionResponse``: the
        connection, the changes and the checks to rerun. With ``dry_run`` it
        only reports them. ``expected_revision`` makes it compare-and-set.
        A new host, port, username, ssl_mode or CA needs ``password=...``
        again, or ``keep_password=True`` to send the stored one there;
        ``provision_missing_roles=True`` (or False) needs neither, nor a
        new validation."""
        request = {
            "key": key,
            "settings": _settings(None, changes),
            "update_paths": list(changes),
            "dry_run": dry_run,
            "expected_revision": expected_revision,
            "keep_password": keep_password,
        }
        return self.call(_CONNECTIONS + "Update", request, timeout)

    def setup_script(self, key: str, *, timeout: float | None = None) -> Any:
        """``GetSetupScriptResponse``: the psql ``script`` and a ``file_name``."""
        return self.call(_CONNECTIONS + "GetSetupScript", {"key": key}, timeout)

    def validate_connection(self, key: str, *, timeout: float | None = None) -> Any:
        """Runs the checks: ``ValidateConnectionResponse`` with the ``report``
        and the ``connection`` in its new state."""
        return self.call(_CONNECTIONS + "Validate", {"key": key}, timeout)

    def complete_setup(self, key: str, *, timeout: float | None = None) -> Any:
        """VALIDATED -> ACTIVE; returns the ``Connection``."""
        return self.call(_CONNECTIONS + "CompleteSetup", {"key": key}, timeout).connection

    def deactivate_connection(self, key: str, *, timeout: float | None = None) -> Any:
        """ACTIVE or UNHEALTHY -> INACTIVE; returns the ``Connection``."""
        return self.call(_CONNECTIONS + "Deactivate", {"key": key}, timeout).connection

    def activate_connection(self, key: str, *, timeout: float | None = None) -> Any:
        """INACTIVE -> REGISTERED (to validate again); returns the ``Connection``."""
        return self.call(_CONNECTIONS + "Activate", {"key": key}, timeout).connection

    def delete_connection(self, key: str, *, timeout: float | None = None) -> None:
        """Deletes an INACTIVE connection."""
        self.call(_CONNECTIONS + "Delete", {"key": key}, timeout)

    def rotate_credentials(self, key: str, password: str, *, username: str = "",
                           timeout: float | None = None) -> Any:
        """Replaces the password (and the username, if given); returns the ``Connection``."""
        request = {"key": key, "username": username, "password": password}
        return self.call(_CONNECTIONS + "RotateCredentials", request, timeout).connection

    def sync_connection(self, key: str, *, timeout: float | None = None) -> ServerStream:
        """Object sync: streams ``SyncProgress``, one ``database`` scan per
        governed database, then the ``summary``. ``timeout`` bounds the whole sync."""
        return self.stream(_CONNECTIONS + "Sync", {"key": key}, timeout)

    # -- data sources --------------------------------------------------------------

    def list_data_sources(self, connection_key: str = "", name_prefix: str = "",
                          state: int | str | None = None, *, page_size: int = 0,
                          timeout: float | None = None) -> Iterator[Any]:
        """Every ``DataSource`` (optionally of one connection, by name prefix,
        in ``state`` ``"ENABLED"`` or ``"DISABLED"``), by name, all pages."""
        request = {
            "connection_key": connection_key,
            "name_prefix": name_prefix,
            "state": enum_value("steward.v1.DataSourceState", state),
            "page_size": page_size,
        }
        return self.iterate_pages(_DATA_SOURCES + "List", request, "data_sources", timeout=timeout)

    def get_data_source(self, name: str, *, timeout: float | None = None) -> Any:
        """The ``DataSource`` named ``<connection>.<database>.<schema>.<table>``."""
        return self.call(_DATA_SOURCES + "Get", {"name": name}, timeout).data_source

    # -- users and mappings --------------------------------------------------------

    def create_user(self, name: str, uid: int, permissions: Iterable[int | str] = (), *,
                    timeout: float | None = None) -> Any:
        """Creates the Steward user for OS ``uid``; returns the ``User``.
        Permissions by name: ``"APPLICATION_ADMIN"``, ``"USER_ADMIN"``."""
        request = {"name": name, "uid": uid,
                   "permissions": [enum_value("steward.v1.Permission", p) for p in permissions]}
        return self.call(_USERS + "Create", request, timeout).user

    def get_user(self, name: str, *, timeout: float | None = None) -> Any:
        """``GetUserResponse``: the ``user`` and, when the caller may see them, its ``mappings``."""
        return self.call(_USERS + "Get", {"name": name}, timeout)

    def list_users(self, *, page_size: int = 0, timeout: float | None = None) -> Iterator[Any]:
        """Every ``User``, by name, all pages."""
        return self.iterate_pages(_USERS + "List", {"page_size": page_size}, "users", timeout=timeout)

    def grant_permission(self, user_name: str, permission: int | str, *,
                         timeout: float | None = None) -> Any:
        """Grants ``permission`` (e.g. ``"USER_ADMIN"``); returns the ``User``."""
        request = {"user_name": user_name, "permission": enum_value("steward.v1.Permission", permission)}
        return self.call(_USERS + "Grant", request, timeout).user

    def revoke_permission(self, user_name: str, permission: int | str, *,
                          timeout: float | None = None) -> Any:
        """Revokes ``permission``; returns the ``User``."""
        request = {"user_name": user_name, "permission": enum_value("steward.v1.Permission", permission)}
        return self.call(_USERS + "Revoke", request, timeout).user

    def delete_user(self, name: str, *, timeout: float | None = None) -> None:
        """Deletes the user with its permissions and mappings."""
        self.call(_USERS + "Delete", {"name": name}, timeout)

    def set_mapping(self, user_name: str, kind: int | str, value: str = "", *,
                    connection_key: str = "", timeout: float | None = None) -> Any:
        """Sets a user's PostgreSQL identity by default, or on ``connection_key``;
        ``kind`` is ``"POSTGRES_USERNAME"`` or ``"IAM_PRINCIPAL"`` (with
        ``value``), ``"UNSET"`` or ``"NONE"``. Returns the ``Mapping``."""
        mapping = {
            "user_name": user_name,
            "connection_key": connection_key,
            "identity": {"kind": enum_value("steward.v1.IdentityKind", kind), "value": value},
        }
        return self.call(_USERS + "SetMapping", {"mapping": mapping}, timeout).mapping

    def remove_mapping(self, user_name: str, connection_key: str = "", *,
                       timeout: float | None = None) -> None:
        """Removes the user's mapping on ``connection_key``, or its default."""
        self.call(_USERS + "RemoveMapping", {"user_name": user_name, "connection_key": connection_key}, timeout)

    def list_mappings(self, user_name: str = "", connection_key: str = "", *,
                      defaults_only: bool = False, page_size: int = 0,
                      timeout: float | None = None) -> list[Any]:
        """The ``Mapping`` list: the caller's own, or (with USER_ADMIN) anyone's;
        every page (``page_size`` per call, 0 for the server's default)."""
        request = {"user_name": user_name, "connection_key": connection_key, "defaults_only": defaults_only,
                   "page_size": page_size}
        return list(self.iterate_pages(_USERS + "ListMappings", request, "mappings", timeout=timeout))

    def check_mappings(self, connection_key: str = "", user_name: str = "", *,
                       timeout: float | None = None) -> Any:
        """``CheckMappingsResponse``: per user and connection, whether the role
        exists and can log in on the live server, and the connections not reached."""
        request = {"connection_key": connection_key, "user_name": user_name}
        return self.call(_USERS + "CheckMappings", request, timeout)

    def import_mappings(self, csv: str, *, dry_run: bool = False, timeout: float | None = None) -> int:
        """Imports CSV rows ``user,connection,kind,value``, all or none; returns
        how many were (or, with ``dry_run``, would be) imported."""
        return self.call(_USERS + "ImportMappings", {"csv": csv, "dry_run": dry_run}, timeout).imported

    # -- audit ---------------------------------------------------------------------

    def list_audit_events(
        self, *,
        since: datetime.datetime | float | None = None,
        until: datetime.datetime | float | None = None,
        user_name: str = "",
        uid: int | None = None,
        connection_key: str = "",
        method: str = "",
        outcome: int | str | None = None,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[Any]:
        """``AuditEvent``s, newest first, all pages (stop iterating to stop
        fetching). ``since`` is inclusive, ``until`` exclusive (datetimes or
        seconds since the epoch); ``outcome`` ``"SUCCEEDED"``, ``"FAILED"`` or
        ``"DENIED"``; ``method`` a full path."""
        request: dict[str, Any] = {
            "from_unix_ms": _unix_ms(since),
            "until_unix_ms": _unix_ms(until),
            "user_name": user_name,
            "connection_key": connection_key,
            "method": method,
            "outcome": enum_value("steward.v1.AuditOutcome", outcome),
            "page_size": page_size,
        }
        if uid is not None:
            request["uid"] = uid
        return self.iterate_pages(_AUDIT, request, "events", timeout=timeout)


def _settings(settings: Any, fields: Mapping[str, Any]) -> Any:
    """A ConnectionSettings from a message or dict plus keyword fields, enums by short name."""
    settings_class = _pool.message_class("steward.v1.ConnectionSettings")
    if settings is None or isinstance(settings, Mapping):
        merged = {**(settings or {}), **fields}
        for field, enum in _SETTINGS_ENUMS.items():
            if field in merged:
                merged[field] = enum_value(enum, merged[field])
        return settings_class(**merged)
    if fields:
        raise TypeError("give the settings as a message or as keywords, not both")
    return settings
