import StewardModel
import StewardPostgres
import StewardStore

/// Superuser or CREATEROLE: Steward creates and manages the roles that
/// enforce policies.
enum CreateRoleCheck {
    static func evaluate(_ attributes: Result<PostgresCatalog.RoleAttributes?, PostgresError>, request: ValidationRequest) -> CheckResult {
        let check = ValidationCheck.createRole
        let role = SQLQuoting.identifier(request.role)
        var objects = FailingObjects()
        objects.add(role)
        let found: PostgresCatalog.RoleAttributes?
        do {
            found = try attributes.get()
        } catch {
            return check.failed("could not read the attributes of the role \(role): \(ServerMessage.essence(of: error))", objects: objects)
        }
        guard let found else {
            // It logged in, so it exists; a catalog that says otherwise is worth reporting as is.
            return check.failed("the role \(role) is not in pg_roles", objects: objects)
        }
        if found.isSuperuser {
            return check.passed("the role \(role) is a superuser")
        }
        if found.canCreateRoles {
            return check.passed(
                "the role \(role) has CREATEROLE. Since PostgreSQL 16 a CREATEROLE role manages only the roles it has ADMIN OPTION on: "
                    + "those it created itself, or that were granted to it WITH ADMIN OPTION")
        }
        var script = RemediationScript("Lets the role create and manage the roles that enforce policies.")
        script.statement("ALTER ROLE \(role) CREATEROLE;")
        return check.failed(
            "the role \(role) is neither a superuser nor has CREATEROLE, which Steward needs to manage the roles that enforce policies",
            objects: objects, remediation: script.text)
    }
}
