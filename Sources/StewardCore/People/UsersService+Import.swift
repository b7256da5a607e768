import StewardModel
import StewardStore

/// ImportMappings: many mappings from a CSV, all or none.
extension UsersService {
    /// Rows one ImportMappings call may carry.
    public static let maxImportRows = 50_000
    /// Bad rows an import failure lists by line (the rest are counted), so
    /// that the answer stays a readable size.
    public static let maxReportedProblems = 100

    /// Sets every mapping of a CSV (`user,connection,kind,value`) or none:
    /// any bad row fails the call with INVALID_ARGUMENT listing every bad
    /// row by line.
    public func importMappings(csv: String, dryRun: Bool, call: AuditedCall) throws(DomainError) -> Int {
        let caller = call.caller
        return try audit.audited(call) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "import mappings")
            let parsed = MappingImport(csv: csv)
            // One import is one write transaction, which holds the store
            // while it runs: a bound keeps every other call responsive.
            guard parsed.rows.count <= Self.maxImportRows else {
                throw .invalidArgument("csv", "\(parsed.rows.count) rows; at most \(Self.maxImportRows) are imported at once: split the file")
            }
            var problems = parsed.problems
            // The store's rules (users and connections exist, one username per
            // user per connection) are checked too when rows are already bad,
            // as a dry run, so that one answer names every bad row.
            do throws(StoreError) {
                let count = try store.importMappings(parsed.rows.map(\.mapping), dryRun: dryRun || !problems.isEmpty)
                if problems.isEmpty { return count }
            } catch where !error.itemFailures.isEmpty {
                problems += error.itemFailures.map { MappingImport.Problem(line: parsed.rows[$0.index].line, message: $0.error.message) }
            } catch {
                throw DomainError(error.code.status, error.message)
            }
            problems.sort { $0.line < $1.line }
            // One bad row a line: a row's own text (a quoted CSV field may hold a
            // line break) is made single-line, so every break is the report's.
            var report = problems.prefix(Self.maxReportedProblems).map { "line \($0.line): \(VisibleText.visible($0.message))" }
            if problems.count > Self.maxReportedProblems {
                report.append("… and \(problems.count - Self.maxReportedProblems) more bad rows")
            }
            throw DomainError(
                .invalidArgument,
                "\(problems.count) bad \(problems.count == 1 ? "row" : "rows"); nothing was imported:\n"
                    + report.joined(separator: "\n"))
        }
    }
}
