#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus, Fuzz/corpus/<target>/ (docs/fuzzing.md).

Run again after the contract (proto/) gains a method: the request seeds pick
their method by its index in StewardProtoRegistry.allMethods, read here from
the generated Swift, and the messages are built with the Python client's
classes from the same contract. Writes only the seeds it names; files libFuzzer
added are left alone.
"""

import hashlib
import re
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "clients" / "python"))

from google.protobuf import json_format  # noqa: E402
from steward_client import _pool, rpc_v1  # noqa: E402

CORPUS = ROOT / "Fuzz" / "corpus"


def write(target: str, name: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def all_method_paths() -> list[str]:
    """StewardProtoRegistry.allMethods, in its order: services as
    Registry.pb.swift lists them, each service's methods as its .proto does."""
    registry = (ROOT / "Sources/StewardWire/Generated/Registry.pb.swift").read_text()
    block = registry.split("allServices", 1)[1].split("= [", 1)[1].split("]", 1)[0]
    paths = []
    for swift_name in re.findall(r"(\w+)\.(\w+)\.service", block):
        package = {"GrpcHealthV1": "grpc.health.v1", "StewardV1": "steward.v1"}[swift_name[0]]
        service = _pool.POOL.FindServiceByName(f"{package}.{swift_name[1]}")
        paths += [f"/{service.full_name}/{method.name}" for method in service.methods]
    return paths


def request_message(path: str, fields: dict) -> bytes:
    service, method = path.strip("/").split("/")
    descriptor = _pool.POOL.FindServiceByName(service).FindMethodByName(method)
    message = _pool.message_class(descriptor.input_type.full_name)()
    json_format.ParseDict(fields, message)
    return message.SerializeToString()


def prefixed(body: bytes, flags: int = 0) -> bytes:
    return struct.pack(">BI", flags, len(body)) + body


def frame(**fields) -> bytes:
    return rpc_v1.Frame(**fields).SerializeToString()


def frame_seeds() -> None:
    # The first byte chooses how the stream is cut into reads; the rest is the stream.
    info = frame(call_id=1, kind=rpc_v1.FRAME_KIND_REQUEST, method="/steward.v1.Server/Info", timeout_ms=5000,
                 metadata=[rpc_v1.MetadataEntry(key="client", value="steward/1.0")])
    get = frame(call_id=2, kind=rpc_v1.FRAME_KIND_REQUEST, method="/steward.v1.Connections/Get",
                payload=request_message("/steward.v1.Connections/Get", {"key": "sales"}))
    cancel = frame(call_id=2, kind=rpc_v1.FRAME_KIND_CANCEL)
    write("frames", "request-info", b"\x00" + prefixed(info))
    write("frames", "request-then-cancel", b"\x37" + prefixed(get) + prefixed(cancel))
    write("frames", "compressed-flag", b"\x05" + prefixed(info, flags=1))
    write("frames", "over-frame-limit", b"\x00" + struct.pack(">BI", 0, 0x7FFFFFFF) + b"\x08\x2a\x10\x01")
    write("frames", "truncated", b"\x11" + struct.pack(">BI", 0, 100) + info[:10])
    write("frames", "empty-frame", b"\x00" + prefixed(b""))
    many = frame(call_id=3, kind=rpc_v1.FRAME_KIND_REQUEST, method="/steward.v1.Server/Info",
                 metadata=[rpc_v1.MetadataEntry() for _ in range(65)])
    write("frames", "over-metadata-entries", b"\x21" + prefixed(many))
    # metadata[0].key (field 5, then field 1) with bytes that are not UTF-8.
    bad_entry = b"\x0a\x02\xff\xfe"
    bad = frame(call_id=4, kind=rpc_v1.FRAME_KIND_REQUEST) + b"\x2a" + bytes([len(bad_entry)]) + bad_entry
    write("frames", "metadata-not-utf8", b"\x02" + prefixed(bad))
    # A metadata entry that claims 4 GiB inside a frame that is whole.
    write("frames", "huge-metadata-claim", b"\x00" + prefixed(b"\x08\x05\x2a\xff\xff\xff\xff\x0f\x0a\x00"))
    write("frames", "call-id-as-bytes", b"\x00" + prefixed(b"\x0a\x01\x01" + frame(kind=rpc_v1.FRAME_KIND_REQUEST)))


def request_seeds() -> None:
    paths = all_method_paths()

    def seed(name: str, path: str, fields: dict, tail: bytes = b"", budget: int = 4) -> None:
        # Byte 0: the method; byte 1: the small second budget, in units of 16 bytes.
        write("requests", name, bytes([paths.index(path), budget]) + request_message(path, fields) + tail)

    seed("health-check", "/grpc.health.v1.Health/Check", {"service": "steward.v1.Server"})
    seed("register", "/steward.v1.Connections/Register", {
        "displayName": "sales", "settings": {
            "host": "db.example.com", "port": 5432, "stateDatabase": "steward_state",
            "governedDatabases": ["sales", "crm"], "username": "steward", "password": "s3cret",
            "caCertificatePem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}}, budget=40)
    seed("update", "/steward.v1.Connections/Update", {
        "key": "sales", "settings": {"port": 6432}, "updatePaths": ["port", "host"], "dryRun": True})
    seed("create-user", "/steward.v1.Users/Create", {"name": "ada", "uid": 1001, "permissions": [1, 2]})
    seed("import-mappings", "/steward.v1.Users/ImportMappings",
         {"csv": "user,connection,kind,value\nada,sales,POSTGRES_USERNAME,ada_pg\n"})
    seed("import-members", "/steward.v1.Groups/ImportMembers", {"csv": "group,user\nanalysts,ada\n"})
    seed("create-policy", "/steward.v1.Policies/Create", {"policy": {
        "name": "sales-read", "access": "POLICY_ACCESS_READ", "dataSources": ["sales.sales.public.orders"],
        "scopes": [{"connectionKey": "sales", "database": "sales", "schema": "public"}],
        "subjects": [{"userName": "ada"}, {"groupName": "analysts"}]}}, budget=20)
    seed("list-audit", "/steward.v1.Audit/List", {"userName": "ada", "connectionKey": "sales", "method": "Register"})
    # The string check: a NUL, and bytes that are not UTF-8, in string fields.
    seed("key-with-nul", "/steward.v1.Connections/Get", {}, tail=b"\x0a\x03a\x00b")
    seed("key-not-utf8", "/steward.v1.Connections/Get", {}, tail=b"\x0a\x02\xc3\x28")
    seed("nested-not-utf8", "/steward.v1.Connections/Register", {"displayName": "x"},
         tail=b"\x12\x04\x12\x02\xed\xa0")  # settings.host: a UTF-16 surrogate
    seed("unknown-fields", "/steward.v1.Server/Info", {}, tail=b"\x78\x01\x82\x01\x00\xfa\x7f\x00")
    # A string that claims 4 GiB: refused by its length, never allocated.
    seed("huge-declared-length", "/steward.v1.Connections/Get", {}, tail=b"\x0a\xff\xff\xff\xff\x0f")
    # Many empty repeated submessages: small on the wire, large unpacked.
    seed("many-subjects", "/steward.v1.Policies/Create", {}, tail=b"\x0a\xc8\x01" + b"\x2a\x00" * 100)


def csv_seeds() -> None:
    write("csv-import", "mappings",
          "user,connection,kind,value\nada,sales,POSTGRES_USERNAME,ada_pg\nada,,IAM_PRINCIPAL,"
          "arn:aws:iam::123456789012:user/ada\nbob,crm,NONE,\n".encode())
    write("csv-import", "memberships", b"group,user\nanalysts,ada\nanalysts,bob\r\nops,carol\r\n")
    write("csv-import", "quoted", b'\xef\xbb\xbfuser,connection,kind,value\n"ada","sa""les","POSTGRES_USERNAME","a,b"\n'
          b'"multi\nline",x,UNSET,\n')
    write("csv-import", "bad-rows", b"ada,sales\nada,sales,POSTGRES_USERNAME,pg\nada,sales,POSTGRES_USERNAME,pg2\n"
          b"bob,bad key!,WHAT,\n\xe2\x80\xae,x,NONE,\n")
    write("csv-import", "unclosed-quote", b'a,b\n"never closed,c\n')
    write("csv-import", "quote-in-field", b'a,b"c\n')
    write("csv-import", "text-after-quote", b'"a"b,c\n')
    write("csv-import", "lone-cr", b"analysts,ada\rops,bob\r")
    write("csv-import", "blank", b"\n\n")


def connection_text_seeds() -> None:
    texts = {
        "url": "postgresql://steward:s3cret@db.example.com:5432/registry?sslmode=verify-full&application_name=stewardd",
        "url-ipv6-encoded": "postgres://us%40er:p%3Ass@[::1]:6543/db%20name?sslrootcert=/etc/ca.pem",
        "url-bad-port": "postgresql://u@h:99999/d",
        "keywords": "host=/var/run/postgresql port=5432 dbname=registry user=steward sslmode=require",
        "keywords-quoted": r"host = 'db one' password='it\'s \\ fine' user=steward options='-c search_path=steward'",
        "keywords-unterminated": "user=steward password='open",
        "keywords-unknown": "user=steward hostaddr=127.0.0.1",
        "host-ipv4": "192.0.2.10",
        "host-ipv6": "fe80::1%eth0",
        "host-dns": "db-1.eu-west-1.rds.amazonaws.com.",
        "host-socket-dir": "/run/postgresql",
        "name-unicode": "données_ventes",
        "name-bidi": "sales\u202egnp.exe",
        "key": "sales_eu-1",
        "ca-bundle": "junk before\n-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nAbCd+/==\n-----END CERTIFICATE-----\n"
                     "-----BEGIN CERTIFICATE-----\r\nQUJD\r\n-----END CERTIFICATE-----\r\n",
        "ca-with-key": "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n"
                       "-----BEGIN RSA PRIVATE KEY-----\nQUJD\n-----END RSA PRIVATE KEY-----\n",
        "ca-nested": "-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n",
    }
    for name, text in texts.items():
        write("connection-text", name, text.encode())


if __name__ == "__main__":
    frame_seeds()
    request_seeds()
    csv_seeds()
    connection_text_seeds()
    for folder in sorted(CORPUS.iterdir()):
        digest = hashlib.sha256(b"".join(f.read_bytes() for f in sorted(folder.iterdir()))).hexdigest()[:12]
        print(f"{folder.name}: {len(list(folder.iterdir()))} seeds ({digest})")
