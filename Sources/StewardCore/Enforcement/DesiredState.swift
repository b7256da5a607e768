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
        // Relations and roles by number, so that the (role, relation) pairs,
        // millions at scale, are integers to hash and sort; relation numbers
        // follow the governed order, so sorting numbers sorts relations.
        let relations = Self.governed(sources.dataSources, of: key)
        let relationNumber = Dictionary(uniqueKeysWithValues: relations.enumerated().map { ($0.element, $0.offset) })
        let policies = sources.policies

        var roles: [String] = []
        var roleNumber: [String: Int] = [:]
        var roleOfUser: [String: Int] = [:]
        var usersOfRole: [[String]] = []
        var policiesOfUser: [String: Set<Int>] = [:]
        var entries: [Int: (access: PolicyAccess, policies: [Int])] = [:]
        var unresolved: [String: (reason: UnresolvedSubscriber.Reason, policies: Set<String>)] = [:]
        for (policyIndex, policy) in policies.enumerated() {
            let covered = enabled.compactMap { source -> Int? in
                policy.definition.selectors.contains {
                    $0.covers(connectionKey: key, database: source.database, schema: source.schema, name: source.name)
                } ? relationNumber[Self.relation(source)] : nil
            }
            guard !covered.isEmpty else { continue }
            for user in expansion.users(of: policy.definition.subjects) {
                guard let identity = identities[user] else { continue }
                let role: Int
                if let known = roleOfUser[user] {
                    role = known
                } else {
                    switch Self.role(of: identity) {
                    case .success(let name):
                        role = roleNumber[name] ?? {
                            roles.append(name)
                            usersOfRole.append([])
                            roleNumber[name] = roles.count - 1
                            return roles.count - 1
                        }()
                        roleOfUser[user] = role
                        usersOfRole[role].append(user)
                    case .failure(let reason):
                        unresolved[user, default: (reason, [])].policies.insert(policy.name)
                        continue
                    }
                }
                policiesOfUser[user, default: []].insert(policyIndex)
                for relation in covered {
                    let pair = role * relations.count + relation
                    var entry = entries[pair] ?? (policy.definition.access, [])
                    entry.access = max(entry.access, policy.definition.access)
                    // One policy is done before the next: if it is listed, it is last.
                    if entry.policies.last != policyIndex { entry.policies.append(policyIndex) }
                    entries[pair] = entry
                }
            }
        }

        // A role two users resolve to (only a template can do that; mappings
        // are unique per connection) would let each use the other's access.
        for (role, users) in usersOfRole.enumerated() where users.count > 1 {
            for user in users {
                let names = policiesOfUser[user, default: []].map { policies[$0].name }
                unresolved[user, default: (.sharedRole(role: roles[role], users: users.sorted()), [])].policies.formUnion(names)
            }
        }
        let rank = Dictionary(uniqueKeysWithValues: roles.indices.sorted { roles[$0] < roles[$1] }.enumerated().map { ($0.element, $0.offset) })
        let ordered = entries.keys
            .filter { usersOfRole[$0 / relations.count].count == 1 }
            .map { (sortKey: rank[$0 / relations.count]! * relations.count + $0 % relations.count, pair: $0) }
            .sorted { $0.sortKey < $1.sortKey }
        input = EnforcementInput(
            connectionKey: key, governed: relations,
            desired: ordered.map { item in
                let entry = entries[item.pair]!
                return DesiredAccess(
                    role: roles[item.pair / relations.count], relation: relations[item.pair % relations.count], access: entry.access,
                    policies: entry.policies.map { policies[$0].name }.sorted())
            },
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
}
