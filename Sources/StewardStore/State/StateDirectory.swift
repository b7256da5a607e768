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
    /// Held for the life of the value: every file here is reached through it.
    private let directory: CheckedDirectory

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

    private init(path: String, store: any RegistryStore, lock: DirectoryLock, directory: CheckedDirectory) {
        self.path = path
        self.store = store
        self.lock = lock
        self.directory = directory
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
        let directory = try prepareDirectory(path)
        let lock = try DirectoryLock(name: lockFileName, in: directory)
        if let sharedRegistry {
            let store = try openShared(sharedRegistry, in: directory, clock: clock)
            return StateDirectory(path: path, store: store, lock: lock, directory: directory)
        }
        // SQLite opens its files by path, so none of them may be a link, and
        // the path it gets is the directory's own (resolved through the
        // descriptor), opened with SQLITE_OPEN_NOFOLLOW to close the window.
        for suffix in ["", "-wal", "-shm", "-journal"] {
            try FileRefusal.refuseSymlink(databaseFileName + suffix, in: directory, what: "the registry store")
        }
        let key: StoreKey
        if KeyFile.exists(keyFileName, in: directory) {
            key = try KeyFile.load(keyFileName, in: directory)
        } else if KeyFile.exists(databaseFileName, in: directory) {
            throw StoreError(
                .keyMissing,
                "the registry store \(path + "/" + databaseFileName) exists but its key file \(path + "/" + keyFileName) is missing; "
                    + "restore the key file (without it the stored passwords cannot be read)")
        } else {
            key = try KeyFile.create(keyFileName, in: directory)
        }
        let resolved: String
        do {
            resolved = try directory.resolvedPath()
        } catch {
            throw StoreError(.stateDirectoryUnusable, "cannot resolve the state directory \(path): \(error.reason)")
        }
        let store = try SQLiteRegistryStore(path: resolved + "/" + databaseFileName, key: key, clock: clock)
        return StateDirectory(path: path, store: store, lock: lock, directory: directory)
    }

    /// Opens the shared registry with this directory's key, creating the key
    /// only for a registry that has none yet.
    private static func openShared(
        _ registry: String, in directory: CheckedDirectory, clock: @escaping @Sendable () -> Date
    ) throws(StoreError) -> PostgresRegistryStore {
        guard !KeyFile.exists(keyFileName, in: directory) else {
            return try PostgresRegistryStore(
                connectionString: registry, key: try KeyFile.load(keyFileName, in: directory), clock: clock)
        }
        let keyPath = directory.displayPath(of: keyFileName)
        let key = try KeyFile.create(keyFileName, in: directory)
        do {
            return try PostgresRegistryStore(connectionString: registry, key: key, clock: clock)
        } catch {
            // Any other failure may have come after the registry adopted the
            // new key (a lost reply to its COMMIT): then this file is the key.
            guard error.code == .keyMismatch else { throw error }
            // A key made just now is not the registry's: leave no stray key behind.
            try? directory.remove(keyFileName)
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
    /// refuses one that another user owns or that group or others may write
    /// to (they could replace the key or the database, or plant a link where
    /// the lock file goes). Wraps ``CheckedDirectory/open(_:role:creatingWith:group:)``.
    static func prepareDirectory(_ path: String) throws(StoreError) -> CheckedDirectory {
        do {
            return try CheckedDirectory.open(path, role: "state directory")
        } catch {
            throw StoreError(.stateDirectoryUnusable, error.description)
        }
    }
}
