import StewardModel
import StewardPostgres
import Synchronization

/// The registry's own liveness, asked on a session of its own: the daemon's
/// Health reports the registry from it (`steward.v1.Registry`), and a probe
/// never waits behind, or holds up, a call's session.
final class RegistryProbeSession: Sendable {
    private let connection = Mutex<PostgresConnection?>(nil)

    /// Whether the registry answers `SELECT 1` by `deadline`. A session that
    /// failed is closed (without waiting on the server) and made afresh
    /// on the next probe.
    func answers(_ parameters: ConnectionParameters, by deadline: Deadline) -> Bool {
        connection.withLock { connection in
            do throws(PostgresError) {
                if connection == nil {
                    var parameters = parameters
                    parameters.readsPasswordFile = true
                    parameters.usesKeepalives = true
                    connection = try PostgresConnection.connect(parameters, deadline: deadline)
                }
                _ = try connection!.query("SELECT 1", deadline: deadline)
                return true
            } catch {
                connection?.close()
                connection = nil
                return false
            }
        }
    }

    func close() {
        connection.withLock { connection in
            connection?.close()
            connection = nil
        }
    }
}

extension PostgresRegistryStore {
    /// Whether the registry answers within `milliseconds`, asked on the
    /// store's probe session (never a call's).
    public func answers(withinMilliseconds milliseconds: Int) -> Bool {
        probe.answers(parameters, by: .after(milliseconds: milliseconds))
    }
}
