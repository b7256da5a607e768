import Foundation
import StewardCore
import StewardPostgres
import StewardStore
import StewardWire
import Testing

/// A sync cancelled part-way stores nothing.
extension SyncServiceTests {
    // MARK: Cancellation

    @Test("A cancellation thrown by the progress closure stops the sync at once, and nothing is stored")
    func cancelledByProgress() async throws {
        try connection("wh", governed: ["sales", "hr", "ops"])
        scanner.set("sales", [Self.orders])
        scanner.set("hr", [Self.staff])
        scanner.set("ops", [Self.logs])

        // At the first event: no database after those already being
        // scanned (two at once, ConcurrentScans.width) is scanned.
        let first = ProgressRecorder(throwAt: 1)
        let stopped = await syncError("wh", progress: first)
        #expect(stopped?.code == .cancelled, "\(String(describing: stopped))")
        #expect(first.recorded == ["scanned sales 1"])
        #expect(scanner.recorded.map(\.database).sorted() == ["hr", "sales"])
        #expect(try dataSources("wh").isEmpty)

        // At the last event, once every database was scanned: still nothing stored.
        scanner.clearRecorded()
        let last = ProgressRecorder(throwAt: 3)
        let late = await syncError("wh", progress: last)
        #expect(late?.code == .cancelled, "\(String(describing: late))")
        #expect(last.recorded == ["scanned sales 1", "scanned hr 1", "scanned ops 1"])
        #expect(scanner.recorded.map(\.database).sorted() == ["hr", "ops", "sales"])
        #expect(try dataSources("wh").isEmpty)

        // A stored registry is left as it was by a cancelled sync that would have changed it.
        _ = try await sync("wh")
        let before = try dataSources("wh")
        scanner.set("sales", [Self.customers])
        scanner.set("ops", [])
        let changed = ProgressRecorder(throwAt: 3)
        #expect(await syncError("wh", progress: changed)?.code == .cancelled)
        #expect(try dataSources("wh") == before)

        // Cancelled while a database reports a failure, too.
        scanner.fail("sales", DomainError(.unavailable, "down"))
        let onFailure = ProgressRecorder(throwAt: 1)
        #expect(await syncError("wh", progress: onFailure)?.code == .cancelled)
        #expect(onFailure.recorded == ["failed sales UNAVAILABLE down"])
        #expect(try dataSources("wh") == before)
    }

    @Test("A scan that ends CANCELLED (the call's end reaching the scanner) stops the sync; it is not reported as a failed database")
    func cancelledInScan() async throws {
        try connection("wh", governed: ["sales", "hr", "ops"])
        scanner.set("sales", [Self.orders])
        scanner.fail("hr", DomainError(.cancelled, "cancelled"))
        scanner.set("ops", [Self.logs])
        let progress = ProgressRecorder()
        let error = await syncError("wh", progress: progress)
        #expect(error?.code == .cancelled, "\(String(describing: error))")
        #expect(progress.recorded == ["scanned sales 1"])
        // ops may have started once sales was delivered (two scans at
        // once), but nothing after the cancelled scan is reported or stored.
        #expect(Set(scanner.recorded.map(\.database)).isSuperset(of: ["sales", "hr"]))
        #expect(try dataSources("wh").isEmpty)
    }
}
