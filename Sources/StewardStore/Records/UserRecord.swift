import Foundation
import StewardModel

/// A Steward user: a name, and the kernel uid that identifies its callers.
public struct UserRecord: Sendable, Hashable {
    public var name: String
    public var uid: UInt32
    public var permissions: Set<Permission>
    public var createdAt: Date

    public init(name: String, uid: UInt32, permissions: Set<Permission>, createdAt: Date) {
        self.name = name
        self.uid = uid
        self.permissions = permissions
        self.createdAt = createdAt
    }
}
