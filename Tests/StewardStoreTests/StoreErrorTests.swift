import StewardStore
import StewardWire
import Testing

@Suite("Store errors")
struct StoreErrorTests {
    @Test("A store error describes itself with its client-safe message; details are for the log only")
    func description() {
        let error = StoreError(.notFound, "no connection \"x\"", detail: "sqlite3_step: something internal")
        #expect("\(error)" == "no connection \"x\"")
        #expect(String(reflecting: error).contains("something internal"))
        #expect(!error.rpcError.message.contains("something internal"))
    }

    @Test("Codes map to their gRPC status; internal failures keep a generic message on the wire")
    func rpcMapping() {
        let cases: [(StoreError.Code, StatusCode)] = [
            (.notFound, .notFound), (.alreadyExists, .alreadyExists), (.revisionConflict, .aborted),
            (.failedPrecondition, .failedPrecondition), (.invalidArgument, .invalidArgument),
            (.unavailable, .unavailable), (.corrupt, .dataLoss), (.io, .internalError),
        ]
        for (code, status) in cases {
            #expect(StoreError(code, "m").rpcError.code == status, "\(code)")
        }
        #expect(StoreError(.notFound, "no user named \"a\"").rpcError == RPCError(.notFound, "no user named \"a\""))
        #expect(StoreError(.io, "disk exploded at /var/x").rpcError == RPCError(.internalError, "the registry store failed"))
        let thrown: any Error = StoreError(.revisionConflict, "changed")
        #expect((thrown as? any RPCErrorConvertible)?.rpcError.code == .aborted)
    }
}
