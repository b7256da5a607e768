import Foundation
import Glibc
import StewardWire

/// A child process on a pseudo-terminal of our own: its stdin, stdout and
/// stderr are the slave side; the test types into and reads the master.
///
/// A thread reads the master into a transcript; waits look for text in the
/// part not yet matched, bounded by a deadline (never a sleep). Blocking
/// waits run off the cooperative pool (`offThePool`).
final class TerminalSession: @unchecked Sendable {
    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    let process = Process()
    private let master: Int32
    private let condition = NSCondition()
    private var buffer = Data()
    private var closed = false
    /// Bytes of `buffer` already matched by a wait.
    private var cursor = 0

    init(_ executable: URL, _ arguments: [String], directory: String, environment: [String: String] = [:]) throws {
        master = PTY.openpt(O_RDWR | O_NOCTTY)
        guard master >= 0 else { throw SystemCallError("posix_openpt", errno: errno) }
        guard PTY.grantpt(master) == 0 else { throw SystemCallError("grantpt", errno: errno) }
        guard PTY.unlockpt(master) == 0 else { throw SystemCallError("unlockpt", errno: errno) }
        var name = [CChar](repeating: 0, count: 128)
        guard PTY.ptsname_r(master, &name, name.count) == 0 else { throw SystemCallError("ptsname_r", errno: errno) }
        let slave = open(String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw SystemCallError("open pty slave", errno: errno) }
        var size = winsize(ws_row: 50, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(slave, UInt(TIOCSWINSZ), &size)

        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "STEWARD_SOCKET")
        merged.removeValue(forKey: "STEWARD_STATE_DIR")
        merged["TERM"] = "dumb"
        merged.merge(environment) { $1 }
        process.environment = merged
        let slaveHandle = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = slaveHandle
        process.standardOutput = slaveHandle
        process.standardError = slaveHandle
        do { try process.run() } catch { close(slave); close(master); throw error }
        // Only the child holds the slave now: its exit ends our reads (EIO).
        close(slave)

        Thread { [self] in readLoop() }.start()
    }

    private func readLoop() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(master, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            condition.lock()
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
            } else {
                closed = true
            }
            condition.broadcast()
            condition.unlock()
            if count <= 0 { return }
        }
    }

    /// Everything the child wrote so far.
    var transcript: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Waits until `text` appears after the last match, and moves past it.
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 30) async throws -> String {
        try await offThePool { try self.blockingWaitFor(text, seconds: seconds) }
    }

    private func blockingWaitFor(_ text: String, seconds: Double) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        let needle = Data(text.utf8)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let range = buffer.range(of: needle, in: cursor..<buffer.count) {
                let seen = String(decoding: buffer[cursor..<range.upperBound], as: UTF8.self)
                cursor = range.upperBound
                return seen
            }
            if closed {
                throw Timeout(description: "the terminal closed before \"\(text)\" appeared:\n\(String(decoding: buffer, as: UTF8.self))")
            }
            if !condition.wait(until: deadline) {
                throw Timeout(description: "\"\(text)\" did not appear within \(seconds)s:\n\(String(decoding: buffer, as: UTF8.self))")
            }
        }
    }

    /// Waits until the terminal's echo is off (a password prompt turned it off).
    /// The slave's termios is readable from the master on Linux.
    func waitForEchoOff(seconds: Double = 10) async throws {
        try await offThePool {
            let deadline = Date().addingTimeInterval(seconds)
            var settings = termios()
            while true {
                if tcgetattr(self.master, &settings) == 0, settings.c_lflag & tcflag_t(ECHO) == 0 { return }
                guard Date() < deadline else { throw Timeout(description: "echo stayed on:\n\(self.transcript)") }
                // Polls a condition that has no notification, bounded by the deadline.
                usleep(2_000)
            }
        }
    }

    /// Types a line, as Enter would end it.
    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBufferPointer { pointer in
            var offset = 0
            while offset < pointer.count {
                let written = write(master, pointer.baseAddress! + offset, pointer.count - offset)
                if written < 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }

    /// Waits for the child to exit (bounded) and for its last output.
    func waitForExit(seconds: Double = 30) async throws -> Int32 {
        try await offThePool {
            let deadline = Date().addingTimeInterval(seconds)
            self.condition.lock()
            while !self.closed {
                if !self.condition.wait(until: deadline) {
                    self.condition.unlock()
                    throw Timeout(description: "the child did not exit within \(seconds)s:\n\(self.transcript)")
                }
            }
            self.condition.unlock()
            self.process.waitUntilExit()
            return self.process.terminationStatus
        }
    }

    /// Kills the child if it is still running (the reader then sees EIO and ends).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        close(master)
    }
}

/// glibc's pseudo-terminal calls, which the Glibc module does not import
/// (they need _XOPEN_SOURCE), looked up in the already loaded libc.
private enum PTY {
    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let pointer = dlsym(dlopen(nil, RTLD_NOW), name) else {
            fatalError("libc has no \(name)")
        }
        return unsafeBitCast(pointer, to: type)
    }

    static let openpt = symbol("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    static let grantpt = symbol("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    static let unlockpt = symbol("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    static let ptsname_r = symbol("ptsname_r", as: (@convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32).self)
}
