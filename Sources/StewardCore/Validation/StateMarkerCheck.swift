import StewardModel
import StewardPostgres
import StewardStore

/// The registration marker in the state database: the row that proves this
/// connection's own setup script ran (not another connection's, nor an
/// earlier registration's under the same key).
enum StateMarkerCheck {
    /// What the state database holds.
    struct Facts: Sendable, Equatable {
        var hasSchema: Bool
        var hasTable: Bool
        /// This connection's marker, if it has a row.
        var marker: String?
        /// Other connections' keys, the first ``FailingObjects/limit``, sorted.
        var otherKeys: [String]
        var otherKeyCount: Int
    }

    /// Reads the facts with two queries on a session in the state database.
    static func read(key: String, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> Facts {
        // pg_class rather than to_regclass: the latter may raise an error
        // instead of answering when the role lacks USAGE on the schema.
        let presence = try connection.query(
            """
            SELECT n.oid IS NOT NULL AS has_schema, c.oid IS NOT NULL AS has_table
            FROM (SELECT 1) AS one
            LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = $1
            LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = $2
            """,
            [SetupScript.stateSchema, SetupScript.markerTable], deadline: deadline)
        guard let row = presence.rows.first else {
            throw PostgresError(kind: .decoding, message: "the presence query returned no row")
        }
        var facts = Facts(hasSchema: try row.bool("has_schema"), hasTable: try row.bool("has_table"), marker: nil, otherKeys: [], otherKeyCount: 0)
        guard facts.hasTable else { return facts }
        // This key's row first, then the others; the window count sees all rows.
        let rows = try connection.query(
            """
            SELECT connection_key, marker, pg_catalog.count(*) OVER () AS total
            FROM \(SQLQuoting.qualified(SetupScript.stateSchema, SetupScript.markerTable))
            ORDER BY connection_key = $1 DESC, connection_key
            LIMIT \(FailingObjects.limit + 1)
            """,
            [key], deadline: deadline
        ).rows
        var total = 0
        for row in rows {
            total = try row.int("total")
            let rowKey = try row.string("connection_key")
            if rowKey == key {
                facts.marker = try row.text("marker")
            } else if facts.otherKeys.count < FailingObjects.limit {
                facts.otherKeys.append(rowKey)
            }
        }
        facts.otherKeyCount = total - (facts.marker == nil ? 0 : 1)
        return facts
    }

    static func evaluate(_ result: Result<Facts, PostgresError>, request: ValidationRequest) -> CheckResult {
        let check = ValidationCheck.stateMarker
        let settings = request.settings
        let schemaName = ObjectName.schema(settings.stateDatabase, SetupScript.stateSchema)
        let tableName = ObjectName.table(settings.stateDatabase, SetupScript.stateSchema, SetupScript.markerTable)
        let fix = "run this connection's setup script, or the SQL below"
        var objects = FailingObjects()
        let facts: Facts
        do {
            facts = try result.get()
        } catch {
            objects.add(tableName)
            return check.failed(
                "could not read the marker in \(tableName): \(ServerMessage.essence(of: error)); \(fix)",
                objects: objects, remediation: remediation(request))
        }
        guard facts.hasSchema else {
            objects.add(schemaName)
            return check.failed("the state database has no schema \(SQLQuoting.identifier(SetupScript.stateSchema)): \(fix)", objects: objects, remediation: remediation(request))
        }
        guard facts.hasTable else {
            objects.add(tableName)
            return check.failed("the state database has no marker table \(tableName): \(fix)", objects: objects, remediation: remediation(request))
        }
        let key = SQLQuoting.identifier(request.key)
        if let marker = facts.marker {
            if marker == request.marker {
                return check.passed("the marker for connection \(key) was written by this connection's setup script")
            }
            objects.add(tableName)
            return check.failed(
                "the marker for connection \(key) was written by another connection's setup script (an earlier registration under the same key): \(fix)",
                objects: objects, remediation: remediation(request))
        }
        objects.add(tableName)
        guard facts.otherKeyCount > 0 else {
            return check.failed("the state database holds no marker for connection \(key): \(fix)", objects: objects, remediation: remediation(request))
        }
        var keys = facts.otherKeys.joined(separator: ", ")
        if facts.otherKeyCount > facts.otherKeys.count { keys += " and \(facts.otherKeyCount - facts.otherKeys.count) more" }
        return check.failed(
            "the state database holds markers for other connections (\(keys)) but not for this one: the marker was written by another connection's script; \(fix)",
            objects: objects, remediation: remediation(request))
    }

    static func remediation(_ request: ValidationRequest) -> String? {
        var script = RemediationScript("Writes this connection's marker in the state database, as its setup script does.")
        writeMarker(into: &script, request: request)
        return script.text
    }

    /// The setup script's step 4: Steward's schema and table owned by the
    /// role, and the INSERT … ON CONFLICT that writes this connection's marker.
    static func writeMarker(into script: inout RemediationScript, request: ValidationRequest) {
        let schema = SQLQuoting.identifier(SetupScript.stateSchema)
        let table = SQLQuoting.qualified(SetupScript.stateSchema, SetupScript.markerTable)
        let owner = SQLQuoting.identifier(request.settings.username)
        script.connect(to: request.settings.stateDatabase)
        script.statement("CREATE SCHEMA IF NOT EXISTS \(schema);")
        script.statement("ALTER SCHEMA \(schema) OWNER TO \(owner);")
        script.statement("""
            CREATE TABLE IF NOT EXISTS \(table) (
                connection_key text PRIMARY KEY,
                marker text NOT NULL,
                written_at timestamptz NOT NULL DEFAULT now()
            );
            """)
        script.statement("ALTER TABLE \(table) OWNER TO \(owner);")
        script.statement("""
            INSERT INTO \(table) (connection_key, marker)
                 VALUES (\(SQLQuoting.literal(request.key)), \(SQLQuoting.literal(request.marker)))
            ON CONFLICT (connection_key) DO UPDATE SET marker = EXCLUDED.marker, written_at = now();
            """)
    }
}
