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
    /// The embedded SQLite store in this directory, or the shared
    /// PostgreSQL registry it was opened with.
    public let store: any RegistryStore
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

    private init(path: String, store: any RegistryStore, lock: DirectoryLock) {
        self.path = path
        self.store = store
        self.lock = lock
    }

    /// Opens the state directory at `path`. Every refusal says what is wrong
    /// and what to do: a directory open to others' writes, another daemon
    /// holding it, a key file that is missing (for an existing store),
    /// unreadable, too open or not this store's, a store too new to read.
    ///
    /// - Parameter sharedRegistry: a `postgresql://` URL or libpq
    ///   keyword/value string: shared mode, where several daemons (each with
    ///   its own state directory) serve one registry in PostgreSQL. Each
    ///   needs the same key file: the first daemon creates it, the others
    ///   get a copy.
    public static func open(
        at path: String, sharedRegistry: String? = nil, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(StoreError) -> StateDirectory {
        let path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        try prepareDirectory(path)
        let lock = try DirectoryLock(path: path + "/" + lockFileName, directory: path)
        let databasePath = path + "/" + databaseFileName
        let keyPath = path + "/" + keyFileName
        if let sharedRegistry {
            let store = try openShared(sharedRegistry, keyPath: keyPath, clock: clock)
            return StateDirectory(path: path, store: store, lock: lock)
        }
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

    /// Opens the shared registry with this directory's key, creating the key
    /// only for a registry that has none yet.
    private static func openShared(
        _ registry: String, keyPath: String, clock: @escaping @Sendable () -> Date
    ) throws(StoreError) -> PostgresRegistryStore {
        guard !KeyFile.exists(at: keyPath) else {
            return try PostgresRegistryStore(connectionString: registry, key: try KeyFile.load(at: keyPath), clock: clock)
        }
        let key = try KeyFile.create(at: keyPath)
        do {
            return try PostgresRegistryStore(connectionString: registry, key: key, clock: clock)
        } catch {
            // Any other failure may have come after the registry adopted the
            // new key (a lost reply to its COMMIT): then this file is the key.
            guard error.code == .keyMismatch else { throw error }
            // A key made just now is not the registry's: leave no stray key behind.
            unlink(keyPath)
            throw StoreError(
                .keyMissing,
                "the shared registry already has a key, and \(keyPath) does not exist: copy registry.key "
                    + "from a daemon that serves this registry into the state directory (mode 0600)")
        }
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
