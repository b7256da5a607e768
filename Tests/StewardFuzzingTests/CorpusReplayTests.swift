import Foundation
import StewardFuzzing
import Testing

/// The fuzz targets' committed inputs, replayed without sanitizers through
/// the same entry points libFuzzer calls (docs/fuzzing.md): the seed corpus
/// (Fuzz/corpus/<target>) and every input a fuzzer once broke a property
/// or crashed with (Fuzz/regressions/<target>). A target's properties are
/// checked by the entry itself, so an input that breaks one stops this
/// test as it stopped the fuzzer.
@Suite("Fuzz corpus replay: every seed and every past crash of each fuzz target", .timeLimit(.minutes(2)))
struct CorpusReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static let targets: [(name: String, run: @Sendable (UnsafeRawBufferPointer) -> Void)] = [
        ("frames", FrameStreamFuzzing.run),
        ("requests", RequestDecodingFuzzing.run),
        ("csv-import", CSVImportFuzzing.run),
        ("connection-text", ConnectionTextFuzzing.run),
    ]

    static func inputs(_ folder: String, _ target: String) throws -> [URL] {
        let directory = root.appendingPathComponent(folder).appendingPathComponent(target)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("Each target's seeds and past crashes run through it with every property kept",
          arguments: ["frames", "requests", "csv-import", "connection-text"])
    func replay(target: String) throws {
        let run = try #require(Self.targets.first { $0.name == target }).run
        let seeds = try Self.inputs("corpus", target)
        #expect(seeds.count >= 5, "\(target) has a seed corpus")
        for input in try seeds + Self.inputs("regressions", target) {
            let bytes = try Data(contentsOf: input)
            bytes.withUnsafeBytes(run)
        }
    }
}
