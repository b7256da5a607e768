import Foundation
import StewardClient
import StewardWire

struct CallNeverArrived: Error, CustomStringConvertible {
    var description: String { "the daemon never had the expected call in flight" }
}

/// Returns once the daemon reports at least `count` calls in flight (the
/// Stats call asking counts as one), through its own statistics. Throws
/// after 10 s, so a call that never arrives fails the test instead of
/// spinning forever.
func waitUntilCallsInFlight(atLeast count: UInt32, client: StewardClient) async throws {
    let deadline = Date().addingTimeInterval(10)
    while try await client.call(StewardV1.Server.stats, .init()).callsInFlight < count {
        guard Date() < deadline else { throw CallNeverArrived() }
        await Task.yield()
    }
}
