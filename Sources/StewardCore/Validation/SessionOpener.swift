import StewardModel
import StewardPostgres
import StewardStore

/// Opens the session the checks run on: the state database first; when the
/// server refuses that database (missing, or no CONNECT), another one, so
/// that the checks that do not need the state database still run.
struct SessionOpener {
    enum Opening {
        /// A session, and how the state database fared (opened means the
        /// session is in it).
        case opened(PostgresConnection, stateDatabase: StateDatabaseCheck.Access)
        /// Reaching the server, TLS or the login failed.
        case failed(PostgresError)
        /// The login worked — the server judges the database only after the
        /// password — but every database tried was refused.
        case noDatabase(stateDatabase: StateDatabaseCheck.Access, tried: [String], lastError: PostgresError)
    }

    let target: ValidationTarget
    let caFilePath: String?
    let deadline: Deadline

    func connect(to database: String) throws(PostgresError) -> PostgresConnection {
        try PostgresConnection.connect(
            target.parameters(database: database, caFilePath: caFilePath), deadline: deadline, statementDeadline: deadline)
    }

    func open() -> Opening {
        let settings = target.settings
        let stateAccess: StateDatabaseCheck.Access
        do {
            return .opened(try connect(to: settings.stateDatabase), stateDatabase: .opened)
        } catch {
            guard let refusal = ServerMessage.databaseRefusal(error) else { return .failed(error) }
            stateAccess = .refused(refusal)
            var tried: [String] = []
            var lastError = error
            // PUBLIC may connect to postgres and template1 unless an administrator revoked it.
            for database in [settings.governedDatabases.first, "postgres", "template1"].compactMap({ $0 })
            where database != settings.stateDatabase && !tried.contains(database) {
                tried.append(database)
                do {
                    return .opened(try connect(to: database), stateDatabase: stateAccess)
                } catch {
                    guard ServerMessage.databaseRefusal(error) != nil else { return .failed(error) }
                    lastError = error
                }
            }
            return .noDatabase(stateDatabase: stateAccess, tried: tried, lastError: lastError)
        }
    }
}
