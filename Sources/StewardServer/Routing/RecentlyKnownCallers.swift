import StewardStore

/// The uids that the registry last said are Steward users, as call
/// admission learns them, so that accepting a connection — on an I/O queue,
/// where the store must not be asked — can let them into the connection
/// slots kept for known callers. A uid's first connection is judged as an
/// unknown one's; from its first admitted call on it is known, until a
/// lookup says otherwise (the user was deleted).
final class RecentlyKnownCallers: Sendable {
    /// Enough for every user of a large team; past it, uids not yet seen
    /// are not added (those already in stay), so the set cannot grow
    /// without bound.
    static let capacity = 4_096

    /// Read by every call's admission, changed only when a uid's standing
    /// does: readers do not wait for each other.
    private let uids = ReadWriteLock(Set<UInt32>())

    func contains(_ uid: UInt32) -> Bool {
        uids.read { $0.contains(uid) }
    }

    /// What admission just learned of `uid` from the directory.
    func note(uid: UInt32, isKnown: Bool) {
        // Nearly always nothing new: decided under the read lock.
        let changes = uids.read { uids in
            isKnown ? !uids.contains(uid) && uids.count < Self.capacity : uids.contains(uid)
        }
        guard changes else { return }
        uids.write { uids in
            if !isKnown {
                uids.remove(uid)
            } else if uids.count < Self.capacity {
                uids.insert(uid)
            }
        }
    }
}
