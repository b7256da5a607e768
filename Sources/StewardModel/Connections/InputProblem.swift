/// An input that breaks one of the model's rules: the field it is in, and
/// what is wrong with it and what is allowed. The daemon answers it as
/// INVALID_ARGUMENT ("field: problem"); the CLI shows the problem as the
/// answer is typed.
public struct InputProblem: Error, Hashable, Sendable {
    /// The API's name for the field, e.g. `host` or `governed_databases[1]`.
    public var field: String
    public var problem: String

    public init(_ field: String, _ problem: String) {
        self.field = field
        self.problem = problem
    }
}
