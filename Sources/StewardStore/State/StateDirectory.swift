import Foundation
import Glibc
import StewardWire

/// The daemon's state directory: the registry database, its key and the
/// socket directory, held by one daemon at a time.
///
/// ``open(at:clock:)`` creates the directory (0700) if needed, takes the
/// directory lock, loads or creates the key, and opens and upgrades the
/// store. Keep the value for the life of the process: releasing it releases
/// the lock.
public final class StateDirectory: Sendable {
    public static let databaseFileName = "registry.sqlite3"
    public static let keyFileName = "registry.key"
    public static let lockFileName = "stewardd.lock"

    public let path: String
    public let store: SQLiteRegistryStore
    private let lock: DirectoryLock

    public var databasePath: String { path + "/" + Self.databaseFileName }
    public var keyPath: String { path + "/" + Self.keyFileName }
    /// Where the socket lives by default; the server creates it.
    public var socketPath: String { StewardPaths.socketPath(inStateDirectory: path) }

    /// `--state-dir` if given, else `STEWARD_STATE_DIR`, else
    /// `$XDG_STATE_HOME/steward`, else `~/.local/state/steward`.
    public static func resolvePath(flag: String?, environment: [String: String]) -> String {
        if let flag, !flag.isEmpty { return flag }
        return StewardPaths.defaultStateDirectory(environment: environment)
    }

    private init(path: String, store: SQLiteRegistryStore, lock: DirectoryLock) {
        self.path = path
        self.store = store
        self.lock = lock
    }

    /// Opens the state directory at `path`. Every refusal says what is wrong
    /// and what to do: a directory open to others' writes, another daemon
    /// holding it, a key file that is missing (for an existing store),
    /// unreadable, too open or not this store's, a store too new to read.
    public static func open(
        at path: String, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(StoreError) -> StateDirectory {
        let path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        try prepareDirectory(path)
        let lock = try DirectoryLock(path: path + "/" + lockFileName, directory: path)
        let databasePath = path + "/" + databaseFileName
        let keyPath = path + "/" + keyFileName
        let key: StoreKey
        if KeyFile.exists(at: keyPath) {
            key = try KeyFile.load(at: keyPath)
        } else if KeyFile.exists(at: databasePath) {
            throw StoreError(
                .keyMissing,
                "the registry store \(databasePath) exists but its key file \(keyPath) is missing; "
                    + "restore the key file (without it the stored passwords cannot be read)")
        } else {
            key = try KeyFile.create(at: keyPath)
        }
        let store = try SQLiteRegistryStore(path: databasePath, key: key, clock: clock)
        return StateDirectory(path: path, store: store, lock: lock)
    }

    /// Closes the store, then releases the directory lock.
    public func close() {
        store.close()
        lock.release()
    }

    /// Creates the directory and its missing parents with mode 0700, and
    /// refuses one that group or others may write to (they could replace the
    /// key or the database). Wraps `mkdir` and `stat`.
    static func prepareDirectory(_ path: String) throws(StoreError) {
        guard !path.isEmpty else {
            throw StoreError(.stateDirectoryUnusable, "the state directory path is empty")
        }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw StoreError(
                    .stateDirectoryUnusable,
                    "cannot create the state directory \(prefix): \(String(cString: strerror(errno)))")
            }
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw StoreError(
                .stateDirectoryUnusable,
                "cannot use the state directory \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw StoreError(.stateDirectoryUnusable, "the state directory \(path) is not a directory")
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o022 == 0 else {
            throw StoreError(
                .stateDirectoryUnusable,
                "the state directory \(path) is writable by group or others (mode \(String(mode, radix: 8))); "
                    + "run chmod go-w \(path)")
        }
    }
}
