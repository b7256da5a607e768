import StewardModel

// The contract's relation kinds and the model's, in one place for the
// daemon and the CLI alike.

extension StewardV1.RelationKind {
    /// The contract's value for `kind`; UNSPECIFIED for nil (not recorded yet).
    public init(_ kind: RelationKind?) {
        self = switch kind {
        case nil: .unspecified
        case .table?: .table
        case .partitionedTable?: .partitionedTable
        case .view?: .view
        case .materializedView?: .materializedView
        case .foreignTable?: .foreignTable
        }
    }
}

extension RelationKind {
    /// The model's value for `message`; nil for UNSPECIFIED or a value this
    /// build does not know.
    public init?(_ message: StewardV1.RelationKind) {
        guard let kind = RelationKind.allCases.first(where: { StewardV1.RelationKind($0) == message }) else { return nil }
        self = kind
    }
}
