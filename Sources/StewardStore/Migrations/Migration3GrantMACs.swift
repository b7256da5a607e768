extension Migration {
    /// Permission rows carry a MAC under a key derived from the registry key
    /// (``GrantAuthenticator``), as in the shared registry, so both stores
    /// read permissions through one path. Rows from version 2 get their
    /// MACs in Swift inside this migration's transaction
    /// (``SQLiteRegistryStore``'s schema step); a row without a valid MAC
    /// grants nothing.
    package static let v3GrantMACs = Migration(
        version: 3, summary: "user_permissions.mac",
        sql: """
            ALTER TABLE user_permissions ADD COLUMN mac BLOB;
            """)
}
