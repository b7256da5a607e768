import Foundation
import StewardStore
import StewardWire
import Testing

@Suite("Registry store conformance: audit events")
struct AuditConformanceTests {
    static let base = Date(timeIntervalSince1970: 1_760_000_000)

    /// 30 events, one a minute: uids 1001…1003 in turn, every third a
    /// denial, every fifth about connection "c1".
    @discardableResult
    func populate(_ store: any RegistryStore) throws -> [AuditEvent] {
        var events: [AuditEvent] = []
        for index in 0..<30 {
            let denied = index % 3 == 0
            let event = NewAuditEvent(
                at: Self.base + Double(index * 60), uid: UInt32(1001 + index % 3),
                userName: index % 3 == 2 ? nil : "user\(index % 3)",
                method: index % 2 == 0 ? "/steward.v1.Connections/Register" : "/steward.v1.Users/Create",
                target: "t\(index)", connectionKey: index % 5 == 0 ? "c1" : nil,
                status: denied ? .permissionDenied : .ok, message: denied ? "permission denied" : "")
            events.append(try store.appendAuditEvent(event))
        }
        return events
    }

    func all(_ store: any RegistryStore, _ filter: AuditFilter, size: Int = 7) throws -> [AuditEvent] {
        var events: [AuditEvent] = []
        var token: String?
        repeat {
            let page = try store.listAuditEvents(filter, page: PageRequest(size: size, token: token))
            #expect(page.items.count <= size)
            events += page.items
            token = page.nextPageToken
        } while token != nil
        return events
    }

    @Test("Appended events read back whole, newest first, with increasing ids", arguments: StoreBackend.all)
    func appendAndList(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let appended = try populate(store)
            #expect(appended.map(\.id) == appended.map(\.id).sorted())
            #expect(Set(appended.map(\.id)).count == 30)
            let listed = try all(store, AuditFilter())
            #expect(listed == appended.reversed())
        }
    }

    @Test("Filters narrow the list and combine with paging", arguments: StoreBackend.all)
    func filters(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let events = try populate(store)
            func expected(_ keep: (AuditEvent) -> Bool) -> [Int64] { events.filter(keep).map(\.id).reversed() }

            // Bounds taken from the stored times: PostgreSQL stamps events
            // with its own clock, whatever the writer supplied.
            let from = events[10].at, until = events[20].at
            #expect(try all(store, AuditFilter(from: from, until: until)).map(\.id)
                == expected { $0.at >= from && $0.at < until })
            #expect(try all(store, AuditFilter(uid: 1002)).map(\.id) == expected { $0.uid == 1002 })
            #expect(try all(store, AuditFilter(userName: "user1")).map(\.id) == expected { $0.userName == "user1" })
            #expect(try all(store, AuditFilter(connectionKey: "c1")).map(\.id) == expected { $0.connectionKey == "c1" })
            #expect(try all(store, AuditFilter(method: "/steward.v1.Users/Create")).map(\.id)
                == expected { $0.method == "/steward.v1.Users/Create" })
            #expect(try all(store, AuditFilter(outcome: .failed)).map(\.id) == expected { $0.status != .ok })
            #expect(try all(store, AuditFilter(outcome: .succeeded)).map(\.id) == expected { $0.status == .ok })
            #expect(try all(store, AuditFilter(outcome: .status(.permissionDenied)), size: 2).map(\.id)
                == expected { $0.status == .permissionDenied })
            let combined = AuditFilter(from: events[5].at, uid: 1001, method: "/steward.v1.Connections/Register", outcome: .failed)
            #expect(try all(store, combined, size: 1).map(\.id) == expected {
                $0.at >= events[5].at && $0.uid == 1001 && $0.method == "/steward.v1.Connections/Register" && $0.status != .ok
            })
            #expect(try all(store, AuditFilter(uid: 4242)).isEmpty)
        }
    }

    @Test("A page never repeats or skips an event appended while paging", arguments: StoreBackend.all)
    func stablePaging(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let events = try populate(store)
            let first = try store.listAuditEvents(AuditFilter(), page: PageRequest(size: 10))
            try store.appendAuditEvent(NewAuditEvent(at: Self.base + 99_999, uid: 1, method: "/x/Y", status: .ok))
            let second = try store.listAuditEvents(AuditFilter(), page: PageRequest(size: 10, token: first.nextPageToken))
            #expect(first.items.map(\.id) + second.items.map(\.id) == events.suffix(20).reversed().map(\.id))
            expectStoreError(.invalidArgument) {
                _ = try store.listAuditEvents(AuditFilter(), page: PageRequest(size: 10, token: "not-a-token"))
            }
        }
    }
}
