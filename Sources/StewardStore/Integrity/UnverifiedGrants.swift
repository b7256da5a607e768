import Foundation
import Synchronization
import StewardWire

/// A `user_permissions` row whose MAC does not verify: ignored, so the user
/// does not hold the permission.
package struct UnverifiedGrant: Sendable, Hashable {
    package var userID: Int64
    package var uid: UInt32
    package var userName: String
    /// The stored name, which may not even be a permission this daemon knows.
    package var permission: String
}

/// Makes each unverified grant one audit event per store (per daemon), not
/// one per lookup: the caller lookup runs on every call and would otherwise
/// flood the trail.
package final class UnverifiedGrantLog: Sendable {
    /// The method an integrity event is recorded under (no RPC has it).
    package static let auditMethod = "stewardd/RegistryIntegrity"

    private let reported = Mutex<Set<UnverifiedGrant>>([])

    package init() {}

    /// The grants among `grants` not reported before, now marked reported.
    package func firstSightings(_ grants: [UnverifiedGrant]) -> [UnverifiedGrant] {
        guard !grants.isEmpty else { return [] }
        return reported.withLock { seen in grants.filter { seen.insert($0).inserted } }
    }

    /// The audit event for `grant`.
    package static func event(_ grant: UnverifiedGrant, at date: Date) -> NewAuditEvent {
        NewAuditEvent(
            at: date, uid: grant.uid, userName: grant.userName, method: auditMethod, target: grant.userName,
            status: .dataLoss,
            message: "the registry grants \(grant.permission) to user \"\(grant.userName)\" (uid \(grant.uid)) "
                + "in a row whose MAC does not verify under the registry key; the grant is ignored (it was "
                + "written without the key, or copied from another user's row); grant it again to restore it")
    }
}

extension RegistryStore {
    /// Appends an audit event for each grant not reported before. Called
    /// after the read that found them, outside its transaction; a failure
    /// to write is not the lookup's failure.
    func report(_ grants: [UnverifiedGrant], log: UnverifiedGrantLog, now: Date) {
        for grant in log.firstSightings(grants) {
            _ = try? appendAuditEvent(UnverifiedGrantLog.event(grant, at: now))
        }
    }
}
