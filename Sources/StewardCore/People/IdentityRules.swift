import StewardStore

/// What a Steward user name, a PostgreSQL role name and an AWS IAM
/// principal ARN must look like. Each refusal names the field and the rule.
public enum IdentityRules {
    /// A user name is also the PostgreSQL username of an UNSET mapping, so it
    /// must be a valid role name (63 bytes at most, not reserved), and it is
    /// kept to a plain shape that reads well on a command line: a letter or
    /// `_`, then letters, digits, `_`, `.` or `-`. (Steward quotes it
    /// wherever it reaches SQL.)
    public static func checkUserName(_ name: String, field: String = "name") throws(DomainError) {
        try checkPlainName(name, field: field)
        try checkNotReservedRole(name, field: field)
    }

    /// The plain shape of a name typed on a command line (users, groups,
    /// policies): a letter or `_`, then letters, digits, `_`, `.` or `-`; at
    /// most 63 bytes.
    public static func checkPlainName(_ name: String, field: String) throws(DomainError) {
        guard !name.isEmpty else { throw .invalidArgument(field, "is required") }
        guard name.utf8.count <= maxRoleNameBytes else {
            throw .invalidArgument(field, "\"\(name)\" is longer than \(maxRoleNameBytes) bytes")
        }
        guard let first = name.unicodeScalars.first, isASCIILetter(first) || first == "_" else {
            throw .invalidArgument(field, "\"\(name)\" must start with a letter or '_'")
        }
        guard name.unicodeScalars.allSatisfy({ isASCIILetter($0) || isASCIIDigit($0) || "_.-".unicodeScalars.contains($0) }) else {
            throw .invalidArgument(field, "\"\(name)\" may contain only letters, digits, '_', '.' and '-'")
        }
    }

    /// PostgreSQL's limit on identifiers (NAMEDATALEN - 1).
    public static let maxRoleNameBytes = 63

    /// Any name PostgreSQL would accept for a login role (Steward quotes it
    /// wherever it is used): not empty, at most 63 bytes, not reserved.
    public static func checkRoleName(_ name: String, field: String) throws(DomainError) {
        guard !name.isEmpty else { throw .invalidArgument(field, "a PostgreSQL username is required") }
        guard name.utf8.count <= maxRoleNameBytes else {
            throw .invalidArgument(
                field, "PostgreSQL username \"\(name)\" is \(name.utf8.count) bytes; the limit is \(maxRoleNameBytes)")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument(field, "a PostgreSQL username may not contain control characters")
        }
        try checkNotReservedRole(name, field: field)
    }

    /// Names PostgreSQL keeps for itself: `pg_` roles are the server's, and
    /// the rest are keywords that never mean a role in GRANT or SET ROLE.
    private static func checkNotReservedRole(_ name: String, field: String) throws(DomainError) {
        let lowered = name.lowercased()
        // PostgreSQL refuses exactly the lower-case prefix; "PG_x" is a legal quoted name.
        if name.hasPrefix("pg_") {
            throw .invalidArgument(field, "\"\(name)\": role names starting with pg_ are reserved by PostgreSQL")
        }
        if ["public", "none", "current_user", "session_user", "current_role"].contains(lowered) {
            throw .invalidArgument(field, "\"\(name)\" is reserved by PostgreSQL and cannot name a role")
        }
    }

    /// An IAM user or role (`arn:aws:iam::<12 digits>:user/...`,
    /// `:role/...`) or an assumed-role session
    /// (`arn:aws:sts::<12 digits>:assumed-role/<role>/<session>`), in the
    /// `aws`, `aws-cn` or `aws-us-gov` partition.
    public static func checkIAMPrincipal(_ arn: String, field: String) throws(DomainError) {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "arn" else {
            throw .invalidArgument(field, "\"\(arn)\" is not an ARN (arn:aws:iam::<account>:user/<name>)")
        }
        guard ["aws", "aws-cn", "aws-us-gov"].contains(parts[1]) else {
            throw .invalidArgument(field, "\"\(arn)\": unknown AWS partition \"\(parts[1])\"")
        }
        guard parts[3].isEmpty else {
            throw .invalidArgument(field, "\"\(arn)\": IAM ARNs have no region (arn:aws:iam::<account>:...)")
        }
        guard parts[4].utf8.count == 12, parts[4].unicodeScalars.allSatisfy(isASCIIDigit) else {
            throw .invalidArgument(field, "\"\(arn)\": the account id must be 12 digits, not \"\(parts[4])\"")
        }
        let resource = parts[5].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch (parts[2], resource.first) {
        case ("iam", "user"), ("iam", "role"):
            // <type>/[path/]<name>: a path is any number of segments.
            guard resource.count >= 2, resource.dropFirst().allSatisfy(isIAMName),
                let name = resource.last, name.utf8.count <= 64
            else {
                throw .invalidArgument(
                    field, "\"\(arn)\": expected \(resource[0])/[path/]<name> with names of letters, digits and +=,.@_-")
            }
        case ("sts", "assumed-role"):
            guard resource.count == 3, isIAMName(resource[1]), isIAMName(resource[2]), resource[2].utf8.count >= 2 else {
                throw .invalidArgument(field, "\"\(arn)\": expected assumed-role/<role name>/<session name>")
            }
        default:
            throw .invalidArgument(
                field,
                "\"\(arn)\" is not an IAM user or role (arn:aws:iam::<account>:user/... or :role/...) nor an assumed role (arn:aws:sts::<account>:assumed-role/...)"
            )
        }
    }

    /// The identity a mapping of `kind` with `value` means, or why not.
    public static func identity(kind: Identity.Kind, value: String, field: String) throws(DomainError) -> Identity {
        switch kind {
        case .postgresUsername, .iamPrincipal:
            guard let identity = Identity(kind: kind, value: value), !value.isEmpty else {
                throw .invalidArgument(field, "\(kind.rawValue) needs a value")
            }
            try IdentityRules.checkIdentity(identity, field: field)
            return identity
        case .unset, .none:
            guard value.isEmpty else { throw .invalidArgument(field, "\(kind.rawValue) takes no value, found \"\(value)\"") }
            return kind == .unset ? .unset : .none
        }
    }

    /// Checks the value an identity carries for its kind.
    public static func checkIdentity(_ identity: Identity, field: String) throws(DomainError) {
        switch identity {
        case .postgresUsername(let name): try checkRoleName(name, field: field)
        case .iamPrincipal(let arn): try checkIAMPrincipal(arn, field: field)
        case .unset, .none: break
        }
    }

    private static func isIAMName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.unicodeScalars.allSatisfy { isASCIILetter($0) || isASCIIDigit($0) || "+=,.@_-".unicodeScalars.contains($0) }
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isASCIIDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
