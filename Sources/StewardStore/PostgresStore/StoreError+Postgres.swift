import StewardPostgres

extension StoreError {
    /// The SQLSTATE of the schema's triggers when they refuse a change; the
    /// message is written in the schema to be shown as it is.
    static let triggerRefusalState = "SW001"
    /// The trigger refusing a state database that is also governed.
    static let stateDatabaseGovernedState = "SW002"

    /// The generic translation of a PostgreSQL failure, for when the
    /// operation has no more specific one. The server's text goes to
    /// `detail` only.
    init(postgres error: PostgresError) {
        let detail = error.debugDescription
        switch error.kind {
        case .connectionLost, .unreachable:
            self.init(.unavailable, "the registry store's PostgreSQL server cannot be reached; try again", detail: detail)
            return
        case .timeout:
            self.init(.unavailable, "the registry store did not answer in time; try again", detail: detail)
            return
        case .authentication, .tls, .databaseMissing, .connectNotPermitted:
            self.init(.unavailable, "the registry store's PostgreSQL server refused the connection", detail: detail)
            return
        case .decoding:
            self.init(.io, "the registry store failed", detail: detail)
            return
        default:
            break
        }
        let state = error.sqlState ?? ""
        switch state {
        case Self.triggerRefusalState, Self.stateDatabaseGovernedState:
            self.init(.failedPrecondition, error.message, detail: detail)
        case "23514":
            let name = Self.violatedConstraint(in: error)
            let message = name.flatMap { Self.checkMessages[$0] }
                ?? "the change breaks a rule of the registry"
            self.init(.invalidArgument, message, detail: detail)
        case "23503":
            self.init(.failedPrecondition, "the change refers to a record that does not exist", detail: detail)
        case "23505":
            self.init(.alreadyExists, "the change conflicts with an existing record", detail: detail)
        case "40001", "40P01", "55P03":
            self.init(.unavailable, "the registry store is busy; try again", detail: detail)
        case "53100":
            self.init(.unavailable, "the registry store's disk is full", detail: detail)
        case "25006", "42501":
            self.init(.unavailable, "the registry store cannot be written", detail: detail)
        case "XX001", "XX002":
            self.init(.corrupt, "the registry store is damaged", detail: detail)
        default:
            if state.hasPrefix("08") || state.hasPrefix("57P") {
                self.init(.unavailable, "the registry store's PostgreSQL server cannot be reached; try again", detail: detail)
            } else if state.hasPrefix("53") {
                self.init(.unavailable, "the registry store is busy; try again", detail: detail)
            } else if state.hasPrefix("22") || state.hasPrefix("23") {
                self.init(.invalidArgument, "the change breaks a rule of the registry", detail: detail)
            } else {
                self.init(.io, "the registry store failed", detail: detail)
            }
        }
    }

    /// The schema constraint an error names. The server's message may be
    /// translated (`lc_messages`), but it quotes the constraint's name as
    /// it is, so the longest known name it contains is the one.
    static func violatedConstraint(in error: PostgresError) -> String? {
        postgresConstraintNames.filter { error.message.contains($0) }.max { $0.count < $1.count }
    }

    /// Whether `error` is the unique index or constraint `name` refusing a change.
    static func isUniqueViolation(_ error: any Error, on name: String) -> Bool {
        guard let error = error as? PostgresError, error.sqlState == "23505" else { return false }
        return violatedConstraint(in: error) == name
    }

    static func isTriggerRefusal(_ error: any Error, state: String = triggerRefusalState) -> Bool {
        (error as? PostgresError)?.sqlState == state
    }

    /// Every constraint and unique index of the PostgreSQL schema that a
    /// store call tells apart.
    static let postgresConstraintNames: [String] = Array(checkMessages.keys) + [
        "connection_key_unique", "governed_database_unique", "governed_databases_pkey",
        "data_source_unique",
        "user_name_unique", "user_uid_unique", "identity_mappings_scope",
    ]
}
