import Foundation
import StewardWire
import Testing

/// Running out of file descriptors (issue 13, item 4), with a real daemon
/// started under a low open-file limit and more real clients than it has
/// descriptors.
@Suite("Out of descriptors", .serialized, .timeLimit(.minutes(3)))
struct DescriptorLimitTests {
    @Test("The soft open-file limit is raised to the hard limit at start, and said")
    func raisesSoftLimit() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock", openFiles: (256, 4096))
        let limits = try String(contentsOfFile: "/proc/\(daemon.pid)/limits", encoding: .utf8)
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }.map(String.init) ?? ""
        #expect(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).prefix(2) == ["4096", "4096"], "\(line)")
        #expect(try daemon.waitForLog(containing: "limit=soft 4096, hard 4096"), "\(daemon.stderrText)")
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("Accept pauses without spinning while descriptors are out, connected clients are served, and it resumes")
    func pausesAndResumes() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // 64 descriptors: a few dozen for clients once the store, the log and
        // the socket have theirs; the daemon's own connection limit (1,024)
        // is far above, so descriptors run out first.
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock", openFiles: (64, 64))
        var clients: [RawConnection] = []
        for _ in 0..<120 {
            // Connecting succeeds while the listen backlog has room, accepted or not.
            clients.append(try RawConnection(path: daemon.socketPath))
        }
        #expect(try daemon.waitForLog(containing: "out of file descriptors; pausing accept"), "\(daemon.stderrText)")

        // A client accepted before the descriptors ran out is still served.
        try await clients[0].send(Frames.request(1, GrpcHealthV1.Health.check, .init()))
        #expect(try await clients[0].nextFrame()?.statusCode == .ok)

        // And the daemon does not spin on the pending connections: over two
        // seconds of starvation it uses a small part of one core (a loop
        // retrying accept used all of it).
        let before = Self.cpuSeconds(of: daemon.pid)
        try await Task.sleep(for: .seconds(2))  // a measuring window, not synchronisation
        let used = Self.cpuSeconds(of: daemon.pid) - before
        #expect(used < 0.6, "the daemon used \(used) s of CPU in 2 s while out of descriptors")

        // Descriptors come back when clients leave; the waiting clients
        // (fewer now than the descriptors: the store alone holds about 20,
        // two for each of its SQLite connections) are then accepted and
        // served, without a restart.
        clients.removeSubrange(0..<110)
        let last = try #require(clients.last)
        try await last.send(Frames.request(7, GrpcHealthV1.Health.check, .init()))
        let answer = try await last.nextFrame(timeoutMilliseconds: 20_000)
        #expect(answer?.callID == 7 && answer?.statusCode == .ok)
        #expect(try daemon.waitForLog(containing: "accepting connections again"), "\(daemon.stderrText)")
        // One warning for the episode, not one per failed accept.
        #expect(daemon.stderrText.components(separatedBy: "out of file descriptors").count - 1 == 1, "\(daemon.stderrText)")

        clients.removeAll()
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("Clients beyond the daemon's own connection limit are told RESOURCE_EXHAUSTED")
    func beyondConnectionLimit() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(
            socketPath: directory + "/run/steward.sock", arguments: ["--max-connections", "20"], openFiles: (1024, 1024))
        var clients: [RawConnection] = []
        var refused = 0
        for index in 0..<30 {
            let client = try RawConnection(path: daemon.socketPath)
            // A refused client may find the socket closed before its request
            // goes out; the refusal is waiting to be read either way.
            try? await client.send(Frames.request(1, GrpcHealthV1.Health.check, .init()))
            let answer = try await client.nextFrame()
            if answer?.callID == 0 && answer?.statusCode == .resourceExhausted {
                refused += 1
            } else {
                #expect(answer?.statusCode == .ok, "client \(index): \(String(describing: answer))")
            }
            clients.append(client)
        }
        // root is an administrator: the connections kept for known callers are its too.
        #expect(refused == 10)
        clients.removeAll()
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    /// User plus system CPU time of a process, in seconds (/proc/PID/stat).
    static func cpuSeconds(of pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15 (1-based).
        let utime = Double(fields[11]) ?? 0
        let stime = Double(fields[12]) ?? 0
        return (utime + stime) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
