import StewardModel
import StewardStore

/// Subscription policies: APPLICATION_ADMIN changes them, any known caller
/// reads them. Every change, allowed or not, leaves an audit event, written
/// with the change in its transaction. Enforcement follows a change through
/// ``EnforcementScheduler``; each change answers the connections it touched.
public struct PoliciesService: Sendable {
    let store: any RegistryStore
    let audit: AuditTrail
    let reader: DesiredStateReader

    public init(store: any RegistryStore, audit: AuditTrail? = nil, osGroups: OSGroupDirectory = OSGroupDirectory()) {
        self.store = store
        self.audit = audit ?? AuditTrail(store: store)
        self.reader = DesiredStateReader(store: store, osGroups: osGroups)
    }

    public func create(_ request: PolicyRequest, dryRun: Bool, call: AuditedCall) throws(DomainError) -> PolicyRecord {
        try audit.audited(call) { () throws(DomainError) in
            try call.caller.require(.applicationAdmin, to: "create policies")
            let definition = try request.definition()
            return try storeCall { () throws(StoreError) in try store.createPolicy(definition, dryRun: dryRun) }
        }
    }

    public func policy(name: String) throws(DomainError) -> PolicyRecord {
        try storeCall { () throws(StoreError) in try store.policy(name: name) }
    }

    public func list(page: PageRequest) throws(DomainError) -> Page<PolicyRecord> {
        try storeCall { () throws(StoreError) in try store.listPolicies(page: page) }
    }

    /// Changes the fields named in `paths` (``PolicyRequest/Field``) to
    /// their values in `request`; the name stays. Returns the policy before
    /// and after, so the caller knows every connection the change touched.
    public func update(
        name: String, _ request: PolicyRequest, paths: [String], expectedRevision: Int64?, dryRun: Bool, call: AuditedCall
    ) throws(DomainError) -> (before: PolicyRecord, after: PolicyRecord) {
        try audit.audited(call) { () throws(DomainError) in
            try call.caller.require(.applicationAdmin, to: "update policies")
            guard !paths.isEmpty else {
                throw .invalidArgument("update_paths", "name the fields to change: " + PolicyRequest.Field.allCases.map(\.rawValue).joined(separator: ", "))
            }
            var fields: Set<PolicyRequest.Field> = []
            for (index, path) in paths.enumerated() {
                guard let field = PolicyRequest.Field(rawValue: path) else {
                    throw .invalidArgument(
                        "update_paths[\(index)]",
                        "\"\(path)\" is not a field Update changes (" + PolicyRequest.Field.allCases.map(\.rawValue).joined(separator: ", ") + ")")
                }
                fields.insert(field)
            }
            let before = try policy(name: name)
            var merged = PolicyRequest(before.definition)
            if fields.contains(.access) { merged.access = request.access }
            if fields.contains(.dataSources) { merged.dataSources = request.dataSources }
            if fields.contains(.scopes) { merged.scopes = request.scopes }
            if fields.contains(.subjects) { merged.subjects = request.subjects }
            let definition = try merged.definition()
            let after = try storeCall { () throws(StoreError) in
                try store.updatePolicy(
                    name: name, expectedRevision: expectedRevision ?? before.revision, with: definition, dryRun: dryRun)
            }
            return (before, after)
        }
    }

    /// Returns the deleted policy: its grants go with the next enforcement.
    public func delete(name: String, call: AuditedCall) throws(DomainError) -> PolicyRecord {
        try audit.audited(call) { () throws(DomainError) in
            try call.caller.require(.applicationAdmin, to: "delete policies")
            let record = try policy(name: name)
            try storeCall { () throws(StoreError) in try store.deletePolicy(name: name) }
            return record
        }
    }

    /// Who may use a data source, through which policies (OS groups read now).
    public func subscribers(dataSource name: String) throws(DomainError) -> [DataSourceSubscriber] {
        let source = try storeCall { () throws(StoreError) in try store.dataSource(name: name) }
        let record = try storeCall { () throws(StoreError) in try store.connection(key: source.connectionKey) }
        return DataSourceSubscriber.of(source, sources: try reader.sources(for: record))
    }
}

extension PolicyRecord {
    /// The connections whose desired state this policy is part of.
    public var connectionKeys: Set<String> { Set(definition.selectors.map(\.connectionKey)) }
}
