import Foundation
import StewardWire
import Testing

/// ProtoJSON renders messages for `--json` output: proto3's JSON mapping
/// (lowerCamelCase keys, 64-bit integers as strings, enums by name, bytes as
/// base64), with every scalar field present and absent messages omitted.
@Suite("Proto JSON")
struct ProtoJSONTests {
    typealias Frame = StewardRpcV1.Frame
    typealias JSONObject = [String: Any]

    /// `message` as JSON, parsed by Foundation: it must be valid JSON whether
    /// pretty-printed or not, and both forms must say the same.
    static func parse(_ message: some ProtoMessage) throws -> JSONObject {
        let pretty = try JSONSerialization.jsonObject(with: Data(ProtoJSON.encode(message).utf8))
        let compact = try JSONSerialization.jsonObject(with: Data(ProtoJSON.encode(message, pretty: false).utf8))
        // Foundation re-serialises both with sorted keys to compare them.
        #expect(
            try JSONSerialization.data(withJSONObject: pretty, options: .sortedKeys)
                == JSONSerialization.data(withJSONObject: compact, options: .sortedKeys),
            "pretty and compact output differ")
        return try #require(pretty as? JSONObject, "the top level must be an object")
    }

    /// A JSON string value, nil for anything else (a number is not a string).
    static func string(_ value: Any?) -> String? {
        guard let value, !(value is NSNumber) else { return nil }
        return value as? String
    }

    /// A JSON number value as an Int64, nil for anything else (a string of
    /// digits is not a number).
    static func number(_ value: Any?) -> Int64? {
        guard let value, !(value is String) else { return nil }
        return (value as? NSNumber)?.int64Value
    }

    static let stats = StewardV1.ServerStatsResponse(
        uptimeMs: 12_345_678_901, openConnections: 3, acceptedConnections: .max, refusedConnections: 0,
        callsInFlight: .max,
        methods: [
            .init(
                method: "/steward.v1.Server/Info", calls: 10,
                statuses: [.init(code: 0, count: 9), .init(code: -1, count: 1)],
                latencyP50Us: 1, latencyP90Us: 2, latencyP99Us: 3, latencyMaxUs: 9_007_199_254_740_993),
            .init(method: "/steward.v1.Server/Stats"),
        ])

    // MARK: Keys

    @Test("keys are lowerCamelCase, and every scalar field is present even at its default")
    func keys() throws {
        let json = try Self.parse(Self.stats)
        #expect(Set(json.keys) == [
            "uptimeMs", "openConnections", "acceptedConnections", "refusedConnections", "callsInFlight", "methods",
        ])
        let methods = try #require(json["methods"] as? [JSONObject])
        for method in methods {
            #expect(Set(method.keys) == [
                "method", "calls", "statuses", "latencyP50Us", "latencyP90Us", "latencyP99Us", "latencyMaxUs",
            ])
        }
        let frame = try Self.parse(Frame())
        #expect(Set(frame.keys) == ["callId", "kind", "method", "timeoutMs", "metadata", "payload"])
        let info = try Self.parse(StewardV1.ServerInfoResponse())
        #expect(Set(info.keys) == ["version", "uptimeMs", "storeBackend", "socketPath", "pid", "protocolVersion"])
    }

    @Test("a message with no fields is an empty object")
    func emptyMessage() throws {
        #expect(try Self.parse(StewardV1.ServerInfoRequest()).isEmpty)
        #expect(ProtoJSON.encode(StewardV1.ServerInfoRequest(), pretty: false) == "{}")
    }

    // MARK: Scalars

    @Test("uint64 fields are JSON strings, exact beyond 2^53; uint32 fields are numbers")
    func integers() throws {
        let json = try Self.parse(Self.stats)
        #expect(Self.string(json["uptimeMs"]) == "12345678901")
        #expect(Self.string(json["acceptedConnections"]) == "18446744073709551615")
        #expect(Self.string(json["refusedConnections"]) == "0")
        #expect(Self.number(json["openConnections"]) == 3)
        #expect(Self.number(json["callsInFlight"]) == Int64(UInt32.max))
        let method = try #require((json["methods"] as? [JSONObject])?.first)
        #expect(Self.string(method["latencyMaxUs"]) == "9007199254740993")
        #expect(Self.string(method["calls"]) == "10")
        // int32 is a number, negative ones included.
        let statuses = try #require(method["statuses"] as? [JSONObject])
        #expect(statuses.map { Self.number($0["code"]) } == [0, -1])
        #expect(statuses.map { Self.string($0["count"]) } == ["9", "1"])
    }

    @Test("the compact text shows 64-bit integers quoted and 32-bit ones bare")
    func integerText() {
        let text = ProtoJSON.encode(StewardV1.ServerStatsResponse(uptimeMs: 7, openConnections: 8), pretty: false)
        #expect(text.contains(#""uptimeMs":"7""#))
        #expect(text.contains(#""openConnections":8"#))
    }

    @Test("bool fields are JSON true and false")
    func bools() {
        let yes = ProtoJSON.encode(StewardV1.WhoAmIResponse(isDaemonAdmin: true), pretty: false)
        let no = ProtoJSON.encode(StewardV1.WhoAmIResponse(isDaemonAdmin: false), pretty: false)
        #expect(yes.contains(#""isDaemonAdmin":true"#))
        #expect(no.contains(#""isDaemonAdmin":false"#))
    }

    @Test(
        "enums are written by name; numbers the build does not know as numbers",
        arguments: [
            (.unspecified, "FRAME_KIND_UNSPECIFIED"), (.request, "FRAME_KIND_REQUEST"),
            (.message, "FRAME_KIND_MESSAGE"), (.end, "FRAME_KIND_END"), (.cancel, "FRAME_KIND_CANCEL"),
        ] as [(StewardRpcV1.FrameKind, String)])
    func enums(kind: StewardRpcV1.FrameKind, name: String) throws {
        #expect(Self.string(try Self.parse(Frame(kind: kind))["kind"]) == name)
    }

    @Test("an enum number the build does not know is written as that number")
    func unknownEnum() throws {
        #expect(Self.number(try Self.parse(Frame(kind: .init(rawValue: 99)))["kind"]) == 99)
    }

    @Test("bytes are standard base64 with padding", arguments: 0...5)
    func base64(length: Int) throws {
        // 0xFB 0xFF 0xBF make "+" and "/" appear; 0x00 checks zero bits.
        let bytes = Array([0xFB, 0xFF, 0xBF, 0x00, 0x3E, 0x7F].prefix(length)) as [UInt8]
        let json = try Self.parse(Frame(payload: bytes))
        #expect(Self.string(json["payload"]) == Data(bytes).base64EncodedString())
    }

    @Test("every byte value survives base64")
    func base64AllBytes() throws {
        let bytes = (0...255).map { UInt8($0) } + [0xFF, 0xFE]
        let encoded = try #require(Self.string(try Self.parse(Frame(payload: bytes))["payload"]))
        #expect(encoded == Data(bytes).base64EncodedString())
        #expect(Data(base64Encoded: encoded) == Data(bytes))
    }

    // MARK: Messages

    @Test("nested messages are objects; absent ones are omitted, present empty ones are not")
    func nested() throws {
        let info = StewardV1.ServerInfoResponse(
            version: "1.0", uptimeMs: 5,
            limits: .init(maxFrameBytes: 4_194_304, maxCallsInFlightPerConnection: 64, maxConnections: 128),
            pid: 42)
        let json = try Self.parse(info)
        let limits = try #require(json["limits"] as? JSONObject)
        #expect(Set(limits.keys) == [
            "maxFrameBytes", "maxCallsInFlightPerConnection", "maxConnections", "maxBufferedBytesPerConnection",
            "idleTimeoutMs",
        ])
        #expect(Self.number(limits["maxFrameBytes"]) == 4_194_304)
        #expect(Self.number(limits["maxConnections"]) == 128)
        #expect(Self.number(limits["idleTimeoutMs"]) == 0)
        #expect(Self.number(json["pid"]) == 42)
        #expect(Self.string(json["version"]) == "1.0")

        #expect(try Self.parse(StewardV1.ServerInfoResponse(version: "1.0"))["limits"] == nil)
        #expect(try Self.parse(Frame(callID: 1))["status"] == nil)
        let emptyStatus = try #require(try Self.parse(Frame(status: .init()))["status"] as? JSONObject)
        #expect(Set(emptyStatus.keys) == ["code", "message", "details"])
    }

    @Test("repeated messages are arrays of objects, in order; empty ones are []")
    func repeated() throws {
        let frame = Frame(
            callID: 77, kind: .end,
            metadata: [.init(key: "a", value: "1"), .init(key: "b", value: "2"), .init(key: "c", value: "3")],
            status: .init(code: 5, message: "gone", details: [.init(type: "t1", value: [1, 2]), .init(type: "t2")]))
        let json = try Self.parse(frame)
        #expect(Self.string(json["callId"]) == "77")
        let metadata = try #require(json["metadata"] as? [JSONObject])
        #expect(metadata.map { Self.string($0["key"]) } == ["a", "b", "c"])
        #expect(metadata.map { Self.string($0["value"]) } == ["1", "2", "3"])
        let status = try #require(json["status"] as? JSONObject)
        #expect(Self.number(status["code"]) == 5)
        #expect(Self.string(status["message"]) == "gone")
        let details = try #require(status["details"] as? [JSONObject])
        #expect(details.map { Self.string($0["type"]) } == ["t1", "t2"])
        #expect(details.map { Self.string($0["value"]) } == ["AQI=", ""])

        let empty = try Self.parse(Frame())
        #expect((empty["metadata"] as? [Any])?.isEmpty == true)
        #expect(Self.string(empty["payload"]) == "")
        #expect(Self.string(empty["method"]) == "")
    }

    // MARK: Strings

    /// A string argument shown escaped in test output.
    struct Text: Sendable, CustomTestStringConvertible {
        var value: String
        var testDescription: String { value.debugDescription }
    }

    static let awkwardStrings: [Text] = [
        "",
        #"a "quoted" word"#,
        #"back\slash and \" both"#,
        "line\nbreak",
        "carriage\rreturn\r\n",
        "tab\there",
        "\u{01}\u{02}\u{07}\u{08}\u{0B}\u{0C}\u{1B}\u{1F}",
        String((1...0x1F).map { Character(Unicode.Scalar($0)!) }),
        "\u{7F} delete",
        "/slash/ </script>",
        "é ✓ 😀 日本語 \u{10FFFF}",
        "\u{2028}\u{2029} separators",
        "{\"not\": [\"json\"]}",
    ].map(Text.init)

    @Test("strings with quotes, backslashes, newlines and control characters round trip", arguments: awkwardStrings)
    func escaping(argument: Text) throws {
        let text = argument.value
        let json = try Self.parse(Frame(method: text, metadata: [.init(key: text, value: text)]))
        #expect(Self.string(json["method"]) == text)
        let entry = try #require((json["metadata"] as? [JSONObject])?.first)
        #expect(Self.string(entry["key"]) == text)
        #expect(Self.string(entry["value"]) == text)
    }

    @Test("control characters never appear raw in the output")
    func noRawControlCharacters() {
        let text = String((1...0x1F).map { Character(Unicode.Scalar($0)!) })
        for pretty in [false, true] {
            let output = ProtoJSON.encode(Frame(method: text), pretty: pretty)
            // Pretty output may contain its own newlines; no other control character.
            let controls = output.unicodeScalars.filter { $0.value < 0x20 && !(pretty && $0 == "\n") }
            #expect(controls.isEmpty, "pretty: \(pretty)")
        }
        #expect(ProtoJSON.encode(Frame(method: "\u{01}"), pretty: false).contains(#""\u0001""#))
    }

    // MARK: Every field kind (test proto)

    @Test("every scalar kind, repeated field and oneof member maps as proto3 JSON says")
    func kitchenSink() throws {
        let sink = StewardTestV1.KitchenSink(
            i32: -5, i64: .min, u32: .max, u64: .max, s32: -7, s64: -9_007_199_254_740_993, f32: 7, f64: 8,
            sf32: -9, sf64: -10, fl: 1.5, db: -2.25, flag: true, text: "t", blob: [0xFF],
            color: .deepBlue, inner: .init(name: "n", level: .high, leaf: .init(value: 3)), level: .high,
            rI32: [1, -1], rU64: [0, .max], rDb: [0.5], rFl: [0.25, -4], rFlag: [true, false], rText: ["x", ""],
            rBlob: [[], [1, 2, 3]], rColor: [.red, .negative], rInner: [.init(name: "a"), .init()],
            rS64Unpacked: [-1, 2], requestID: 6, class: "c", choice: .choiceNumber(-3))
        let json = try Self.parse(sink)
        #expect(Self.number(json["i32"]) == -5)
        #expect(Self.string(json["i64"]) == "-9223372036854775808")
        #expect(Self.number(json["u32"]) == Int64(UInt32.max))
        #expect(Self.string(json["u64"]) == "18446744073709551615")
        #expect(Self.number(json["s32"]) == -7)
        #expect(Self.string(json["s64"]) == "-9007199254740993")
        #expect(Self.number(json["f32"]) == 7)
        #expect(Self.string(json["f64"]) == "8")
        #expect(Self.number(json["sf32"]) == -9)
        #expect(Self.string(json["sf64"]) == "-10")
        #expect((json["fl"] as? NSNumber)?.doubleValue == 1.5)
        #expect((json["db"] as? NSNumber)?.doubleValue == -2.25)
        #expect(Self.string(json["blob"]) == "/w==")
        #expect(Self.string(json["color"]) == "COLOR_DEEP_BLUE")
        #expect(Self.string(json["level"]) == "HIGH")
        #expect(Self.string((json["inner"] as? JSONObject)?["name"]) == "n")
        #expect(Self.number(((json["inner"] as? JSONObject)?["leaf"] as? JSONObject)?["value"]) == 3)
        #expect(json["leaf"] == nil)
        #expect((json["rI32"] as? [NSNumber])?.map(\.int64Value) == [1, -1])
        #expect((json["rU64"] as? [String]) == ["0", "18446744073709551615"])
        #expect((json["rDb"] as? [NSNumber])?.map(\.doubleValue) == [0.5])
        #expect((json["rFl"] as? [NSNumber])?.map(\.doubleValue) == [0.25, -4])
        #expect((json["rText"] as? [String]) == ["x", ""])
        #expect((json["rBlob"] as? [String]) == ["", "AQID"])
        #expect((json["rColor"] as? [String]) == ["COLOR_RED", "COLOR_NEGATIVE"])
        #expect((json["rInner"] as? [JSONObject])?.map { Self.string($0["name"]) } == ["a", ""])
        #expect((json["rS64Unpacked"] as? [String]) == ["-1", "2"])
        #expect(Self.string(json["choiceNumber"]) == "-3")
        #expect(Self.string(json["requestId"]) == "6")
        #expect(Self.string(json["class"]) == "c")
        #expect(Self.string(json["default"]) == "")
        // Only the selected oneof member is present.
        for other in ["choiceText", "choiceInner", "choiceBlob", "choiceColor", "choiceFlag"] {
            #expect(json[other] == nil, "\(other)")
        }
        let flags = ProtoJSON.encode(sink, pretty: false)
        #expect(flags.contains(#""flag":true"#))
        #expect(flags.contains(#""rFlag":[true,false]"#))
    }

    @Test("non-finite floating-point values are strings with proto3's names: NaN, Infinity, -Infinity")
    func nonFinite() throws {
        let sink = StewardTestV1.KitchenSink(fl: -.infinity, db: .infinity, rDb: [.nan])
        let json = try Self.parse(sink)
        #expect(Self.string(json["db"]) == "Infinity")
        #expect(Self.string(json["fl"]) == "-Infinity")
        #expect((json["rDb"] as? [String]) == ["NaN"])
        // Whatever the spelling, they must stay JSON strings, not bare words.
        #expect(Self.string(json["db"]) != nil)
        #expect(Self.string(json["fl"]) != nil)
        #expect((json["rDb"] as? [String])?.count == 1)
    }
}
