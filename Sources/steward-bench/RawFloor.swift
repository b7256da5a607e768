import ArgumentParser
import Foundation
import Glibc
import Synchronization

/// The floor: 5-byte prefix plus a 64-byte body each way over a socketpair,
/// echoed by another process (`steward-bench floor-echo`), blocking I/O, no
/// protobuf, no Dispatch. Two processes, as a client and stewardd are, and
/// as the issue measured its floor: a wake-up that crosses into another
/// address space costs more here than one between two threads of a process
/// (34–49 µs a round trip, against 9–40 µs).
enum RawFloor {
    static let bodyBytes = 64
    static var frameBytes: Int { 5 + bodyBytes }

    static func pingLatency(calls: Int) -> LatencySamples {
        let (client, server) = socketPair()
        let echo = startEcho(fd: server)
        var request = [UInt8](repeating: 0, count: frameBytes)
        request[4] = UInt8(bodyBytes)
        var response = [UInt8](repeating: 0, count: frameBytes)
        var samples = LatencySamples(capacity: calls)
        for _ in 0..<(calls / 10) { roundTrip(client, &request, &response) }  // warm up
        for _ in 0..<calls {
            let start = DispatchTime.now().uptimeNanoseconds
            roundTrip(client, &request, &response)
            samples.add(nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        }
        shutdown(client, Int32(SHUT_WR))
        echo.join()
        close(client)
        return samples
    }

    /// Calls per second with `inFlight` requests outstanding per pair: the
    /// client writes a window of requests, then keeps it full as answers come.
    static func throughput(connections: Int, inFlight: Int, seconds: Double) -> Double {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let total = Mutex(0)
        var threads: [JoinableThread] = []
        for _ in 0..<connections {
            let (client, server) = socketPair()
            let echo = startEcho(fd: server)
            threads.append(JoinableThread {
                let completed = pipelinedClient(fd: client, inFlight: inFlight, until: deadline)
                total.withLock { $0 += completed }
                shutdown(client, Int32(SHUT_WR))
                echo.join()
                close(client)
            })
        }
        let started = DispatchTime.now().uptimeNanoseconds
        threads.forEach { $0.join() }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Double(total.withLock { $0 }) / elapsed
    }

    private static func pipelinedClient(fd: Int32, inFlight: Int, until deadline: UInt64) -> Int {
        var window = [UInt8](repeating: 0, count: frameBytes * inFlight)
        for slot in 0..<inFlight { window[slot * frameBytes + 4] = UInt8(bodyBytes) }
        writeAll(fd, window, count: window.count)
        var completed = 0
        var buffer = [UInt8](repeating: 0, count: frameBytes * inFlight)
        var pending = 0
        while true {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + pending, $0.count - pending) }
            guard got > 0 else { break }
            pending += got
            let answers = pending / frameBytes
            pending -= answers * frameBytes
            if pending > 0 {
                buffer.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(answers * frameBytes)..<(answers * frameBytes + pending)])) }
            }
            completed += answers
            if DispatchTime.now().uptimeNanoseconds >= deadline { break }
            // Each answered call is replaced by a new one, written on its own
            // as an independent caller would.
            for _ in 0..<answers { writeAll(fd, window, count: frameBytes) }
        }
        return completed
    }

    private static func roundTrip(_ fd: Int32, _ request: inout [UInt8], _ response: inout [UInt8]) {
        writeAll(fd, request, count: request.count)
        readExactly(fd, &response, count: response.count)
    }

    /// Starts a `steward-bench floor-echo` process echoing on `fd` (its
    /// standard input), which this process then closes.
    private static func startEcho(fd: Int32) -> EchoProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = [FloorEcho.configuration.commandName!]
        process.standardInput = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        do {
            try process.run()
        } catch {
            fatalError("cannot start the floor's echo process: \(error)")
        }
        close(fd)
        return EchoProcess(process: process)
    }

    struct EchoProcess {
        let process: Process
        /// Waits for the echo to see end-of-file and exit.
        func join() { process.waitUntilExit() }
    }

    /// Reads whole frames as they come and writes each batch back at once,
    /// until end-of-file.
    static func echo(fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pending = 0
        while true {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + pending, $0.count - pending) }
            guard got > 0 else { break }
            pending += got
            var consumed = 0
            while pending - consumed >= 5 {
                let length = buffer.withUnsafeBytes { bytes in
                    Int(bytes[consumed + 1]) << 24 | Int(bytes[consumed + 2]) << 16
                        | Int(bytes[consumed + 3]) << 8 | Int(bytes[consumed + 4])
                }
                guard pending - consumed >= 5 + length else { break }
                consumed += 5 + length
            }
            writeAll(fd, buffer, count: consumed)
            buffer.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[consumed..<pending])) }
            pending -= consumed
        }
    }

    private static func socketPair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            fatalError("socketpair: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], count: Int) {
        var offset = 0
        while offset < count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, count - offset) }
            guard written > 0 else { return }
            offset += written
        }
    }

    private static func readExactly(_ fd: Int32, _ bytes: inout [UInt8], count: Int) {
        var offset = 0
        while offset < count {
            let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, count - offset) }
            guard got > 0 else { return }
            offset += got
        }
    }
}

/// A plain thread that can be joined.
final class JoinableThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [done] in
            body()
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    func join() { done.wait() }
}

/// The floor's other process: echoes frames on its standard input.
struct FloorEcho: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floor-echo",
        abstract: "Echo length-prefixed frames on standard input (the raw floor's other process).",
        shouldDisplay: false)

    func run() {
        RawFloor.echo(fd: 0)
    }
}
