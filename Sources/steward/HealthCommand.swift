import ArgumentParser
import Foundation
import StewardWire

/// `steward health`: asks grpc.health.v1.Health whether the daemon serves.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check whether the daemon (or one of its services) is serving.",
        discussion: "Exits 0 when SERVING and 4 otherwise. --watch prints each change until the daemon stops.")

    @OptionGroup var options: ClientOptions

    @Option(name: .long, help: "A service name such as steward.v1.Server; empty for the daemon as a whole.")
    var service = ""

    @Flag(name: .long, help: "Keep printing the status as it changes (Health.Watch).")
    var watch = false

    func run() async throws {
        let request = GrpcHealthV1.HealthCheckRequest(service: service)
        if watch {
            try await runWatch(request)
            return
        }
        let response = try await options.call(GrpcHealthV1.Health.check, request)
        options.emit(response) { response.status.description }
        if response.status != .serving { throw ExitCode(4) }
    }

    private func runWatch(_ request: GrpcHealthV1.HealthCheckRequest) async throws {
        let client = try options.connect()
        defer { client.close() }
        var last: GrpcHealthV1.HealthCheckResponse.ServingStatus?
        do {
            // A watch runs until the daemon ends it, so --timeout does not apply.
            for try await response in client.stream(GrpcHealthV1.Health.watch, request) {
                options.emit(response) { response.status.description }
                last = response.status
            }
        } catch let error as RPCError {
            throw CommandFailure(error)
        }
        if last != .serving { throw ExitCode(4) }
    }
}
