import StewardModel
import StewardStore

/// A subscriber a policy reaches who gets no grant on the connection, and why;
/// shown in the Enforce answer so that a missing grant is never silent.
public struct UnresolvedSubscriber: Sendable, Hashable, Comparable {
    public enum Reason: Error, Sendable, Hashable {
        /// The user's identity here is NONE.
        case noIdentity
        /// An IAM principal: the server authenticates no IAM logins, so
        /// there is no role to grant to.
        case iamPrincipal(String)
        /// The user's PostgreSQL username (from the identity template) is
        /// also another user's here; neither gets a grant until one is mapped.
        case sharedRole(role: String, users: [String])
        /// The identity template makes a name longer than PostgreSQL keeps
        /// (it would cut it short, naming some other role).
        case roleNameTooLong(String)
    }

    public var userName: String
    public var reason: Reason
    /// The policies that would have given the user access (sorted).
    public var policies: [String]

    public static func < (lhs: UnresolvedSubscriber, rhs: UnresolvedSubscriber) -> Bool {
        lhs.userName < rhs.userName
    }
}

/// A group bound to an OS group that NSS does not know: it has no members.
public struct UnknownOSGroup: Sendable, Hashable {
    public var group: String
    public var osGroup: String
}

/// What the registry says one connection's grants should be: the
/// ``EnforcementInput`` for the PostgreSQL side, and what could not be
/// turned into a grant.
public struct DesiredState: Sendable {
    public var input: EnforcementInput
    public var unresolved: [UnresolvedSubscriber]
    public var unknownOSGroups: [UnknownOSGroup]

    /// Everything the computation reads, already fetched: it is a pure
    /// function of these values.
    public struct Sources: Sendable {
        public var connectionKey: String
        public var provisionMissingRoles: Bool
        public var policies: [PolicyRecord]
        public var groups: [GroupRecord]
        /// For each OS group a group is bound to: the Steward user names whose
        /// uid is in it, or nil when NSS does not know the group.
        public var osGroupMembers: [String: Set<String>?]
        /// Every user's effective identity on the connection.
        public var identities: [EffectiveIdentity]
        /// The connection's data sources (DISABLED ones are ignored).
        public var dataSources: [DataSourceRecord]

        public init(
            connectionKey: String, provisionMissingRoles: Bool = false, policies: [PolicyRecord], groups: [GroupRecord],
            osGroupMembers: [String: Set<String>?], identities: [EffectiveIdentity], dataSources: [DataSourceRecord]
        ) {
            self.connectionKey = connectionKey
            self.provisionMissingRoles = provisionMissingRoles
            self.policies = policies
            self.groups = groups
            self.osGroupMembers = osGroupMembers
            self.identities = identities
            self.dataSources = dataSources
        }
    }

    /// The empty desired state: every grant Steward made on the connection
    /// is to be revoked (before a deactivation or a delete).
    public static func revokingEverything(connectionKey: String, dataSources: [DataSourceRecord]) -> DesiredState {
        DesiredState(
            input: EnforcementInput(
                connectionKey: connectionKey, governed: governed(dataSources, of: connectionKey), desired: [],
                provisionMissingRoles: false),
            unresolved: [], unknownOSGroups: [])
    }

    /// policies × subjects (groups expanded) × each user's PostgreSQL
    /// identity here × the connection's ENABLED data sources; the strongest
    /// access wins per role and relation, listing every policy that grants it.
    public init(_ sources: Sources) {
        let key = sources.connectionKey
        let enabled = sources.dataSources.filter { $0.connectionKey == key && $0.state == .enabled }
        let expansion = SubjectExpansion(groups: sources.groups, osGroupMembers: sources.osGroupMembers)
        let identities = Dictionary(sources.identities.map { ($0.userName, $0) }, uniquingKeysWith: { first, _ in first })

        var access: [Grantee: (access: PolicyAccess, policies: Set<String>)] = [:]
        var usersOfRole: [String: Set<String>] = [:]
        var unresolved: [String: (reason: UnresolvedSubscriber.Reason, policies: Set<String>)] = [:]
        for policy in sources.policies {
            let covered = enabled.filter { source in
                policy.definition.selectors.contains {
                    $0.covers(connectionKey: key, database: source.database, schema: source.schema, name: source.name)
                }
            }
            guard !covered.isEmpty else { continue }
            for user in expansion.users(of: policy.definition.subjects) {
                guard let identity = identities[user] else { continue }
                let role: String
                switch Self.role(of: identity) {
                case .success(let name): role = name
                case .failure(let reason):
                    unresolved[user, default: (reason, [])].policies.insert(policy.name)
                    continue
                }
                usersOfRole[role, default: []].insert(user)
                for source in covered {
                    let grantee = Grantee(role: role, user: user, relation: Self.relation(source))
                    var entry = access[grantee] ?? (policy.definition.access, [])
                    entry.access = max(entry.access, policy.definition.access)
                    entry.policies.insert(policy.name)
                    access[grantee] = entry
                }
            }
        }

        // A role two users resolve to (only a template can do that; mappings
        // are unique per connection) would let each use the other's access.
        var desired: [RoleRelation: (access: PolicyAccess, policies: Set<String>)] = [:]
        for (grantee, entry) in access {
            if let users = usersOfRole[grantee.role], users.count > 1 {
                unresolved[grantee.user, default: (.sharedRole(role: grantee.role, users: users.sorted()), [])]
                    .policies.formUnion(entry.policies)
                continue
            }
            desired[RoleRelation(role: grantee.role, relation: grantee.relation)] = entry
        }

        input = EnforcementInput(
            connectionKey: key, governed: Self.governed(sources.dataSources, of: key),
            desired: desired.map { DesiredAccess(role: $0.key.role, relation: $0.key.relation, access: $0.value.access, policies: $0.value.policies.sorted()) }
                .sorted { ($0.role, $0.relation) < ($1.role, $1.relation) },
            provisionMissingRoles: sources.provisionMissingRoles)
        self.unresolved = unresolved.map { UnresolvedSubscriber(userName: $0.key, reason: $0.value.reason, policies: $0.value.policies.sorted()) }
            .sorted()
        unknownOSGroups = expansion.unknownOSGroups
    }

    /// The role a user's identity grants go to, or why there is none.
    public static func role(of identity: EffectiveIdentity) -> Result<String, UnresolvedSubscriber.Reason> {
        switch (identity.identity, identity.postgresUsername) {
        case (.iamPrincipal(let arn), _): .failure(.iamPrincipal(arn))
        case (_, let role?) where role.utf8.count > IdentityRules.maxRoleNameBytes: .failure(.roleNameTooLong(role))
        case (_, let role?): .success(role)
        case (_, nil): .failure(.noIdentity)
        }
    }

    private init(input: EnforcementInput, unresolved: [UnresolvedSubscriber], unknownOSGroups: [UnknownOSGroup]) {
        self.input = input
        self.unresolved = unresolved
        self.unknownOSGroups = unknownOSGroups
    }

    private static func relation(_ source: DataSourceRecord) -> GovernedRelation {
        GovernedRelation(database: source.database, schema: source.schema, name: source.table)
    }

    private static func governed(_ dataSources: [DataSourceRecord], of key: String) -> [GovernedRelation] {
        Set(dataSources.filter { $0.connectionKey == key && $0.state == .enabled }.map(relation)).sorted()
    }

    private struct Grantee: Hashable {
        var role: String
        var user: String
        var relation: GovernedRelation
    }

    private struct RoleRelation: Hashable {
        var role: String
        var relation: GovernedRelation
    }
}
