import StewardStore

/// Policy subjects as the users they stand for: users as themselves, a group
/// as its listed members or, for a group bound to an OS group, the Steward
/// users NSS puts in that group now.
public struct SubjectExpansion: Sendable {
    private let members: [String: Set<String>]
    /// Bound groups whose OS group NSS does not know, by group name.
    public let unknownOSGroups: [UnknownOSGroup]

    /// - Parameter osGroupMembers: per OS group, the Steward user names in
    ///   it, or nil when NSS does not know the group.
    public init(groups: [GroupRecord], osGroupMembers: [String: Set<String>?]) {
        var members: [String: Set<String>] = [:]
        var unknown: [UnknownOSGroup] = []
        for group in groups {
            if let osGroup = group.osGroup {
                if let found = osGroupMembers[osGroup], let found {
                    members[group.name] = found
                } else {
                    unknown.append(UnknownOSGroup(group: group.name, osGroup: osGroup))
                    members[group.name] = []
                }
            } else {
                members[group.name] = Set(group.members)
            }
        }
        self.members = members
        unknownOSGroups = unknown.sorted { $0.group < $1.group }
    }

    /// The users `subjects` stand for, sorted.
    public func users(of subjects: [PolicySubject]) -> [String] {
        var users: Set<String> = []
        for subject in subjects {
            switch subject {
            case .user(let name): users.insert(name)
            case .group(let name): users.formUnion(members[name] ?? [])
            }
        }
        return users.sorted()
    }
}
