import StewardWire
import Testing

/// Hardening: protobuf-c and the generated conversions must meet any bytes
/// a client can send — truncated, bit-flipped, spliced — with a decoded
/// message or a `ProtoDecodingError`, never a crash, a hang or a message
/// that breaks the string rule. The inputs are mutations of real, rich
/// encodings, from a fixed seed so that a failure can be replayed.
@Suite("Mutated inputs", .timeLimit(.minutes(1)))
struct MutatedInputTests {
    /// SplitMix64: small, fast and the same on every machine.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Encodings that reach nested messages, repeated fields, enums, oneofs
    /// and long strings.
    static let seeds: [[UInt8]] = {
        var settings = StewardV1.ConnectionSettings()
        settings.deploymentType = .selfManaged
        settings.host = "db.example.internal"
        settings.port = 5432
        settings.stateDatabase = "steward_state"
        settings.governedDatabases = ["sales", "hr", "ops \"quoted\""]
        settings.username = "steward"
        settings.password = "secret"
        settings.sslMode = .verifyFull
        settings.caCertificatePem = String(repeating: "A", count: 300)
        var frame = StewardRpcV1.Frame()
        frame.callID = 42
        frame.kind = .request
        frame.method = "/steward.v1.Connections/Register"
        frame.timeoutMs = 1500
        frame.metadata = [StewardRpcV1.MetadataEntry(key: "k", value: "v")]
        frame.payload = StewardV1.RegisterConnectionRequest(displayName: "sales", settings: settings).serializedBytes()
        let mapping = StewardV1.SetMappingRequest(
            mapping: StewardV1.Mapping(
                userName: "alice", connectionKey: "sales",
                identity: StewardV1.Identity(kind: .iamPrincipal, value: "arn:aws:iam::123456789012:user/alice")))
        let progress = StewardV1.SyncProgress(event: .summary(StewardV1.SyncSummary(addedCount: 2, added: ["a.b.c.d", "e.f.g.h"])))
        return [
            frame.serializedBytes(),
            StewardV1.RegisterConnectionRequest(displayName: "sales", settings: settings).serializedBytes(),
            mapping.serializedBytes(),
            StewardV1.ImportMappingsRequest(csv: "user,connection,kind,value\nalice,,NONE,\n", dryRun: true).serializedBytes(),
            StewardV1.ListAuditEventsRequest(userName: "alice", uidFilter: .uid(0)).serializedBytes(),
            progress.serializedBytes(),
        ]
    }()

    static func mutate(_ seed: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &generator)
            case 2: bytes.removeSubrange(at...)
            case 3: bytes.insert(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], at: at)  // a huge varint
            default: bytes.insert(contentsOf: seed[Int.random(in: 0..<seed.count, using: &generator)...], at: at)
            }
        }
        return bytes
    }

    @Test("Every message type meets mutated bytes with a message or a decoding error")
    func everyTypeSurvives() {
        var generator = SeededGenerator(state: 0x5EED)
        var decoded = 0
        var refused = 0
        for _ in 0..<500 {
            for seed in Self.seeds {
                let bytes = Self.mutate(seed, using: &generator)
                for type in StewardProtoRegistry.allMessageTypes {
                    do throws(ProtoDecodingError) {
                        let message = try type.init(serializedBytes: bytes)
                        // Whatever decodes re-encodes, and the re-encoding decodes.
                        _ = try type.init(serializedBytes: message.serializedBytes())
                        decoded += 1
                    } catch {
                        refused += 1
                    }
                }
            }
        }
        // Both outcomes occur, so the mutations reach past the first byte.
        #expect(decoded > 0)
        #expect(refused > 0)
    }
}
