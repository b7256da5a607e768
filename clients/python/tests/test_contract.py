"""The contract as the client loads it from the generated descriptor set."""

import pathlib
import pickle
import re
import unittest

from google.protobuf import descriptor_pool

import steward_client
from steward_client import (
    StatusCode,
    StewardError,
    _descriptor_set,
    _pool,
    enum_value,
    health_v1,
    message_class,
    rpc_v1,
    v1,
)

PROTO_ROOT = pathlib.Path(__file__).resolve().parents[3] / "proto"


class ContractTests(unittest.TestCase):
    def test_every_proto_file_is_in_the_descriptor_set(self):
        if not PROTO_ROOT.is_dir():
            self.skipTest("not in the Steward repository")
        on_disk = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
        loaded = sorted(f.name for f in _pool._FILES)
        self.assertEqual(loaded, on_disk, "run scripts/generate-protos.sh")

    def test_every_rpc_in_the_protos_resolves_with_its_types(self):
        if not PROTO_ROOT.is_dir():
            self.skipTest("not in the Steward repository")
        count = 0
        for path in PROTO_ROOT.rglob("*.proto"):
            text = path.read_text()
            package = re.search(r"^package\s+([\w.]+);", text, re.M).group(1)
            for service, body in re.findall(r"^service\s+(\w+)\s*\{(.*?)^\}", text, re.M | re.S):
                for name, request, stream, response in re.findall(
                        r"rpc\s+(\w+)\s*\(\s*([\w.]+)\s*\)\s*returns\s*\(\s*(stream\s+)?([\w.]+)\s*\)", body):
                    method = _pool.find_method(f"/{package}.{service}/{name}")
                    self.assertIsNotNone(method, f"{package}.{service}/{name}")
                    self.assertEqual(method.input_type.full_name, f"{package}.{request}")
                    self.assertEqual(method.output_type.full_name, f"{package}.{response}")
                    self.assertEqual(_pool.is_server_streaming(f"/{package}.{service}/{name}"), bool(stream))
                    count += 1
        self.assertGreater(count, 30)

    def test_methods_are_listed_in_the_generated_header(self):
        source = pathlib.Path(_descriptor_set.__file__).read_text()
        self.assertIn("DO NOT EDIT", source)
        self.assertIn("#   /steward.v1.Connections/Sync  steward.v1.SyncConnectionRequest"
                      " -> stream steward.v1.SyncProgress", source)

    def test_unknown_paths_resolve_to_none(self):
        for path in ("/steward.v1.Nope/X", "/steward.v1.Server/Nope", "steward.v1.Server/Info", "/x", ""):
            self.assertIsNone(_pool.find_method(path), path)

    def test_packages_export_messages_enums_and_values(self):
        self.assertEqual(v1.CONNECTION_STATE_ACTIVE, 4)
        self.assertEqual(v1.ConnectionState.Name(4), "CONNECTION_STATE_ACTIVE")
        self.assertEqual(health_v1.HealthCheckResponse.SERVING, 1)
        self.assertEqual(rpc_v1.FRAME_KIND_CANCEL, 4)
        self.assertIs(message_class("steward.v1.Connection"), v1.Connection)
        connection = v1.Connection(key="k", settings={"password": "p", "deployment_type": "DEPLOYMENT_TYPE_NEON"})
        self.assertEqual(v1.Connection.FromString(connection.SerializeToString()), connection)
        self.assertIn("RegisterConnectionRequest", steward_client.v1.__all__)

    def test_messages_live_in_a_private_pool(self):
        with self.assertRaises(KeyError):
            descriptor_pool.Default().FindMessageTypeByName("steward.v1.Connection")


class EnumValueTests(unittest.TestCase):
    def test_names_short_names_numbers_and_none(self):
        for value in ("PERMISSION_USER_ADMIN", "USER_ADMIN", "user_admin", "user-admin", 2):
            self.assertEqual(enum_value("steward.v1.Permission", value), 2, value)
        self.assertEqual(enum_value("steward.v1.Permission", None), 0)
        self.assertEqual(enum_value("grpc.health.v1.HealthCheckResponse.ServingStatus", "serving"), 1)

    def test_unknown_name_lists_the_choices(self):
        with self.assertRaises(ValueError) as caught:
            enum_value("steward.v1.ConnectionState", "asleep")
        self.assertIn("ACTIVE", str(caught.exception))
        self.assertNotIn("UNSPECIFIED", str(caught.exception))


class StatusTests(unittest.TestCase):
    def test_codes_have_grpcs_numbers(self):
        self.assertEqual(len(StatusCode), 17)
        self.assertEqual(StatusCode.OK, 0)
        self.assertEqual(StatusCode.DEADLINE_EXCEEDED, 4)
        self.assertEqual(StatusCode.UNIMPLEMENTED, 12)
        self.assertEqual(StatusCode.UNAUTHENTICATED, 16)

    def test_error_text_and_unknown_codes(self):
        error = StewardError(5, "no connection named x", method="/steward.v1.Connections/Get")
        self.assertIs(error.code, StatusCode.NOT_FOUND)
        self.assertEqual(str(error), "NOT_FOUND: no connection named x [/steward.v1.Connections/Get]")
        odd = StewardError(99, "from the future")
        self.assertIs(odd.code, StatusCode.UNKNOWN)
        self.assertEqual(odd.raw_code, 99)
        self.assertIn("99", str(odd))

    def test_error_pickles(self):
        error = pickle.loads(pickle.dumps(StewardError(StatusCode.ABORTED, "stale", method="/m")))
        self.assertEqual((error.code, error.message, error.method), (StatusCode.ABORTED, "stale", "/m"))


if __name__ == "__main__":
    unittest.main()
