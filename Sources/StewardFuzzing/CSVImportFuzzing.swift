import StewardCore
import StewardModel
import StewardStore

/// Fuzz target 3: a CSV import file, as ImportMappings and
/// Groups.ImportMembers read it (the bytes as the UTF-8 text a request
/// carries, a bad sequence replaced as Swift would).
///
/// The file is parsed by ``CSVRecords``, read as mappings
/// (``MappingImport``) and as memberships (`GroupsService.membershipImport`),
/// and each table applied as a dry run. The store is left out: its closure
/// accepts every row (the store's own rules are the store tests' concern),
/// so everything the daemon does with the file before the store is fuzzed,
/// the failure report included.
///
/// Properties beyond not crashing: records written back as CSV parse to the
/// same fields; rows and problems name lines of the file, rows in file
/// order; a failure's report has one line per bad row, each starting
/// `line N:`, at most ``CSVImport/maxReportedProblems`` of them and a count
/// of the rest.
public enum CSVImportFuzzing {
    public static func run(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        let lineCount = text.unicodeScalars.count { $0 == "\n" || $0 == "\r" } + 1
        checkRecords(text)
        checkTable(MappingImport(csv: text).table, lineCount: lineCount)
        checkTable(GroupsService.membershipImport(csv: text), lineCount: lineCount)
    }

    static func checkRecords(_ text: String) {
        guard let records = try? CSVRecords.parse(text) else { return }
        let written = records.map { $0.fields.map(quoted).joined(separator: ",") }.joined(separator: "\n")
        let reread = try? CSVRecords.parse(written)
        expect(reread?.map(\.fields) == records.map(\.fields), "records written back as CSV read differently")
    }

    static func quoted(_ field: String) -> String {
        "\"" + field.replacing("\"", with: "\"\"") + "\""
    }

    static func checkTable<Value>(_ table: CSVImport<Value>, lineCount: Int) {
        let lines = table.rows.map(\.line)
        expect(lines == lines.sorted() && Set(lines).count == lines.count, "rows out of file order")
        for line in lines + table.problems.map(\.line) {
            expect((1...lineCount).contains(line), "line \(line) named in a file of \(lineCount) lines")
        }
        do throws(DomainError) {
            let count = try table.apply(dryRun: true) { values, _ throws(StoreError) in values.count }
            expect(table.problems.isEmpty && count == table.rows.count, "an import with problems was applied")
        } catch {
            checkReport(error, problems: table.problems.count)
        }
    }

    /// A failure names every bad row on a line of its own. (A fuzzed file
    /// is too small to reach the row limit, the one other failure.)
    static func checkReport(_ error: DomainError, problems: Int) {
        let lines = error.message.split(separator: "\n", omittingEmptySubsequences: false)
        expect(error.code == .invalidArgument, "an import failed with \(error.code)")
        expect(problems > 0, "an import without problems failed: \(error.message)")
        expect(lines.count - 1 == min(problems, CSVImport<Int>.maxReportedProblems) + (problems > CSVImport<Int>.maxReportedProblems ? 1 : 0),
               "a report of \(problems) problems has \(lines.count - 1) lines")
        for line in lines.dropFirst() {
            expect(line.hasPrefix("line ") || line.hasPrefix("… and "), "a report line is not a bad row's: \(line)")
            expect(!line.unicodeScalars.contains(where: VisibleText.needsEscape),
                   "a report line holds a raw control character: \(VisibleText.visible(String(line)))")
        }
    }
}
