/// The one-time upgrade of stored passwords to ``PasswordBinding``.
///
/// Passwords stored before the binding were sealed with the connection key
/// alone as associated data. At open, before anything reads them, each is
/// opened with that legacy context and sealed again for the row's settings
/// as they are at that moment (the last time the row's settings are trusted
/// without a binding), in one transaction that also writes the marker
/// `meta.password_binding`, so it runs exactly once. A row whose legacy seal
/// does not open is left as it is: it then fails to open with the clear
/// binding error, and is never sent anywhere.
enum PasswordReseal {
    static let markerName = "password_binding"
    static let markerValue: [UInt8] = [UInt8(PasswordBinding.version)]

    struct Row {
        var id: Int64
        var record: ConnectionRecord
        var sealed: [UInt8]
    }

    /// The new seal for a row, or nil to leave it.
    static func resealed(_ row: Row, cipher: SecretCipher) throws(StoreError) -> [UInt8]? {
        guard var plaintext = cipher.open(row.sealed, context: SecretCipher.legacyPasswordContext(connectionKey: row.record.key))
        else { return nil }
        defer { plaintext.wipe() }
        return try cipher.seal(
            plaintext, associatedData: PasswordBinding(connectionKey: row.record.key, settings: row.record.settings).associatedData)
    }
}

extension SQLiteRegistryStore {
    static func resealLegacyPasswords(_ database: SQLiteDatabase, cipher: SecretCipher) throws {
        // Every open after the first finds the marker: reading it first
        // keeps those opens from taking the write lock (and from waiting
        // behind a writer for it).
        func resealed() throws -> Bool {
            try database.queryFirst("SELECT 1 FROM meta WHERE name = ?", PasswordReseal.markerName, as: { $0.int(0) }) != nil
        }
        guard try !resealed() else { return }
        try database.transaction(.immediate) {
            guard try !resealed() else { return }
            let rows = try database.query(
                "SELECT \(connectionColumns), password_sealed FROM connections ORDER BY id", values: [],
                as: { row in
                    let stored = try connectionRow(row)
                    return PasswordReseal.Row(id: stored.id, record: stored.record, sealed: row.blob(17))  // after the 17 connectionColumns
                })
            for row in rows {
                guard let sealed = try PasswordReseal.resealed(row, cipher: cipher) else { continue }
                try database.run("UPDATE connections SET password_sealed = ? WHERE id = ?", sealed, row.id)
            }
            try database.run(
                "INSERT INTO meta (name, value) VALUES (?, ?)", PasswordReseal.markerName, PasswordReseal.markerValue)
        }
    }
}

extension PostgresRegistryStore {
    /// Runs inside the schema transaction, under the migration lock, so of
    /// two daemons starting together exactly one reseals.
    static func resealLegacyPasswords(_ session: PostgresSession, cipher: SecretCipher) throws {
        let done = try session.queryFirst("SELECT 1 AS done FROM meta WHERE name = $1::text", PasswordReseal.markerName)
        guard done == nil else { return }
        let rows = try session.query(
            "SELECT \(connectionColumns), c.password_sealed FROM connections AS c ORDER BY c.id FOR UPDATE")
        for row in rows {
            let stored = try connectionRow(row)
            let reseal = PasswordReseal.Row(id: stored.id, record: stored.record, sealed: try row.bytesValue("password_sealed"))
            guard let sealed = try PasswordReseal.resealed(reseal, cipher: cipher) else { continue }
            try session.query(
                "UPDATE connections SET password_sealed = $1::bytea WHERE id = $2::bigint", sealed, reseal.id)
        }
        try session.query(
            "INSERT INTO meta (name, value) VALUES ($1::text, $2::bytea)", PasswordReseal.markerName, PasswordReseal.markerValue)
    }
}
