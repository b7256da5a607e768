import Foundation
import Glibc
import StewardWire

/// stewardd started the way systemd starts a socket-activated `Type=notify`
/// service: the test binds and listens on the socket itself, the child gets
/// it as descriptor 3 with `LISTEN_FDS=1` and `LISTEN_PID` set to the
/// child's own pid (a shell exports `$$` and then execs stewardd, keeping
/// its pid), and `NOTIFY_SOCKET` names a datagram socket the test reads.
final class ActivatedDaemon: @unchecked Sendable {
    let pid: pid_t
    let logPath: String

    struct LaunchFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// - Parameter inherited: what the child gets as descriptor 3.
    init(inherited: Int32, notifySocket: String, stateDirectory: String, logPath: String) throws {
        self.logPath = logPath
        let arguments = [
            "/bin/sh", "-c", "export LISTEN_PID=$$ LISTEN_FDS=1; exec \"$0\" \"$@\"",
            Executables.stewardd.path, "--state-dir", stateDirectory, "--log-level", "info",
        ]
        var environment = ProcessInfo.processInfo.environment
        for name in ["STEWARD_SOCKET", "STEWARD_STATE_DIR", "LISTEN_PID", "LISTEN_FDS"] { environment[name] = nil }
        environment["NOTIFY_SOCKET"] = notifySocket
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inherited, 3)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, "/bin/sh", &actions, nil, argv, envp)
        guard status == 0 else { throw LaunchFailure(description: "posix_spawn: \(String(cString: strerror(status)))") }
        pid = child
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits for the child and returns its exit status (-1 if it died by signal).
    func waitForExit() async throws -> Int32 {
        let pid = self.pid
        return try await offThePool {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            // WIFEXITED / WEXITSTATUS, which Swift does not import.
            return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
        }
    }
}

/// The service manager's end of `NOTIFY_SOCKET`: a bound datagram socket.
final class NotifyListener: @unchecked Sendable {
    let fd: Int32
    /// As `NOTIFY_SOCKET` spells it (`@name` for the abstract namespace).
    let address: String

    init(address: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.address = address
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw ActivatedDaemon.LaunchFailure(description: "bind \(address): errno \(errno)") }
    }

    deinit { close(fd) }

    /// The next datagram, or nil if none came within `seconds` (a deadline
    /// on a real wait, not a sleep).
    func next(within seconds: Int32) async throws -> String? {
        let fd = self.fd
        return try await offThePool {
            var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&poll, 1, seconds * 1000) == 1 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
        }
    }
}
