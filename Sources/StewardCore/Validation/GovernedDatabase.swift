import StewardModel
import StewardPostgres
import StewardStore

/// What one governed database showed the role: read with one connection to
/// it and two set-based queries, however many schemas and tables it has.
struct GovernedDatabase {
    enum Content {
        /// The role may not connect (database_connect reports why).
        case notConnectable
        /// Connecting or reading the catalog failed.
        case unreadable(PostgresError)
        case inspected(schemas: [(name: String, hasUsage: Bool)], tables: [PostgresCatalog.TablePrivileges])
    }

    let name: String
    let content: Content

    /// Connects to `name` and reads its schemas and tables as `role` sees them.
    static func inspect(
        _ name: String, role: String, parameters: ConnectionParameters, deadline: Deadline
    ) -> GovernedDatabase {
        do throws(PostgresError) {
            let connection = try PostgresConnection.connect(parameters, deadline: deadline, statementDeadline: deadline)
            defer { connection.close() }
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
}

extension [GovernedDatabase] {
    /// The verdict for a check that has nothing to look at: no governed
    /// databases, or none the role may connect to. Nil otherwise.
    func nothingToJudge(_ check: ValidationCheck) -> CheckResult? {
        if isEmpty { return check.passed("no governed databases to check") }
        let reachable = contains { if case .notConnectable = $0.content { false } else { true } }
        return reachable ? nil : check.skipped(because: .databaseConnect, "the role may connect to none of the governed databases")
    }

    /// Adds a failing object for each database whose catalog could not be read.
    func addUnreadable(to objects: inout FailingObjects) {
        for database in self {
            if case .unreadable(let error) = database.content {
                objects.add(ObjectName.database(database.name) + " (could not be read: \(ServerMessage.essence(of: error)))")
            }
        }
    }

    /// ` ("a", "b" not checked: the role may not connect to them)`, or empty.
    var notCheckedNote: String {
        let skipped = filter { if case .notConnectable = $0.content { true } else { false } }
        guard !skipped.isEmpty else { return "" }
        let names = skipped.prefix(FailingObjects.limit).map { ObjectName.database($0.name) }.joined(separator: ", ")
        return " (\(names)\(skipped.count > FailingObjects.limit ? " and \(skipped.count - FailingObjects.limit) more" : "") not checked: see database_connect)"
    }
}
