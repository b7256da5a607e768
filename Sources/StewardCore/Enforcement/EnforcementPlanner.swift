import StewardModel
import StewardPostgres

/// Plans one database's enforcement from values alone: the catalog facts,
/// the desired access, and what the state database says Steward granted.
///
/// A grant is Steward's when its grantor is the connection role. On a
/// governed relation, every such grant of a managed privilege that is not
/// desired is revoked (and reported as drift when Steward has no record of
/// it). On a schema, the database, or a relation no longer governed, only
/// grants the record calls Steward's are revoked, since the connection
/// role's other grants may serve purposes of its own. Grants to PUBLIC, to the connection role and to the
/// owner are never touched; grants by anyone else on a governed relation are
/// reported, never changed.
public struct EnforcementPlanner: Sendable {
    public var connectionRole: String

    public init(connectionRole: String) { self.connectionRole = connectionRole }

    /// - Parameters:
    ///   - desired: the desired access in `facts.database` of roles that
    ///     exist (or are being provisioned); access to a relation the
    ///     catalog does not show is dropped (it was dropped or renamed; the
    ///     next sync disables it).
    ///   - governed: the governed relations of the database, which grants by
    ///     others are reported on.
    public func plan(
        _ facts: DatabaseGrantFacts, desired: [DesiredAccess], governed: Set<GovernedRelation>, recorded: RecordedGrants
    ) -> DatabasePlan {
        let database = facts.database
        var relationKinds: [GrantedObject: RelationKind] = [:]
        for relation in facts.relations {
            relationKinds[.relation(schema: relation.schema, name: relation.name)] = RelationKind(relkind: String(relation.kind))
        }

        // What the policies call for.
        var wanted: GrantSet = [:]
        var policies: [GrantKey: Set<String>] = [:]
        wanted.reserveCapacity(desired.count + 64)
        policies.reserveCapacity(desired.count + 64)
        for access in desired where access.relation.database == database {
            let object = GrantedObject.relation(schema: access.relation.schema, name: access.relation.name)
            guard let kind = relationKinds[object] else { continue }
            let needs: [(GrantKey, Set<String>)] = [
                (GrantKey(object: object, role: access.role), kind.privileges(for: access.access)),
                (GrantKey(object: .schema(access.relation.schema), role: access.role), ["USAGE"]),
                (GrantKey(object: .database(database), role: access.role), ["CONNECT"]),
            ]
            for (key, privileges) in needs {
                wanted[key, default: []].formUnion(privileges)
                policies[key, default: []].formUnion(access.policies)
            }
        }

        // What the connection role has granted, and what others have.
        var held: GrantSet = [:]
        held.reserveCapacity(wanted.count)
        var drift: [DriftFinding] = []
        for relation in facts.relations {
            let object = GrantedObject.relation(schema: relation.schema, name: relation.name)
            let isGoverned = governed.contains(GovernedRelation(database: database, schema: relation.schema, name: relation.name))
            for entry in relation.entries {
                guard let grantee = entry.grantee, grantee != connectionRole, grantee != relation.owner else {
                    // PUBLIC, the connection role itself, the owner: never Steward's.
                    if isGoverned, entry.grantor != connectionRole, entry.grantee != connectionRole, entry.grantee != relation.owner {
                        drift.append(grantedByOther(entry, on: object, database: database))
                    }
                    continue
                }
                if entry.grantor == connectionRole {
                    if object.managedPrivileges.contains(entry.privilege) {
                        held[GrantKey(object: object, role: grantee), default: []].insert(entry.privilege)
                    }
                } else if isGoverned {
                    drift.append(grantedByOther(entry, on: object, database: database))
                }
            }
        }
        for (schema, entries) in facts.schemaEntries {
            collect(entries, on: .schema(schema), into: &held)
        }
        collect(facts.databaseEntries, on: .database(database), into: &held)

        // The difference.
        var revokes: [(GrantKey, Set<String>)] = []
        var grants: [(GrantKey, Set<String>, PlannedStatement.Purpose)] = []
        var holdings: GrantSet = [:]
        var granting: GrantSet = [:]
        // Any order: statements are sorted by GrantStatements, drift below.
        var keys = Set(wanted.keys)
        keys.formUnion(held.keys)
        for key in keys {
            let want = wanted[key] ?? []
            let have = held[key] ?? []
            if !want.isEmpty { holdings[key] = want }
            var remove = have.subtracting(want)
            if case .relation(let schema, let name) = key.object, governed.contains(GovernedRelation(database: database, schema: schema, name: name)) {
                for privilege in remove.subtracting(recorded.any(key)).sorted() {
                    drift.append(DriftFinding(
                        kind: .notDesired, database: database,
                        detail: "\(privilege) on \(key.object.quotedName) to \(SQLQuoting.identifier(key.role)) (granted by the connection role, wanted by no policy)"))
                }
            } else {
                // Schema and database grants, and grants on relations no
                // longer governed: only those Steward recorded.
                remove.formIntersection(recorded.any(key))
            }
            if !remove.isEmpty { revokes.append((key, remove)) }
            let add = want.subtracting(have)
            let repair = add.intersection(recorded.applied[key] ?? [])
            let fresh = add.subtracting(repair)
            for privilege in repair.sorted() {
                drift.append(DriftFinding(
                    kind: .revokedByOther, database: database,
                    detail: "\(privilege) on \(key.object.quotedName) to \(SQLQuoting.identifier(key.role)) (granted by Steward, revoked by someone else; granted again)"))
            }
            if !repair.isEmpty { grants.append((key, repair, .repair)) }
            if !fresh.isEmpty { grants.append((key, fresh, .grant)) }
            if !add.isEmpty { granting[key] = add }
        }

        var statements = GrantStatements.revokes(revokes, database: database)
        statements += GrantStatements.grants(grants, database: database, policies: policies)
        return DatabasePlan(database: database, statements: statements, drift: drift.sorted(by: Self.order), holdings: holdings, granting: granting)
    }

    /// Entries the connection role made on a schema or database (the
    /// catalog query already kept only those), to roles other than itself.
    private func collect(_ entries: [PostgresCatalog.ACLEntry], on object: GrantedObject, into held: inout GrantSet) {
        for entry in entries where entry.grantor == connectionRole && object.managedPrivileges.contains(entry.privilege) {
            guard let grantee = entry.grantee, grantee != connectionRole else { continue }
            held[GrantKey(object: object, role: grantee), default: []].insert(entry.privilege)
        }
    }

    private func grantedByOther(_ entry: PostgresCatalog.ACLEntry, on object: GrantedObject, database: String) -> DriftFinding {
        let grantee = entry.grantee.map(SQLQuoting.identifier) ?? "PUBLIC"
        return DriftFinding(
            kind: .grantedByOther, database: database,
            detail: "\(entry.privilege) on \(object.quotedName) to \(grantee) (granted by \(SQLQuoting.identifier(entry.grantor)); not Steward's, left as it is)")
    }

    private static func order(_ lhs: DriftFinding, _ rhs: DriftFinding) -> Bool {
        (lhs.kind.rawValue, lhs.detail) < (rhs.kind.rawValue, rhs.detail)
    }
}
