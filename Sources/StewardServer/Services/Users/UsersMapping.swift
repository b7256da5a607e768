import Foundation
import StewardCore
import StewardStore
import StewardWire

/// steward.v1.Users messages <-> the domain's users, identities and checks.
enum UsersMapping {
    static func message(_ user: UserRecord) -> StewardV1.User {
        StewardV1.User(
            name: user.name, uid: user.uid, permissions: PermissionMapping.messages(user.permissions),
            createdAtUnixMs: Int64((user.createdAt.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    static func message(_ identity: Identity) -> StewardV1.Identity {
        StewardV1.Identity(kind: kindMessage(identity.kind), value: identity.value ?? "")
    }

    static func message(_ mapping: IdentityMapping) -> StewardV1.Mapping {
        StewardV1.Mapping(
            userName: mapping.userName, connectionKey: mapping.connectionKey ?? "", identity: message(mapping.identity))
    }

    static func kindMessage(_ kind: Identity.Kind) -> StewardV1.IdentityKind {
        switch kind {
        case .postgresUsername: .postgresUsername
        case .iamPrincipal: .iamPrincipal
        case .unset: .unset
        case .none: .none
        }
    }

    /// The request as given; the service checks it after the caller's permission.
    static func mappingRequest(_ message: StewardV1.Mapping?) -> MappingRequest {
        let message = message ?? StewardV1.Mapping()
        let identity = message.identity ?? StewardV1.Identity()
        // Spelled out: in an optional context a bare `.none` would be nil.
        let kind: Identity.Kind? = switch identity.kind {
        case .postgresUsername: Identity.Kind.postgresUsername
        case .iamPrincipal: Identity.Kind.iamPrincipal
        case .unset: Identity.Kind.unset
        case .none: Identity.Kind.none
        default: nil
        }
        return MappingRequest(
            userName: message.userName, connectionKey: message.connectionKey.isEmpty ? nil : message.connectionKey,
            kind: kind, value: identity.value)
    }

    static func message(_ check: MappingCheck) -> StewardV1.MappingCheck {
        let identity = check.identity
        let outcome: StewardV1.MappingCheckOutcome = switch check.outcome {
        case .ok: .ok
        case .missing: .missing
        case .noLogin: .nologin
        case .notApplicable: .notApplicable
        }
        let source: StewardV1.IdentitySource = switch identity.source {
        case .connection: .connection
        case .default: .default
        case .fallback: .fallback
        }
        return StewardV1.MappingCheck(
            userName: identity.userName, connectionKey: identity.connectionKey, identity: message(identity.identity),
            source: source, postgresUsername: identity.postgresUsername ?? "", outcome: outcome)
    }

    static func message(_ failure: ConnectionCheckFailure) -> StewardV1.ConnectionCheckFailure {
        StewardV1.ConnectionCheckFailure(
            connectionKey: failure.connectionKey, code: failure.code.rawValue, message: failure.message)
    }
}
