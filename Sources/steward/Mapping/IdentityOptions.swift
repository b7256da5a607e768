import ArgumentParser
import StewardWire

/// The identity `mapping set` records: exactly one of four flags, so a
/// command line can never mean two identities at once.
struct IdentityOptions: ParsableArguments {
    @Option(name: .customLong("postgres-username"), help: ArgumentHelp("A PostgreSQL role name.", valueName: "name"))
    var postgresUsername: String?

    @Option(name: .customLong("iam-principal"), help: ArgumentHelp("An AWS IAM user, role or assumed-role ARN.", valueName: "arn"))
    var iamPrincipal: String?

    @Flag(name: .customLong("unset"), help: "The Steward user name is the PostgreSQL username.")
    var unset = false

    @Flag(name: .customLong("none"), help: "The user has no PostgreSQL identity there.")
    var noIdentity = false

    func validate() throws {
        let given = [postgresUsername != nil, iamPrincipal != nil, unset, noIdentity].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError("give exactly one of --postgres-username, --iam-principal, --unset or --none")
        }
    }

    var identity: StewardV1.Identity {
        if let postgresUsername { return .init(kind: .postgresUsername, value: postgresUsername) }
        if let iamPrincipal { return .init(kind: .iamPrincipal, value: iamPrincipal) }
        return .init(kind: unset ? StewardV1.IdentityKind.unset : StewardV1.IdentityKind.none)
    }
}
