import StewardModel
import StewardStore

/// A row a CSV import refuses, by the line it starts on.
package struct CSVImportProblem: Equatable {
    package var line: Int
    package var message: String
}

/// The shared shape of Steward's CSV imports (mappings, group members): an
/// optional header row naming `columns`, one value a row, every bad row
/// reported by its line, and all rows applied or none.
package struct CSVImport<Value> {
    /// The parsed rows, in file order, each with its line.
    package var rows: [(line: Int, value: Value)] = []
    package var problems: [CSVImportProblem] = []

    /// - Parameter parse: one record's fields (there are `columns.count`,
    ///   already trimmed of spaces and tabs) as a value, or why not.
    /// `noun` names the rows in the complaint about a file without any ("mappings").
    package init(csv: String, columns: [String], noun: String, parse: ([String]) throws(DomainError) -> Value) {
        let records: [CSVRecords.Record]
        // A spreadsheet's byte-order mark is not part of the first field.
        let text = csv.hasPrefix("\u{FEFF}") ? String(csv.dropFirst()) : csv
        do { records = try CSVRecords.parse(text) } catch {
            problems = [CSVImportProblem(line: error.line, message: error.problem)]
            return
        }
        var body = records[...]
        if let first = body.first, first.fields.map({ $0.csvTrimmed.lowercased() }) == columns {
            body.removeFirst()
        }
        let shape = columns.joined(separator: ",")
        for record in body {
            do throws(DomainError) {
                guard record.fields.count == columns.count else {
                    throw DomainError(.invalidArgument, "expected \(columns.count) fields (\(shape)), found \(record.fields.count)")
                }
                rows.append((record.line, try parse(record.fields.map(\.csvTrimmed))))
            } catch {
                problems.append(CSVImportProblem(line: record.line, message: error.message.csvTrimmed))
            }
        }
        if rows.isEmpty && problems.isEmpty {
            problems.append(CSVImportProblem(line: 1, message: "no \(noun): expected rows of \(shape)"))
        }
    }

    /// Rows one import may carry.
    package static var maxRows: Int { 50_000 }
    /// Bad rows a failure lists by line (the rest are counted), so that the
    /// answer stays a readable size.
    package static var maxReportedProblems: Int { 100 }

    /// Applies every row through `store` (an all-or-none store import that
    /// reports failing rows by position) or none: any bad row fails with
    /// INVALID_ARGUMENT listing every bad row by line, the store's as well
    /// as the file's.
    package func apply(
        dryRun: Bool, _ store: (_ values: [Value], _ dryRun: Bool) throws(StoreError) -> Int
    ) throws(DomainError) -> Int {
        // One import is one write transaction, which holds the store while
        // it runs: a bound keeps every other call responsive.
        guard rows.count <= Self.maxRows else {
            throw .invalidArgument("csv", "\(rows.count) rows; at most \(Self.maxRows) are imported at once: split the file")
        }
        var problems = problems
        // The store's rules are checked too when rows are already bad, as a
        // dry run, so that one answer names every bad row.
        do throws(StoreError) {
            let count = try store(rows.map(\.value), dryRun || !problems.isEmpty)
            if problems.isEmpty { return count }
        } catch where !error.itemFailures.isEmpty {
            problems += error.itemFailures.map { CSVImportProblem(line: rows[$0.index].line, message: $0.error.message) }
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

extension String {
    /// Without leading and trailing spaces and tabs (CSV cells as people type them).
    var csvTrimmed: String {
        var scalars = unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
