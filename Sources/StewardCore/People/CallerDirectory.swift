import Glibc
import StewardStore

/// Who a uid is. Asked once per call, so that a grant or a new user takes
/// effect on the next call, on every daemon sharing the store.
public protocol CallerDirectory: Sendable {
    /// The caller `uid` is; `Caller.unknown` when the daemon does not know it.
    func identify(uid: UInt32) throws(DomainError) -> Caller
    /// Who is an administrator without asking anything.
    var administrators: AdministratorRule { get }
    /// Whether ``identify(uid:)`` answers within microseconds, never
    /// waiting for a server (``RegistryStore/readsArePrompt``): then a
    /// call may be admitted on its connection's I/O queue.
    var answersPromptly: Bool { get }
}

/// Root and the daemon's own uid: administrators by rule, from the start,
/// whatever the registry says and even when it cannot answer. The one
/// statement of who they are: the directories, the per-uid caps and WhoAmI
/// all ask it.
public struct AdministratorRule: Sendable, Hashable {
    public let daemonUID: UInt32

    public init(daemonUID: UInt32 = getuid()) { self.daemonUID = daemonUID }

    public func covers(_ uid: UInt32) -> Bool { uid == 0 || uid == daemonUID }
}

/// The directory stewardd uses: root and the daemon's own uid hold every
/// permission; other uids are the Steward users of the registry store.
public struct RegistryCallerDirectory: CallerDirectory {
    let store: any RegistryStore
    public let administrators: AdministratorRule

    public init(store: any RegistryStore, daemonUID: UInt32 = getuid()) {
        self.store = store
        self.administrators = AdministratorRule(daemonUID: daemonUID)
    }

    public var answersPromptly: Bool { store.readsArePrompt }

    public func identify(uid: UInt32) throws(DomainError) -> Caller {
        if administrators.covers(uid) {
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
    public let administrators: AdministratorRule

    public init(daemonUID: UInt32 = getuid()) { self.administrators = AdministratorRule(daemonUID: daemonUID) }

    /// It asks nothing.
    public var answersPromptly: Bool { true }

    public func identify(uid: UInt32) -> Caller {
        administrators.covers(uid) ? .administrator(uid: uid) : .unknown(uid: uid)
    }
}
