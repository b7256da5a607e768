import StewardWire
import Testing

/// Status codes are gRPC's, number for number and name for name, so that any
/// gRPC-aware client reads them right.
@Suite("Status codes")
struct StatusCodeTests {
    /// gRPC's table (grpc/grpc doc/statuscodes.md), written out independently
    /// of the code under test.
    static let grpcTable: [(number: Int32, name: String, code: StatusCode)] = [
        (0, "OK", .ok),
        (1, "CANCELLED", .cancelled),
        (2, "UNKNOWN", .unknown),
        (3, "INVALID_ARGUMENT", .invalidArgument),
        (4, "DEADLINE_EXCEEDED", .deadlineExceeded),
        (5, "NOT_FOUND", .notFound),
        (6, "ALREADY_EXISTS", .alreadyExists),
        (7, "PERMISSION_DENIED", .permissionDenied),
        (8, "RESOURCE_EXHAUSTED", .resourceExhausted),
        (9, "FAILED_PRECONDITION", .failedPrecondition),
        (10, "ABORTED", .aborted),
        (11, "OUT_OF_RANGE", .outOfRange),
        (12, "UNIMPLEMENTED", .unimplemented),
        (13, "INTERNAL", .internalError),
        (14, "UNAVAILABLE", .unavailable),
        (15, "DATA_LOSS", .dataLoss),
        (16, "UNAUTHENTICATED", .unauthenticated),
    ]

    @Test("the table has all 17 codes, numbered 0 to 16")
    func tableIsComplete() {
        #expect(Self.grpcTable.map(\.number) == Array(0...16))
        #expect(Set(Self.grpcTable.map(\.code)).count == 17)
    }

    @Test("each code has gRPC's number and name", arguments: grpcTable)
    func numberAndName(number: Int32, name: String, code: StatusCode) {
        #expect(code.rawValue == number)
        #expect(code.name == name)
        #expect(code.description == name)
        #expect(StatusCode(rawValue: number) == code)
        #expect(StatusCode(rawValue: number).name == name)
    }

    @Test("init(name:) round trips, in any case", arguments: grpcTable)
    func nameRoundTrip(number: Int32, name: String, code: StatusCode) {
        #expect(StatusCode(name: name) == code)
        #expect(StatusCode(name: code.name) == code)
        #expect(StatusCode(name: name.lowercased()) == code)
    }

    @Test("unknown names are refused", arguments: ["", "NOPE", "INTERNAL_ERROR", "invalidArgument", " OK", "13"])
    func unknownNames(name: String) {
        #expect(StatusCode(name: name) == nil)
    }

    @Test("unknown numbers are carried and print as CODE_<n>", arguments: [17, 42, 1000, -1, Int32.max, Int32.min])
    func unknownNumbers(number: Int32) {
        let code = StatusCode(rawValue: number)
        #expect(code.rawValue == number)
        #expect(code.name == "CODE_\(number)")
        #expect(code.description == "CODE_\(number)")
        #expect(!Self.grpcTable.map(\.code).contains(code))
    }

    @Test("an RPCError describes itself as NAME: message")
    func rpcErrorDescription() {
        #expect(RPCError(.notFound, "no such connection").description == "NOT_FOUND: no such connection")
        #expect(RPCError(StatusCode(rawValue: 99), "x").description == "CODE_99: x")
    }

    @Test("a ProtoDecodingError maps to INVALID_ARGUMENT with its description")
    func decodingErrorMapsToInvalidArgument() {
        let error = ProtoDecodingError(fieldPath: "metadata[0].key", reason: "invalid UTF-8 at byte 0")
        #expect(error.rpcError == RPCError(.invalidArgument, "field metadata[0].key: invalid UTF-8 at byte 0"))
    }
}
