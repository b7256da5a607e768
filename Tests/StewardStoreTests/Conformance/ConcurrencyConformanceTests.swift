import Dispatch
import Foundation
import StewardStore
import Synchronization
import Testing

/// The daemon calls the store from many handler tasks at once.
@Suite("Registry store conformance: concurrent callers")
struct ConcurrencyConformanceTests {
    @Test("Concurrent writers all land, each exactly once", arguments: StoreBackend.all)
    func concurrentWrites(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                do {
                    try Samples.connection(store, "c\(worker)")
                    for index in 0..<25 {
                        try store.appendAuditEvent(
                            NewAuditEvent(at: Date(), uid: UInt32(worker), method: "/m/\(index)", status: .ok))
                    }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
            #expect(failures.withLock { $0 } == 0)
            #expect(try store.listConnections(state: nil, page: PageRequest()).items.count == 8)
            let events = try store.listAuditEvents(AuditFilter(), page: PageRequest(size: 1000)).items
            #expect(events.count == 200)
            #expect(Set(events.map(\.id)).count == 200)
        }
    }

    @Test("Of concurrent changes from the same revision, exactly one wins", arguments: StoreBackend.all)
    func compareAndSet(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let record = try Samples.connection(store, "c")
            let outcomes = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                let outcome: String
                do throws(StoreError) {
                    try store.transitionConnection(
                        key: "c", expectedRevision: record.revision,
                        change: StateChange(to: .validated, actor: UInt32(worker), reason: "worker \(worker)"))
                    outcome = "won"
                } catch {
                    outcome = error.code == .revisionConflict ? "conflict" : "\(error)"
                }
                outcomes.withLock { $0.append(outcome) }
            }
            let all = outcomes.withLock { $0 }
            #expect(all.filter { $0 == "won" }.count == 1)
            #expect(all.filter { $0 == "conflict" }.count == 7)
            #expect(try store.connection(key: "c").revision == record.revision + 1)
            #expect(try store.transitions(key: "c").count == 2)
        }
    }

    @Test("No secret reaches an error message, a record's description or a log of an update",
          arguments: StoreBackend.all)
    func noSecretInText(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let password = "pw-\(UInt64.random(in: 0...UInt64.max))"
            let record = try store.createConnection(
                key: "c", settings: Samples.settings("c"), password: Secret(password), createdBy: 1)
            var texts = ["\(record)", String(reflecting: record)]
            let update = ConnectionUpdate(
                key: "c", expectedRevision: 99, settings: record.settings, password: Secret(password))
            texts += ["\(update)", String(reflecting: update)]
            var dumped = ""
            dump(update, to: &dumped)
            texts.append(dumped)
            let failures: [() throws -> Void] = [
                { _ = try store.createConnection(key: "c", settings: record.settings, password: Secret(password), createdBy: 1) },
                { _ = try store.updateConnection(update) },
                { _ = try store.createConnection(key: "bad key", settings: record.settings, password: Secret(password), createdBy: 1) },
            ]
            for failure in failures {
                do {
                    try failure()
                    Issue.record("expected a failure")
                } catch let error as StoreError {
                    texts += [error.description, error.debugDescription, error.rpcError.message]
                } catch {
                    Issue.record("unexpected \(error)")
                }
            }
            for text in texts { #expect(!text.contains(password), "\(text)") }
        }
    }
}
