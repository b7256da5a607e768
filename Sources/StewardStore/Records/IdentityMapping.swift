/// A user's PostgreSQL identity in one scope (DESIGN §4).
public enum Identity: Sendable, Hashable {
    case postgresUsername(String)
    /// An AWS IAM principal ARN.
    case iamPrincipal(String)
    /// Fall back to the Steward user name.
    case unset
    /// No identity there.
    case none

    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case postgresUsername = "POSTGRES_USERNAME"
        case iamPrincipal = "IAM_PRINCIPAL"
        case unset = "UNSET"
        case none = "NONE"
    }

    public var kind: Kind {
        switch self {
        case .postgresUsername: .postgresUsername
        case .iamPrincipal: .iamPrincipal
        case .unset: .unset
        case .none: .none
        }
    }

    /// The username or ARN, for the kinds that carry one.
    public var value: String? {
        switch self {
        case .postgresUsername(let value), .iamPrincipal(let value): value
        case .unset, .none: nil
        }
    }

    public init?(kind: Kind, value: String?) {
        switch (kind, value) {
        case (.postgresUsername, let value?): self = .postgresUsername(value)
        case (.iamPrincipal, let value?): self = .iamPrincipal(value)
        case (.unset, nil): self = .unset
        case (.none, nil): self = .none
        default: return nil
        }
    }

    /// The PostgreSQL username this identity means for user `userName`, if any.
    public func postgresUsername(forUser userName: String) -> String? {
        switch self {
        case .postgresUsername(let name): name
        case .unset: userName
        case .iamPrincipal, .none: nil
        }
    }
}

/// A stored mapping: a user's identity by default (`connectionKey` nil) or
/// on one connection, overriding the default there.
///
/// Rule: within one connection, one effective PostgreSQL username belongs to
/// at most one user. Because a default applies to every connection,
/// including ones registered later, two users may not share a default
/// PostgreSQL username either.
public struct IdentityMapping: Sendable, Hashable {
    public var userName: String
    public var connectionKey: String?
    public var identity: Identity

    public init(userName: String, connectionKey: String?, identity: Identity) {
        self.userName = userName
        self.connectionKey = connectionKey
        self.identity = identity
    }
}

/// Which mappings to list.
public struct MappingFilter: Sendable, Hashable {
    public enum Scope: Sendable, Hashable {
        case any
        case defaults
        case connection(String)
    }

    public var userName: String?
    public var scope: Scope

    public init(userName: String? = nil, scope: Scope = .any) {
        self.userName = userName
        self.scope = scope
    }
}

/// The identity that applies to a user on a connection, after defaults.
public struct EffectiveIdentity: Sendable, Hashable {
    public enum Source: String, Sendable, Hashable {
        /// A mapping for this connection.
        case connection = "CONNECTION"
        /// The user's default mapping.
        case `default` = "DEFAULT"
        /// No mapping at all: the Steward user name.
        case fallback = "FALLBACK"
    }

    public var userName: String
    public var connectionKey: String
    /// As mapped; `.unset` means the Steward user name.
    public var identity: Identity
    public var source: Source
    /// The registry's identity template, if one is set: it, not the plain
    /// user name, is what `.unset` means.
    public var template: IdentityTemplate?

    public init(userName: String, connectionKey: String, identity: Identity, source: Source, template: IdentityTemplate? = nil) {
        self.userName = userName
        self.connectionKey = connectionKey
        self.identity = identity
        self.source = source
        self.template = template
    }

    /// The PostgreSQL username Steward uses for this user here, if any: the
    /// one home of that rule (mapping, else template, else user name).
    public var postgresUsername: String? {
        if case .unset = identity, let template { return template.username(forUser: userName) }
        return identity.postgresUsername(forUser: userName)
    }
}
