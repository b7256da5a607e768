import Foundation
import Glibc
import StewardStore
import Testing

@Suite("State directory: layout, key file and lock")
struct StateDirectoryTests {
    @Test("First start creates the directory 0700, a 32-byte key 0600 and the store; a restart reads them")
    func firstStart() throws {
        let parent = try TemporaryDirectory()
        let path = parent.file("nested/state")
        do {
            let state = try StateDirectory.open(at: path)
            defer { state.close() }
            #expect(fileMode(path) == 0o700)
            #expect(fileMode(parent.file("nested")) == 0o700)
            #expect(fileMode(state.keyPath) == 0o600)
            #expect(fileBytes(state.keyPath).count == 32)
            #expect(fileMode(state.databasePath) == 0o600)
            #expect(state.socketPath == path + "/run/steward.sock")
            try Samples.connection(state.store, "c", password: "kept across restarts")
        }
        let key = fileBytes(path + "/registry.key")
        let state = try StateDirectory.open(at: path)
        defer { state.close() }
        #expect(fileBytes(state.keyPath) == key, "an existing key is never replaced")
        #expect(try state.store.connectionPassword(key: "c").exposedValue == "kept across restarts")
    }

    @Test("The path is --state-dir, else STEWARD_STATE_DIR, else XDG_STATE_HOME/steward, else ~/.local/state/steward")
    func resolution() {
        #expect(StateDirectory.resolvePath(flag: "/flag", environment: ["STEWARD_STATE_DIR": "/env"]) == "/flag")
        #expect(StateDirectory.resolvePath(flag: nil, environment: ["STEWARD_STATE_DIR": "/env"]) == "/env")
        #expect(StateDirectory.resolvePath(flag: nil, environment: ["XDG_STATE_HOME": "/xdg", "HOME": "/h"]) == "/xdg/steward")
        #expect(StateDirectory.resolvePath(flag: "", environment: ["HOME": "/h"]) == "/h/.local/state/steward")
    }

    @Test("A second open of a directory in use is refused, naming the directory; closing frees it")
    func lockInProcess() throws {
        let directory = try TemporaryDirectory()
        let first = try StateDirectory.open(at: directory.path)
        expectStoreError(
            .stateDirectoryInUse,
            "the state directory \(directory.path) is in use by another stewardd (pid \(getpid())); "
                + "stop it, or give this one another --state-dir"
        ) { _ = try StateDirectory.open(at: directory.path) }
        #expect(try first.store.listConnections(state: nil, page: PageRequest()).items.isEmpty,
                "the refused open did not disturb the holder")
        first.close()
        let second = try StateDirectory.open(at: directory.path)
        second.close()
    }

    @Test("The lock holds against another process, both ways")
    func lockAcrossProcesses() throws {
        let directory = try TemporaryDirectory()
        let lockFile = directory.file(StateDirectory.lockFileName)
        // Another process holds the lock: util-linux flock(1) keeps it while
        // its child runs.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--exclusive", lockFile, "sh", "-c", "echo locked; read line"]
        let output = Pipe(), input = Pipe()
        holder.standardOutput = output
        holder.standardInput = input
        try holder.run()
        _ = output.fileHandleForReading.availableData  // "locked": the lock is held
        expectStoreError(.stateDirectoryInUse) { _ = try StateDirectory.open(at: directory.path) }
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()

        // This process holds it: another process cannot take it.
        let state = try StateDirectory.open(at: directory.path)
        defer { state.close() }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        probe.arguments = ["--nonblock", "--exclusive", lockFile, "true"]
        try probe.run()
        probe.waitUntilExit()
        #expect(probe.terminationStatus != 0)
    }

    @Test("A state directory that group or others can write to is refused")
    func openDirectory() throws {
        let directory = try TemporaryDirectory()
        chmod(directory.path, 0o777)
        expectStoreError(
            .stateDirectoryUnusable,
            "the state directory \(directory.path) is writable by group or others (mode 777); run chmod go-w \(directory.path)"
        ) { _ = try StateDirectory.open(at: directory.path) }
    }

    @Test("A state directory path that is a file is refused")
    func notADirectory() throws {
        let directory = try TemporaryDirectory()
        try writeFile(directory.file("plain"), [1])
        expectStoreError(.stateDirectoryUnusable) { _ = try StateDirectory.open(at: directory.file("plain")) }
    }
}
