import Foundation
import StewardCore
import StewardModel
import StewardStore
import StewardWire

/// steward.v1.Policies and Groups messages <-> the domain's policies,
/// groups and enforcement outcomes.
enum PoliciesMapping {
    static func message(_ group: GroupRecord) -> StewardV1.Group {
        StewardV1.Group(
            name: group.name, osGroup: group.osGroup ?? "", members: group.members,
            createdAtUnixMs: ConnectionsMapping.milliseconds(group.createdAt))
    }

    static func access(_ value: StewardV1.PolicyAccess) -> PolicyAccess? {
        switch value {
        case .read: .read
        case .write: .write
        default: nil
        }
    }

    static func message(_ access: PolicyAccess) -> StewardV1.PolicyAccess {
        switch access {
        case .read: .read
        case .write: .write
        }
    }

    static func request(_ policy: StewardV1.Policy?, name: String? = nil) -> PolicyRequest {
        let policy = policy ?? StewardV1.Policy()
        return PolicyRequest(
            name: name ?? policy.name, access: access(policy.access), dataSources: policy.dataSources,
            scopes: policy.scopes.map { PolicyRequest.Scope(connection: $0.connectionKey, database: $0.database, schema: $0.schema) },
            subjects: policy.subjects.map { subject in
                switch subject.subject {
                case .userName(let name)?: .user(name)
                case .groupName(let name)?: .group(name)
                case nil: nil
                }
            })
    }

    static func message(_ record: PolicyRecord) -> StewardV1.Policy {
        var dataSources: [String] = []
        var scopes: [StewardV1.DataSourceScope] = []
        for selector in record.definition.selectors {
            switch selector {
            case .dataSource(let name): dataSources.append(name)
            case .scope(let connection, let database, let schema):
                scopes.append(StewardV1.DataSourceScope(connectionKey: connection, database: database ?? "", schema: schema ?? ""))
            }
        }
        return StewardV1.Policy(
            name: record.name, access: message(record.definition.access), dataSources: dataSources, scopes: scopes,
            subjects: record.definition.subjects.map { subject in
                switch subject {
                case .user(let name): StewardV1.PolicySubject(subject: .userName(name))
                case .group(let name): StewardV1.PolicySubject(subject: .groupName(name))
                }
            },
            revision: UInt64(record.revision), createdAtUnixMs: ConnectionsMapping.milliseconds(record.createdAt),
            updatedAtUnixMs: ConnectionsMapping.milliseconds(record.updatedAt))
    }

    static func message(_ outcome: EnforcementOutcome) -> StewardV1.EnforceResponse {
        let report = outcome.report
        return StewardV1.EnforceResponse(
            connectionKey: report.connectionKey, dryRun: report.dryRun,
            databases: report.databases.map { database in
                StewardV1.DatabaseEnforcement(
                    database: database.database,
                    statements: database.statements.map {
                        StewardV1.PlannedStatement(database: $0.database, sql: $0.sql, purpose: $0.purpose.rawValue, policies: $0.policies)
                    },
                    applied: database.applied, failure: database.failure?.message ?? "")
            },
            drift: report.drift.map { StewardV1.DriftFinding(kind: $0.kind.rawValue, database: $0.database, detail: $0.detail) },
            missingRoles: report.missingRoles,
            unresolved: outcome.unresolved.map {
                StewardV1.UnresolvedSubscriber(userName: $0.userName, reason: $0.reason.description, policies: $0.policies)
            },
            unknownOsGroups: outcome.unknownOSGroups.map { "\($0.group): \($0.osGroup)" })
    }

    static func message(_ subscriber: DataSourceSubscriber) -> StewardV1.Subscriber {
        StewardV1.Subscriber(
            userName: subscriber.userName, role: subscriber.role ?? "", access: message(subscriber.access),
            policies: subscriber.policies, unresolvedReason: subscriber.unresolved?.description ?? "")
    }

    static func page(size: UInt32, token: String) -> PageRequest {
        PageRequest(size: Int(size), token: token.isEmpty ? nil : token)
    }
}

extension PoliciesMapping {
    /// A revocation's answer fields: what it did, or why it could not.
    static func revocation(_ result: Result<EnforcementOutcome, DomainError>?) -> (StewardV1.EnforceResponse?, String) {
        switch result {
        case .success(let outcome)?: (message(outcome), "")
        case .failure(let error)?: (nil, error.message)
        case nil: (nil, "")
        }
    }
}
