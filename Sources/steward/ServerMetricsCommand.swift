import ArgumentParser
import Foundation
import StewardWire

extension ServerCommand {
    /// `steward server metrics [--output FILE]`.
    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The daemon's metrics in the Prometheus text format.",
            discussion: """
                With --output the text is written to FILE atomically (a new file renamed over \
                the old one, mode 0644), for node_exporter's textfile collector: run it from a \
                timer, e.g. --output /var/lib/node_exporter/textfile/steward.prom.
                """)

        @OptionGroup var options: ClientOptions
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the metrics to this file instead of standard output.", valueName: "file"))
        var output: String?

        func run() async throws {
            let metrics = try await options.call(StewardV1.Server.metrics, StewardV1.ServerMetricsRequest())
            guard let output else {
                options.emit(metrics) { metrics.text.hasSuffix("\n") ? String(metrics.text.dropLast()) : metrics.text }
                return
            }
            do {
                // .atomic writes a temporary file beside it and renames it
                // over FILE: the collector never reads half a file.
                try Data(metrics.text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: output)
            } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
        }
    }
}
