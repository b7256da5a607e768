import ArgumentParser
import Foundation
import StewardWire

/// `steward mapping import`: many mappings from a CSV file, all or none.
struct ImportMappings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import mappings from CSV (all rows or none).",
        discussion: """
            Columns: user,connection,kind,value, with an optional header row naming them. \
            An empty connection means the default mapping; kind is POSTGRES_USERNAME, \
            IAM_PRINCIPAL, UNSET or NONE (value empty for the last two). The daemon \
            checks every row and, if any is bad, refuses the file listing each bad row by \
            line number (exit 2).
            """)

    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp("The CSV file, or - for standard input.", valueName: "file"))
    var file: String
    @Flag(name: .customLong("dry-run"), help: "Check every row; change nothing.")
    var dryRun = false

    func run() async throws {
        let response = try await CSVFile.sendImport {
            try await options.call(StewardV1.Users.importMappings, .init(csv: try CSVFile.read(file), dryRun: dryRun))
        }
        options.emit(response) {
            (response.dryRun ? "would import " : "imported ") + MappingText.counted(response.imported, "mapping")
        }
    }
}
