import StewardWire

/// Steward users as people read them.
enum UserText {
    static func summary(_ user: StewardV1.User) -> String {
        let account = OSUserID.name(of: user.uid).map { " (\($0))" } ?? ""
        return """
            user              \(TerminalText.escaped(user.name))
            uid               \(user.uid)\(account)
            permissions       \(PermissionName.list(user.permissions))
            created           \(Timestamp.text(unixMs: user.createdAtUnixMs))
            """
    }

    /// The user, then its mappings (the default first, as the daemon sends them).
    static func detail(_ user: StewardV1.User, mappings: [StewardV1.Mapping], withheld: Bool) -> String {
        var text = summary(user) + "\n\n"
        if withheld {
            text += "mappings not shown: only \(TerminalText.escaped(user.name)) and USER_ADMINs may see them"
        } else if mappings.isEmpty {
            text += "no mappings: the PostgreSQL username is \(TerminalText.escaped(user.name)) on every connection"
        } else {
            text += AlignedTable.render(
                header: ["SCOPE", "KIND", "IDENTITY"],
                rows: mappings.map { [MappingText.scope($0.connectionKey)] + MappingText.identityCells($0.identity) })
        }
        return text
    }

    static func table(_ users: [StewardV1.User]) -> String {
        guard !users.isEmpty else { return "no users" }
        return AlignedTable.render(
            header: ["NAME", "UID", "PERMISSIONS", "CREATED"],
            rows: users.map { user in
                [user.name, "\(user.uid)", PermissionName.list(user.permissions), Timestamp.text(unixMs: user.createdAtUnixMs)]
            })
    }
}
