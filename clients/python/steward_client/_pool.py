"""The Steward contract, loaded from the generated descriptor set.

Message classes are built at import time from ``_descriptor_set.py`` (written
by scripts/generate-protos.sh from proto/) in a DescriptorPool of this
package's own: nothing is registered in protobuf's process-wide pool, so an
application that also loads, say, grpc/health/v1/health.proto from another
package does not clash with this one.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, MethodDescriptor
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.message import Message

from ._descriptor_set import FILE_DESCRIPTOR_PROTOS

__all__ = ["POOL", "message_class", "enum_type", "find_method", "is_server_streaming", "export_package"]

_FILES = [descriptor_pb2.FileDescriptorProto.FromString(serialized) for serialized in FILE_DESCRIPTOR_PROTOS]

POOL = descriptor_pool.DescriptorPool()
for _file in _FILES:  # dependency order, as protoc --include_imports writes them
    POOL.Add(_file)

if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
    _get_message_class = message_factory.GetMessageClass
else:  # pragma: no cover - older runtimes
    _factory = message_factory.MessageFactory(POOL)
    _get_message_class = _factory.GetPrototype


def message_class(full_name: str) -> type[Message]:
    """The message class of ``full_name``, e.g. ``"steward.v1.Connection"``.

    Raises KeyError when the contract has no such message.
    """
    return _class_of(POOL.FindMessageTypeByName(full_name))


def enum_type(full_name: str) -> EnumTypeWrapper:
    """The enum ``full_name`` (``Name()``, ``Value()``, ``items()``...)."""
    return EnumTypeWrapper(POOL.FindEnumTypeByName(full_name))


def _class_of(descriptor: Descriptor) -> type[Message]:
    return _get_message_class(descriptor)


def find_method(path: str) -> MethodDescriptor | None:
    """The method at ``/<package>.<Service>/<Method>``, or None if unknown."""
    if not path.startswith("/") or path.count("/") != 2:
        return None
    service_name, _, method_name = path[1:].partition("/")
    try:
        service = POOL.FindServiceByName(service_name)
    except KeyError:
        return None
    return service.methods_by_name.get(method_name)


# From the descriptor protos: MethodDescriptor.server_streaming is missing
# from protobuf runtimes before 4.22.
_SERVER_STREAMING = {
    f"/{file.package}.{service.name}/{method.name}"
    for file in _FILES for service in file.service for method in service.method
    if method.server_streaming
}


def is_server_streaming(path: str) -> bool:
    """Whether the method at ``path`` is a server-streaming one."""
    return path in _SERVER_STREAMING


def export_package(package: str, namespace: MutableMapping[str, Any]) -> list[str]:
    """Puts every top-level message class, enum and enum value of ``package``
    into ``namespace`` (a module's globals), as protoc's Python output would,
    and returns their names for ``__all__``."""
    names: list[str] = []
    for file_proto in _FILES:
        if file_proto.package != package:
            continue
        file = POOL.FindFileByName(file_proto.name)
        for name, descriptor in file.message_types_by_name.items():
            namespace[name] = _class_of(descriptor)
            names.append(name)
        for name, descriptor in file.enum_types_by_name.items():
            namespace[name] = EnumTypeWrapper(descriptor)
            names.append(name)
            for value in descriptor.values:
                namespace[value.name] = value.number
                names.append(value.name)
    if not names:
        raise ImportError(f"the Steward contract has no package {package!r}")
    return names
