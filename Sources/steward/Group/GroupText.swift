import StewardWire

/// Groups as people read them; every name escaped (``TerminalText``).
enum GroupText {
    static func table(_ groups: [StewardV1.Group]) -> String {
        guard !groups.isEmpty else { return "no groups" }
        return AlignedTable.render(
            header: ["NAME", "MEMBERS", "OS GROUP", "CREATED"],
            rows: groups.map { group in
                [group.name, group.osGroup.isEmpty ? "\(group.members.count)" : "-", AlignedTable.orDash(group.osGroup),
                 Timestamp.text(unixMs: group.createdAtUnixMs)]
            })
    }

    static func detail(_ group: StewardV1.Group) -> String {
        let e = TerminalText.escaped(_:)
        var text = """
            group             \(e(group.name))
            created           \(Timestamp.text(unixMs: group.createdAtUnixMs))
            """
        if !group.osGroup.isEmpty {
            text += "\nos group          \(e(group.osGroup)) (members read through NSS on every enforcement run)"
        } else if group.members.isEmpty {
            text += "\nmembers           none"
        } else {
            text += "\nmembers           " + group.members.map(e).joined(separator: ", ")
        }
        return text
    }
}
