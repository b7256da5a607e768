extension UnresolvedSubscriber.Reason: CustomStringConvertible {
    /// For people: why the subscriber gets no grant, and what would give one.
    public var description: String {
        switch self {
        case .noIdentity: "the user's identity on the connection is NONE"
        case .iamPrincipal(let arn):
            "the user's identity is IAM principal \"\(arn)\", and the server authenticates no IAM logins"
        case .sharedRole(let role, let users):
            "PostgreSQL role \"\(role)\" is what users \(users.map { "\"\($0)\"" }.joined(separator: ", ")) resolve to; map each to a role of their own"
        case .roleNameTooLong(let role):
            "the identity template makes \"\(role)\", longer than PostgreSQL's 63-byte names; map the user to a role"
        }
    }
}
