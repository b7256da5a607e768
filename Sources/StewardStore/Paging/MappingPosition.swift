/// Where a page of mappings ends, in their order (user name, then the
/// default scope before connection keys): the page token of ListMappings,
/// shared by both stores so their tokens are interchangeable.
struct MappingPosition: Sendable, Hashable {
    var userName: String
    /// "" for the default scope: connection keys are never empty.
    var connectionKey: String

    static let kind = "mappings"

    /// The position `token` names; nil for the first page.
    init?(token: String?) throws(StoreError) {
        guard let token else { return nil }
        let parts = try PageToken.decode(token, kind: Self.kind, count: 2)
        userName = parts[0]
        connectionKey = parts[1]
    }

    init(after mapping: IdentityMapping) {
        userName = mapping.userName
        connectionKey = mapping.connectionKey ?? ""
    }

    /// The first `size` of `mappings` (read with one extra to learn whether
    /// another page follows) and the token for that page.
    static func page(_ mappings: [IdentityMapping], size: Int) -> Page<IdentityMapping> {
        Page(fetched: mappings, size: size, tokenKind: kind) { last in
            let position = MappingPosition(after: last)
            return [position.userName, position.connectionKey]
        }
    }
}
