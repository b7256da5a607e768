import StewardModel
import StewardStore

/// A policy as a request spells it, before it is checked: nil stands for a
/// value the API did not recognise (an unknown access, an empty subject).
public struct PolicyRequest: Sendable {
    public struct Scope: Sendable, Hashable {
        public var connection: String
        public var database: String
        public var schema: String

        public init(connection: String, database: String, schema: String) {
            self.connection = connection
            self.database = database
            self.schema = schema
        }
    }

    public var name: String
    public var access: PolicyAccess?
    public var dataSources: [String]
    public var scopes: [Scope]
    public var subjects: [PolicySubject?]

    public init(name: String, access: PolicyAccess?, dataSources: [String], scopes: [Scope], subjects: [PolicySubject?]) {
        self.name = name
        self.access = access
        self.dataSources = dataSources
        self.scopes = scopes
        self.subjects = subjects
    }

    /// The fields Update may change, by their `update_paths` names.
    public enum Field: String, Sendable, CaseIterable {
        case access
        case dataSources = "data_sources"
        case scopes
        case subjects
    }

    /// The request as a definition, every field checked; each refusal names
    /// its field under `prefix` (e.g. `policy.subjects[2]`).
    func definition(prefix: String = "policy.") throws(DomainError) -> PolicyDefinition {
        try IdentityRules.checkPlainName(name, field: prefix + "name")
        guard let access else { throw .invalidArgument(prefix + "access", "must be READ or WRITE") }
        guard !dataSources.isEmpty || !scopes.isEmpty else {
            throw .invalidArgument(prefix + "data_sources", "name at least one data source or scope")
        }
        var selectors: [DataSourceSelector] = []
        for (index, name) in dataSources.enumerated() {
            try Self.checkObjectName(name, field: "\(prefix)data_sources[\(index)]", limit: 4 * 64 + 70)
            selectors.append(.dataSource(name))
        }
        for (index, scope) in scopes.enumerated() {
            let field = "\(prefix)scopes[\(index)]"
            try ConnectionInputRules.checkKey(scope.connection, field: field + ".connection_key")
            if !scope.database.isEmpty { try Self.checkObjectName(scope.database, field: field + ".database") }
            if !scope.schema.isEmpty {
                guard !scope.database.isEmpty else { throw .invalidArgument(field + ".schema", "a schema scope needs its database") }
                try Self.checkObjectName(scope.schema, field: field + ".schema")
            }
            selectors.append(
                .scope(connection: scope.connection, database: scope.database.isEmpty ? nil : scope.database,
                       schema: scope.schema.isEmpty ? nil : scope.schema))
        }
        guard !subjects.isEmpty else { throw .invalidArgument(prefix + "subjects", "name at least one user or group") }
        var checked: [PolicySubject] = []
        for (index, subject) in subjects.enumerated() {
            let field = "\(prefix)subjects[\(index)]"
            switch subject {
            case .user(let name)?: try IdentityRules.checkUserName(name, field: field + ".user_name")
            case .group(let name)?: try IdentityRules.checkPlainName(name, field: field + ".group_name")
            case nil: throw .invalidArgument(field, "must name a user or a group")
            }
            checked.append(subject!)
        }
        return PolicyDefinition(name: name, access: access, selectors: selectors, subjects: checked)
    }

    /// A PostgreSQL object name as a selector holds it: not empty, no
    /// control characters, at most `limit` bytes (63 for one identifier).
    static func checkObjectName(_ name: String, field: String, limit: Int = IdentityRules.maxRoleNameBytes) throws(DomainError) {
        guard !name.isEmpty else { throw .invalidArgument(field, "is required") }
        guard name.utf8.count <= limit else { throw .invalidArgument(field, "is longer than \(limit) bytes") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument(field, "may not contain control characters")
        }
    }
}

extension PolicyRequest {
    /// The stored definition as a request, to merge an update into.
    init(_ definition: PolicyDefinition) {
        var dataSources: [String] = []
        var scopes: [Scope] = []
        for selector in definition.selectors {
            switch selector {
            case .dataSource(let name): dataSources.append(name)
            case .scope(let connection, let database, let schema):
                scopes.append(Scope(connection: connection, database: database ?? "", schema: schema ?? ""))
            }
        }
        self.init(name: definition.name, access: definition.access, dataSources: dataSources, scopes: scopes, subjects: definition.subjects)
    }
}
