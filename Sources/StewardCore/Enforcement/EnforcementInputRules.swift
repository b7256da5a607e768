import StewardModel
import StewardPostgres

/// The roles an enforcement input may name: PostgreSQL role names that are
/// not reserved (IdentityRules: never PUBLIC, `none` or a `pg_*` role), and
/// never the connection role itself, whose privileges Steward never changes.
/// An input that names one is refused whole, before anything is read.
enum EnforcementInputRules {
    static func check(_ input: EnforcementInput, connectionRole: String) throws(DomainError) {
        var seen: Set<String> = []
        for (index, access) in input.desired.enumerated() where seen.insert(access.role).inserted {
            let field = "desired[\(index)].role"
            try IdentityRules.checkRoleName(access.role, field: field)
            if access.role == connectionRole {
                throw DomainError.invalidArgument(
                    field, "\(SQLQuoting.identifier(access.role)) is the connection's own role: Steward never changes its own privileges")
            }
        }
    }
}
