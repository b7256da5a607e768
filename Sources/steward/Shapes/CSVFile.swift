import ArgumentParser
import Foundation

/// A CSV file an import command sends whole: the daemon parses it, so that
/// its line numbers in errors are the file's own.
enum CSVFile {
    /// The file (or standard input, for "-") as UTF-8 text.
    static func read(_ file: String) throws -> String {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ValidationError("\(file == "-" ? "standard input" : file) is not UTF-8 text")
        }
        // Spreadsheets often save CSV with a byte order mark, which would
        // otherwise become part of the first column's name in the header.
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }

    /// Sends an import: the daemon lists a refused file's bad rows one a
    /// line, and the failure is printed that way.
    static func sendImport<Response>(_ call: () async throws -> Response) async throws -> Response {
        do {
            return try await call()
        } catch var failure as CommandFailure {
            failure.isLineList = true
            throw failure
        }
    }
}
