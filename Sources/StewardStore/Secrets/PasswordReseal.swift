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

extension PasswordReseal {
    /// Reseals every row in the transaction `session` has open and writes
    /// the marker; does nothing when the marker is there.
    static func resealAll(cipher: SecretCipher, lock: RowLock, in session: some RegistrySQLSession) throws {
        guard try !isDone(in: session) else { return }
        for row in try ConnectionQueries.allWithSealedPasswords(lock: lock, in: session) {
            guard let sealed = try resealed(row, cipher: cipher) else { continue }
            try session.run { sql in "UPDATE connections SET password_sealed = \(sql.bind(sealed)) WHERE id = \(sql.bind(row.id))" }
        }
        try session.run { sql in "INSERT INTO meta (name, value) VALUES (\(sql.bind(markerName)), \(sql.bind(markerValue)))" }
    }

    static func isDone(in session: some RegistrySQLSession) throws -> Bool {
        try !session.rows(columns: 1) { sql in "SELECT 1 FROM meta WHERE name = \(sql.bind(markerName))" }.isEmpty
    }
}

extension SQLiteRegistryStore {
    static func resealLegacyPasswords(_ database: SQLiteDatabase, cipher: SecretCipher) throws {
        // Every open after the first finds the marker: reading it first
        // keeps those opens from taking the write lock (and from waiting
        // behind a writer for it).
        guard try !PasswordReseal.isDone(in: database) else { return }
        try database.transaction(.immediate) { try PasswordReseal.resealAll(cipher: cipher, lock: .none, in: database) }
    }
}

extension PostgresRegistryStore {
    /// Runs inside the schema transaction, under the migration lock, so of
    /// two daemons starting together exactly one reseals.
    static func resealLegacyPasswords(_ session: PostgresSession, cipher: SecretCipher) throws {
        try PasswordReseal.resealAll(cipher: cipher, lock: .forUpdate, in: session)
    }
}
