import StewardModel
import StewardStore

/// When enforcement runs: the one home of its triggers. A change that moves
/// the desired state (a policy, group, membership, user, mapping, the
/// identity template, an activation, a sync) is announced here once it has
/// committed; the affected ACTIVE connections are then enforced in the
/// background, so the change's answer never waits for, or fails with, a
/// governed server. The recheck interval enforces every ACTIVE connection.
/// Two runs of one connection never interleave (in this daemon; across
/// daemons the PostgreSQL side's lock keeps them apart).
public actor EnforcementScheduler {
    /// What a committed change touched.
    public enum Change: Sendable, Hashable {
        /// Anything any connection's desired state depends on (groups,
        /// users, default mappings, the template).
        case everyConnection
        /// Only these connections' (their policies, mappings, data sources).
        case connections(Set<String>)
    }

    /// One background run's end, for the daemon's log.
    public struct RunResult: Sendable {
        public var connectionKey: String
        public var outcome: Result<EnforcementOutcome, DomainError>
        /// From reading the desired state to the last database's answer.
        public var duration: Duration
    }

    let store: any RegistryStore
    let reader: DesiredStateReader
    /// nil until the daemon is given the PostgreSQL side: every run then
    /// answers FAILED_PRECONDITION and background triggers do nothing.
    let enforcer: (any PolicyEnforcer)?
    let audit: AuditTrail
    /// The uid background runs are audited under: the daemon's own.
    let daemonUID: UInt32
    let timeoutMilliseconds: Int
    /// The method background runs are audited as: the Enforce route's (the
    /// domain names no wire path; the server hands it over).
    let auditMethod: String
    let report: @Sendable (RunResult) -> Void

    private var pending: Set<String> = []
    private var pendingEveryConnection = false
    private var worker: Task<Void, Never>?
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var running: Set<String> = []
    private var runWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init(
        store: any RegistryStore, enforcer: (any PolicyEnforcer)?, audit: AuditTrail? = nil,
        osGroups: OSGroupDirectory = OSGroupDirectory(), daemonUID: UInt32, auditMethod: String,
        timeoutMilliseconds: Int = 60_000, report: @escaping @Sendable (RunResult) -> Void = { _ in }
    ) {
        self.store = store
        self.reader = DesiredStateReader(store: store, osGroups: osGroups)
        self.enforcer = enforcer
        self.audit = audit ?? AuditTrail(store: store)
        self.daemonUID = daemonUID
        self.timeoutMilliseconds = timeoutMilliseconds
        self.auditMethod = auditMethod
        self.report = report
    }

    static let notConfigured = DomainError(
        .failedPrecondition, "enforcement not configured: this daemon has no PostgreSQL enforcer")

    // MARK: Triggers

    /// Announces a committed change; returns at once. Runs are coalesced:
    /// many changes while a run is under way make one more run.
    public func desiredStateMoved(_ change: Change) {
        guard enforcer != nil else { return }
        switch change {
        case .everyConnection: pendingEveryConnection = true
        case .connections(let keys): pending.formUnion(keys)
        }
        guard worker == nil else { return }
        // The run's store calls block: on the blocking executor, never on
        // the cooperative pool (two runs blocked there would stop the daemon).
        worker = Task(executorPreference: BlockingExecutor.shared) { await self.drain() }
    }

    /// Every `interval` until cancelled, every ACTIVE connection is enforced
    /// again (drift repaired, OS groups read afresh).
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            desiredStateMoved(.everyConnection)
            await idle()
        }
    }

    /// Returns once no background run is pending or under way.
    public func idle() async {
        guard worker != nil else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// The worker's loop. Not isolated: its store calls run on the worker
    /// task's executor (the blocking pool), never on the actor, which runs
    /// wherever it is held (the announcing caller's thread, often the
    /// cooperative pool's). Only the bookkeeping hops onto the actor.
    private nonisolated func drain() async {
        while let batch = await takePending() {
            var keys = batch.keys
            if batch.everyConnection {
                keys.formUnion(store.connections(in: [.active], ifStoreFails: { _ in }).map(\.key))
            }
            for key in keys.sorted() {
                let outcome: Result<EnforcementOutcome, DomainError>
                let started = ContinuousClock.now
                do throws(DomainError) {
                    guard try activeConnection(key) != nil else { continue }
                    outcome = .success(try await enforceExclusively(key, in: [.active], revokeEverything: false, dryRun: false))
                } catch where error.code == .failedPrecondition && (try? activeConnection(key)) == nil {
                    continue  // deactivated while it waited: nothing to enforce
                } catch {
                    outcome = .failure(error)
                }
                recordBackgroundRun(key, outcome)
                report(RunResult(connectionKey: key, outcome: outcome, duration: ContinuousClock.now - started))
            }
        }
    }

    /// What is pending, taken; or, when nothing is, the worker's end (with
    /// its waiters woken) in the same turn on the actor, so a change
    /// announced meanwhile either is taken or starts a new worker.
    private func takePending() -> (keys: Set<String>, everyConnection: Bool)? {
        guard pendingEveryConnection || !pending.isEmpty else {
            worker = nil
            for waiter in idleWaiters { waiter.resume() }
            idleWaiters = []
            return nil
        }
        defer {
            pending = []
            pendingEveryConnection = false
        }
        return (pending, pendingEveryConnection)
    }

    /// The connection if it is (still) ACTIVE; nil when it is not or is gone.
    private nonisolated func activeConnection(_ key: String) throws(DomainError) -> ConnectionRecord? {
        do {
            let record = try store.connection(key: key)
            return record.state == .active ? record : nil
        } catch where error.code == .notFound {
            return nil
        } catch {
            throw DomainError(error)
        }
    }

    /// Background runs that changed something (or failed) are audited as
    /// the daemon's Enforce calls, naming the policies that caused them.
    private nonisolated func recordBackgroundRun(_ key: String, _ outcome: Result<EnforcementOutcome, DomainError>) {
        let caller = Caller.administrator(uid: daemonUID)
        switch outcome {
        case .success(let result) where result.statementCount > 0:
            audit.record(auditMethod, caller, target: key, connectionKey: key, status: .ok, message: "automatic: " + result.auditSummary)
        case .success: break
        case .failure(let error):
            audit.record(auditMethod, caller, target: key, connectionKey: key, status: error.code, message: "automatic: " + error.message)
        }
    }

    // MARK: Runs

    /// Runs enforcement of connection `key` once no other run of it is under
    /// way, if it is then in one of `states` (nil: any state). Not
    /// isolated, like `drain`: only taking and giving back the connection's
    /// turn hops onto the actor.
    nonisolated func enforceExclusively(
        _ key: String, in states: Set<LifecycleState>?, revokeEverything: Bool, dryRun: Bool, deadline: Deadline? = nil
    ) async throws(DomainError) -> EnforcementOutcome {
        guard let enforcer else { throw Self.notConfigured }
        await acquire(key)
        let outcome: Result<EnforcementOutcome, DomainError>
        do throws(DomainError) {
            // Read under the turn: a run that held it may have followed a change
            // (a deactivation's revocation must not be followed by a grant).
            let current = try storeCall { () throws(StoreError) in try store.connection(key: key) }
            if let states, !states.contains(current.state) {
                throw .failedPrecondition(
                    "connection \"\(key)\" is \(current.state.rawValue); only \(states.map(\.rawValue).sorted().joined(separator: " and ")) connections are enforced")
            }
            outcome = .success(try await ConnectionEnforcement(store: store, reader: reader, enforcer: enforcer).run(
                current, revokeEverything: revokeEverything, dryRun: dryRun,
                deadline: deadline ?? .after(milliseconds: timeoutMilliseconds)))
        } catch {
            outcome = .failure(error)
        }
        await release(key)
        return try outcome.get()
    }

    private func acquire(_ key: String) async {
        while running.contains(key) {
            await withCheckedContinuation { runWaiters[key, default: []].append($0) }
        }
        running.insert(key)
    }

    private func release(_ key: String) {
        running.remove(key)
        for waiter in runWaiters.removeValue(forKey: key) ?? [] { waiter.resume() }
    }
}
