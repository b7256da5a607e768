/// Registry-wide settings (`registry_settings`), written once for both backends.
enum SettingQueries {
    /// The template deriving every user's PostgreSQL username where they have
    /// no mapping or an UNSET one (``IdentityTemplate``).
    static let identityTemplate = "identity_template"

    static func value(_ name: String, in session: some RegistrySQLSession) throws -> String? {
        try session.rows(columns: 1) { sql in "SELECT value FROM registry_settings WHERE name = \(sql.bind(name))" }.first?[0]
    }

    /// The template inside the caller's transaction (a stored value that no
    /// longer parses is ignored rather than failing every identity read).
    static func identityTemplate(in session: some RegistrySQLSession) throws -> IdentityTemplate? {
        try value(identityTemplate, in: session).flatMap(IdentityTemplate.init)
    }

    /// nil removes the setting.
    static func set(_ name: String, to value: String?, in session: some RegistrySQLSession) throws {
        try session.run { sql in "DELETE FROM registry_settings WHERE name = \(sql.bind(name))" }
        guard let value else { return }
        try session.run { sql in "INSERT INTO registry_settings (name, value) VALUES (\(sql.bind(name)), \(sql.bind(value)))" }
    }
}
