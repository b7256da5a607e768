import CSQLite

extension StoreError {
    /// The generic translation of an SQLite failure, for when the operation
    /// has no more specific one. The SQLite text goes to `detail` only.
    init(_ error: SQLiteError) {
        let detail = error.description
        switch error.primaryCode {
        case SQLITE_BUSY, SQLITE_LOCKED:
            self.init(.unavailable, "the registry store is busy; try again", detail: detail)
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            self.init(.corrupt, "the registry store is damaged", detail: detail)
        case SQLITE_FULL:
            self.init(.unavailable, "the registry store's disk is full", detail: detail)
        case SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM:
            self.init(.unavailable, "the registry store cannot be written", detail: detail)
        case SQLITE_CONSTRAINT:
            self.init(constraint: error)
        default:
            self.init(.io, "the registry store failed", detail: detail)
        }
    }

    private init(constraint error: SQLiteError) {
        let detail = error.description
        if error.isTriggerRefusal {
            // Trigger messages are written in the schema to be shown as they are.
            self.init(.failedPrecondition, error.message, detail: detail)
        } else if let name = error.checkConstraintName {
            let message = Self.checkMessages[name] ?? "the value breaks the registry rule \"\(name)\""
            self.init(.invalidArgument, message, detail: detail)
        } else if error.isForeignKeyViolation {
            self.init(.failedPrecondition, "the change refers to a record that does not exist", detail: detail)
        } else if error.isUniqueViolation {
            self.init(.alreadyExists, "the change conflicts with an existing record", detail: detail)
        } else {
            self.init(.invalidArgument, "the change breaks a rule of the registry", detail: detail)
        }
    }

    /// Client-safe wording for the named CHECK constraints of the schema.
    static let checkMessages: [String: String] = [
        "connection_key_format": "a connection key is 1 to 64 letters, digits, '-' or '_'",
        "connection_display_name_present": "a connection needs a display name",
        "connection_host_present": "a connection needs a host",
        "connection_port_range": "the port must be between 1 and 65535",
        "connection_state_database_present": "a connection needs a state database",
        "connection_username_present": "a connection needs a username",
        "connection_neon_verifies_tls": "a NEON connection requires sslmode verify-full",
        "governed_database_name_present": "a governed database needs a name",
        "check_failing_object_count": "a check's failing object count cannot be negative",
        "data_source_columns_list": "a data source's column list is a JSON array",
        "user_name_present": "a user needs a name",
        "identity_mapping_value": "a PostgreSQL username or IAM principal cannot be empty",
        "audit_method_present": "an audit event needs a method",
    ]

    static func connectionNotFound(_ key: String) -> StoreError {
        StoreError(.notFound, "no connection with key \"\(key)\"")
    }

    static func userNotFound(_ name: String) -> StoreError {
        StoreError(.notFound, "no user named \"\(name)\"")
    }

    static func revisionConflict(_ key: String, expected: Int64, actual: Int64) -> StoreError {
        StoreError(
            .revisionConflict,
            "connection \"\(key)\" changed since revision \(expected) (it is at revision \(actual)); "
                + "read it again and retry")
    }
}
