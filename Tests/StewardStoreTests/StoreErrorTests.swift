import StewardStore
import Testing

@Suite("Store errors")
struct StoreErrorTests {
    @Test("A store error describes itself with its client-safe message")
    func description() {
        #expect("\(StoreError(.notFound, "no connection \"x\"")).description" == "no connection \"x\".description")
    }
}
