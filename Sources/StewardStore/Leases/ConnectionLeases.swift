import StewardModel

/// Who works on a connection when several daemons share one registry
/// (docs/shared-mode.md, "Dividing the work"): each connection's rechecks
/// run on one daemon, and a recheck or sync of it on one daemon at a time.
///
/// Only a shared registry has leases (``LeasingStore``); an embedded store
/// belongs to one daemon (its state directory is locked), so its callers
/// skip all of this and pay nothing for it.
public protocol ConnectionLeases: Sendable {
    /// Whether this daemon holds the rechecks of `key`, taking them when no
    /// live daemon does. Kept until the daemon ends or ``releaseRechecks(except:)``
    /// lets it go; a daemon that dies lets go of all of them at once.
    /// False, too, when the registry cannot be asked now.
    func holdsRechecks(of key: String) -> Bool

    /// Lets go of the rechecks of every connection not in `keys` (one that
    /// is no longer rechecked is left for any daemon to take later).
    func releaseRechecks(except keys: Set<String>)

    /// Takes the work lease of `key`: while this daemon holds it, no other
    /// daemon (and no other task of this one) syncs or rechecks the
    /// connection. Waits for another holder at most until `deadline`.
    ///
    /// - Returns: the lease, or nil when another holder kept it until then.
    /// - Throws: UNAVAILABLE when the registry cannot be asked.
    func takeWork(on key: String, until deadline: Deadline) async throws(StoreError) -> WorkLease?

    /// Gives the work lease back.
    func release(_ lease: WorkLease)
}

/// A held work lease. Writes made under it (``LeaseFence/current``) store
/// only while it is still held: the storing transaction checks it, so a
/// daemon that lost its lease (its lease session ended, and another daemon
/// took over) stores nothing.
public struct WorkLease: Sendable {
    public let key: String
    /// What the storing transaction checks; nil for a store that keeps no
    /// fence (its leases cannot be lost while the daemon lives).
    public let fence: LeaseFence?

    public init(key: String, fence: LeaseFence?) {
        self.key = key
        self.fence = fence
    }
}

/// The fencing token of a work lease in the registry: the advisory lock
/// that is the lease, and the session holding it (its process id and start
/// time, which no later session repeats).
public struct LeaseFence: Sendable {
    public let key: String
    let lockClass: Int32
    let lockObject: Int32
    let holderPID: Int32
    let holderStart: String

    /// The lease the current task's writes are fenced by, if any. Every
    /// write of a store call made under it checks it inside its
    /// transaction, except an audit event of its own (what happened is
    /// always recorded).
    @TaskLocal public static var current: LeaseFence?
}

/// A store whose registry several daemons share, and which divides their
/// work with leases.
public protocol LeasingStore: RegistryStore {
    var connectionLeases: any ConnectionLeases { get }
}

extension RegistryStore {
    /// The store's leases, or nil for a store that needs none (embedded).
    public var leases: (any ConnectionLeases)? { (self as? any LeasingStore)?.connectionLeases }
}

extension ConnectionLeases {
    /// Runs `body` holding `key`'s work lease, its writes fenced by it.
    ///
    /// - Returns: nil when another holder kept the lease until `deadline`.
    public func withWork<T: Sendable>(
        on key: String, until deadline: Deadline, _ body: () async throws -> T
    ) async throws -> T? {
        guard let lease = try await takeWork(on: key, until: deadline) else { return nil }
        defer { release(lease) }
        return try await LeaseFence.$current.withValue(lease.fence) { try await body() }
    }
}
