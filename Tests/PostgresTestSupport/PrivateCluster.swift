import Foundation
import Glibc
import StewardPostgres

/// A PostgreSQL 17 cluster of one test's own, made with the binaries
/// `scripts/postgres-servers.sh` installs, on a port and socket directory of
/// its own, so that the test may freeze it (SIGSTOP) and thaw it without
/// touching the servers every other test shares.
///
/// Like the script it runs `initdb`, `pg_ctl` and the server as the
/// `steward-pg` OS user when the tests run as root, with the shared
/// administrator and password file. ``destroy()`` stops it (immediate
/// mode) and removes its directory.
public final class PrivateCluster: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private let binaries: String
    private static let osUser = "steward-pg"

    public var dataDirectory: String { directory + "/data" }
    public var socketDirectory: String { directory + "/socket" }

    /// The administrator over loopback TCP (the shared servers' user and password).
    public func admin(database: String = "postgres") throws -> ConnectionParameters {
        var parameters = ConnectionParameters(
            host: "127.0.0.1", port: port, database: database,
            user: try TestPostgres.setting("STEWARD_PG17_USER"), password: try TestPostgres.pg17.password)
        parameters.sslMode = .disable
        return parameters
    }

    private init(port: Int, directory: String, binaries: String) {
        self.port = port
        self.directory = directory
        self.binaries = binaries
    }

    /// Initialises and starts a new cluster (initdb takes a few seconds).
    public static func start() throws -> PrivateCluster {
        let binaries = try TestPostgres.setting("STEWARD_PG17_BIN")
        let root = try TestPostgres.setting("STEWARD_PG_ROOT")
        var template = Array("/tmp/stw-pc-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ClusterError("mkdtemp: \(String(cString: strerror(errno)))") }
        let directory = String(cString: made)
        let cluster = PrivateCluster(port: try freePort(), directory: directory, binaries: binaries)
        do {
            try FileManager.default.createDirectory(atPath: cluster.socketDirectory, withIntermediateDirectories: false)
            if getuid() == 0 {
                try run("/bin/chown", ["-R", "\(osUser):\(osUser)", directory])
            }
            try cluster.asServerUser(
                binaries + "/initdb",
                ["-D", cluster.dataDirectory, "-U", try TestPostgres.setting("STEWARD_PG17_USER"),
                 "--pwfile=\(root)/password", "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "-N"])
            let settings = [
                "-p \(cluster.port)", "-k \(cluster.socketDirectory)", "-c listen_addresses=127.0.0.1",
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=200",
                "-c shared_buffers=32MB",
            ].joined(separator: " ")
            try cluster.asServerUser(
                binaries + "/pg_ctl",
                ["-D", cluster.dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60", "-o", settings, "start"])
        } catch {
            cluster.destroy()
            throw error
        }
        return cluster
    }

    /// Stops every process of the cluster (SIGSTOP): the postmaster first,
    /// so it forks no new backend, then each of its children. Connections
    /// still complete in the kernel's backlog, and then nothing answers.
    public func freeze() throws {
        let postmaster = try postmasterPID()
        kill(postmaster, SIGSTOP)
        for child in Self.children(of: postmaster) { kill(child, SIGSTOP) }
    }

    /// Lets every process of the cluster run again (SIGCONT), children first.
    public func thaw() throws {
        let postmaster = try postmasterPID()
        for child in Self.children(of: postmaster) { kill(child, SIGCONT) }
        kill(postmaster, SIGCONT)
    }

    /// Stops the cluster (thawed first) and removes its files. Safe to call twice.
    public func destroy() {
        if let postmaster = try? postmasterPID() {
            for child in Self.children(of: postmaster) { kill(child, SIGCONT) }
            kill(postmaster, SIGCONT)
            try? asServerUser(binaries + "/pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"])
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func postmasterPID() throws -> pid_t {
        let text = try String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        guard let first = text.split(separator: "\n").first, let pid = pid_t(first) else {
            throw ClusterError("no pid in \(dataDirectory)/postmaster.pid")
        }
        return pid
    }

    /// The processes whose parent is `parent`, read from /proc.
    private static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command's closing parenthesis: state, ppid, ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, pid_t(fields[1]) == parent else { return nil }
            return pid
        }
    }

    /// Runs a command as the server user with a clean environment and only
    /// stdin, stdout and stderr open: Foundation's `Process` learns of a
    /// child's exit from a descriptor the child inherits, and a server that
    /// pg_ctl starts would inherit it too and hold it for as long as it runs.
    private func asServerUser(_ executable: String, _ arguments: [String]) throws {
        let closingDescriptors = [
            "/bin/bash", "-c",
            #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-"; done; exec "$@""#, "close-fds",
            "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C", executable,
        ] + arguments
        if getuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", Self.osUser, "--"] + closingDescriptors, directory: directory)
        } else {
            try Self.run(closingDescriptors[0], Array(closingDescriptors.dropFirst()), directory: directory)
        }
    }

    private static func run(_ executable: String, _ arguments: [String], directory: String? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        // Output to a file, not a pipe: the server pg_ctl starts would hold a
        // pipe open for as long as it runs, and reading it would never end.
        let outputPath = "/tmp/stw-pc-output-\(UInt32.random(in: 0...UInt32.max))"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try? output.close()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ClusterError("\(executable) \(arguments.first ?? "") failed (\(process.terminationStatus)): \(text)")
        }
    }

    /// A TCP port on 127.0.0.1 nobody listens on, below the ephemeral range
    /// (see scripts/postgres-servers.sh for why).
    private static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 26_000...31_000)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if bound == 0 { return port }
        }
        throw ClusterError("no free port found")
    }

    public struct ClusterError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
