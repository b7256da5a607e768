import StewardModel
import StewardPostgres
import StewardStore

/// What one governed database showed the role: read with one connection to
/// it and two set-based queries, however many schemas and tables it has.
struct GovernedDatabase {
    enum Content {
        /// The role lacks CONNECT, or the database does not exist: no attempt is made.
        case notConnectable
        /// The server refused the connection attempt.
        case refused(PostgresError)
        /// Connected, but reading the catalog failed.
        case unreadable(PostgresError)
        case inspected(schemas: [PostgresCatalog.SchemaAccess], tables: [PostgresCatalog.TablePrivileges])
    }

    let name: String
    let content: Content

    /// Connects to `name` and reads its schemas and tables as `role` sees
    /// them. This connection is also database_connect's proof that the role
    /// can connect: its failure is kept apart from a failed catalog read.
    static func inspect(
        _ name: String, role: String, parameters: ConnectionParameters, deadline: Deadline
    ) -> GovernedDatabase {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(parameters, deadline: deadline, statementDeadline: deadline)
        } catch {
            return GovernedDatabase(name: name, content: .refused(error))
        }
        defer { connection.close() }
        do throws(PostgresError) {
            let schemas = try PostgresCatalog.schemaAccess(of: role, on: connection, deadline: deadline)
            let tables: [PostgresCatalog.TablePrivileges]
            do {
                tables = try PostgresCatalog.tablePrivileges(of: role, on: connection, deadline: deadline)
            } catch where error.kind == .decoding {
                // has_table_privilege answers NULL for a table dropped while
                // the query ran (an ETL job at work); a second read sees a
                // catalog without it.
                tables = try PostgresCatalog.tablePrivileges(of: role, on: connection, deadline: deadline)
            }
            return GovernedDatabase(name: name, content: .inspected(schemas: schemas, tables: tables))
        } catch {
            return GovernedDatabase(name: name, content: .unreadable(error))
        }
    }

    var isInspected: Bool {
        if case .inspected = content { true } else { false }
    }

    /// Why the later checks could not look at this database; nil when they could.
    var notObservableReason: String? {
        switch content {
        case .inspected: nil
        case .notConnectable: "the role may not connect"
        case .refused(let error): "the connection was refused: \(ServerMessage.essence(of: error))"
        case .unreadable(let error): "its catalog could not be read: \(ServerMessage.essence(of: error))"
        }
    }
}

extension [GovernedDatabase] {
    /// The verdict for a check that has nothing to look at: no governed
    /// databases (PASSED), or none Steward could read (SKIPPED: database_connect
    /// fails for each and says why). Nil otherwise.
    func nothingToJudge(_ check: ValidationCheck) -> CheckResult? {
        if isEmpty { return check.passed("no governed databases to check") }
        guard !contains(where: \.isInspected) else { return nil }
        return check.skipped(because: .databaseConnect, "no governed database could be read" + notObservedNote)
    }

    /// Said once per check: the databases whose objects were not checked,
    /// each with its reason, as `; not checked, see database_connect: "a" (…)`,
    /// or empty. Their objects are neither counted nor failing here.
    var notObservedNote: String {
        let unseen = filter { !$0.isInspected }
        guard !unseen.isEmpty else { return "" }
        let listed = unseen.prefix(FailingObjects.limit).map { "\(ObjectName.database($0.name)) (\($0.notObservableReason ?? ""))" }
        let more = unseen.count > FailingObjects.limit ? " and \(unseen.count - FailingObjects.limit) more" : ""
        return "; not checked, see database_connect: \(listed.joined(separator: ", "))\(more)"
    }
}

/// `all 3 tables of the governed databases`; with none, no count: a report
/// never says "all 0" or "0 of 0".
func allOf(_ total: Int, _ noun: String) -> String {
    total == 0 ? "every \(noun) of the governed databases (there are none)" : "all \(total) \(noun)s of the governed databases"
}

/// `all 3 tables and 1 view of the governed databases`; with none, no
/// count, as ``allOf(_:_:)``.
func allOf(_ counts: RelationCounts) -> String {
    switch counts.total {
    case 0: "every relation of the governed databases (there are none)"
    case 1: "the \(counts.description) of the governed databases"
    default: "all \(counts.description) of the governed databases"
    }
}
