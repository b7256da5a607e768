import Glibc
import StewardStore

/// Who a uid is. Asked once per call, off the I/O queues, so that a grant
/// or a new user takes effect on the next call, on every daemon sharing the
/// store.
public protocol CallerDirectory: Sendable {
    /// The caller `uid` is; `Caller.unknown` when the daemon does not know it.
    func identify(uid: UInt32) throws(DomainError) -> Caller
}

/// The directory stewardd uses: root and the daemon's own uid hold every
/// permission; other uids are the Steward users of the registry store.
public struct RegistryCallerDirectory: CallerDirectory {
    let store: any RegistryStore
    let daemonUID: UInt32

    public init(store: any RegistryStore, daemonUID: UInt32 = getuid()) {
        self.store = store
        self.daemonUID = daemonUID
    }

    public func identify(uid: UInt32) throws(DomainError) -> Caller {
        if uid == 0 || uid == daemonUID {
            // Administrators by rule, so they stay administrators (without
            // their user name) even when the store cannot answer.
            return .administrator(uid: uid, userName: try? store.user(uid: uid)?.name)
        }
        let user: UserRecord?
        do { user = try store.user(uid: uid) } catch {
            throw DomainError(error.code.status == .internalError ? .unavailable : error.code.status,
                              "cannot tell who uid \(uid) is: \(error.message)")
        }
        guard let user else { return .unknown(uid: uid) }
        return Caller(uid: uid, userName: user.name, permissions: user.permissions)
    }
}

/// A directory without users: only root and the daemon's own uid are known.
/// For servers and tests that have no registry store.
public struct DaemonAdministrators: CallerDirectory {
    public let daemonUID: UInt32

    public init(daemonUID: UInt32 = getuid()) { self.daemonUID = daemonUID }

    public func identify(uid: UInt32) -> Caller {
        uid == 0 || uid == daemonUID ? .administrator(uid: uid) : .unknown(uid: uid)
    }
}
