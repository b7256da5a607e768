import StewardModel
import StewardStore

/// Who may use one data source, and through which policies: the same
/// policies × subjects × identities as enforcement, for one relation and
/// per Steward user.
public struct DataSourceSubscriber: Sendable, Hashable {
    public var userName: String
    /// The role that holds the access; nil when the user has none there.
    public var role: String?
    public var access: PolicyAccess
    /// Every policy that gives the user access, sorted.
    public var policies: [String]
    public var unresolved: UnresolvedSubscriber.Reason?

    /// The subscribers of `source` (by user name); none when it is DISABLED,
    /// since enforcement grants nothing on it.
    public static func of(_ source: DataSourceRecord, sources: DesiredState.Sources) -> [DataSourceSubscriber] {
        guard source.state == .enabled else { return [] }
        let expansion = SubjectExpansion(groups: sources.groups, osGroupMembers: sources.osGroupMembers)
        let identities = Dictionary(sources.identities.map { ($0.userName, $0) }, uniquingKeysWith: { first, _ in first })
        var byUser: [String: DataSourceSubscriber] = [:]
        for policy in sources.policies
        where policy.definition.selectors.contains(where: {
            $0.covers(connectionKey: source.connectionKey, database: source.database, schema: source.schema, name: source.name)
        }) {
            for user in expansion.users(of: policy.definition.subjects) {
                guard let identity = identities[user] else { continue }
                var entry = byUser[user] ?? {
                    switch DesiredState.role(of: identity) {
                    case .success(let role):
                        DataSourceSubscriber(userName: user, role: role, access: policy.definition.access, policies: [], unresolved: nil)
                    case .failure(let reason):
                        DataSourceSubscriber(userName: user, role: nil, access: policy.definition.access, policies: [], unresolved: reason)
                    }
                }()
                entry.access = max(entry.access, policy.definition.access)
                entry.policies = Array(Set(entry.policies + [policy.name])).sorted()
                byUser[user] = entry
            }
        }
        return byUser.values.sorted { $0.userName < $1.userName }
    }
}
