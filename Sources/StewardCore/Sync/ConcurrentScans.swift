/// The scans of a connection's governed databases, a few at once (each on
/// a connection of its own; the server answers them in parallel), handed
/// on one by one in the order the databases are governed, so that progress
/// reads the same as when they ran in turn.
enum ConcurrentScans {
    /// How many databases of one connection are scanned at once: two keep
    /// the server busy while this side decodes, and hold little memory.
    static let width = 2

    /// Runs `scan` for each of `databases`, at most `width` at a time, and
    /// calls `deliver` with each result in order, on the caller's task. When
    /// `deliver` throws, the scans still running are cancelled and the
    /// error is thrown once they have ended.
    static func run(
        _ databases: [String], width: Int = width,
        scan: @escaping @Sendable (String) async -> Result<DatabaseScan, DomainError>,
        deliver: (String, Result<DatabaseScan, DomainError>) async throws(DomainError) -> Void
    ) async throws(DomainError) {
        var failure: DomainError?
        await withTaskGroup(of: (Int, Result<DatabaseScan, DomainError>).self) { group in
            var started = 0
            func startNext() {
                guard started < databases.count else { return }
                let index = started
                let database = databases[index]
                group.addTask { (index, await scan(database)) }
                started += 1
            }
            for _ in 0..<max(1, width) { startNext() }
            var ready: [Int: Result<DatabaseScan, DomainError>] = [:]
            var next = 0
            // A scan starts only when one before it has been delivered: at
            // most `width` are started and not yet delivered, and once a
            // delivery throws, none starts.
            while let (index, result) = await group.next() {
                guard failure == nil else { continue }
                ready[index] = result
                while let result = ready.removeValue(forKey: next) {
                    do throws(DomainError) {
                        try await deliver(databases[next], result)
                    } catch {
                        failure = error
                        group.cancelAll()
                        break
                    }
                    next += 1
                    startNext()
                }
            }
        }
        if let failure { throw failure }
    }
}
