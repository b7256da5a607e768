import Foundation
import StewardWire

/// A client that speaks bytes, not the client library: for sending what a
/// well-behaved client never would, and for reading exactly what comes back.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32
    private var decoder = FrameDecoder(maxFrameBytes: 64 << 20)
    private var received: [(flags: UInt8, frame: StewardRpcV1.Frame)] = []
    private(set) var sawEndOfStream = false

    struct Timeout: Error, CustomStringConvertible {
        var description: String { "no frame arrived in time" }
    }

    init(path: String) throws {
        fd = try UnixSocket.connect(to: path)
    }

    /// Takes over a connected socket (see ``ConnectAsUID``).
    init(adopting fd: Int32) {
        self.fd = fd
    }

    deinit { close(fd) }

    /// Writes all of `bytes`, waiting for room when the socket is full.
    func send(_ bytes: [UInt8]) async throws {
        try await offThePool { try self.blockingSend(bytes) }
    }

    private func blockingSend(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written >= 0 {
                offset += written
            } else if errno == EAGAIN {
                _ = poll(events: Int16(POLLOUT), timeoutMilliseconds: 5_000)
            } else {
                throw SystemCallError("send", errno: errno)
            }
        }
    }

    /// Writes as much of `bytes` as the socket takes without waiting; returns the count.
    func sendWithoutWaiting(_ bytes: [UInt8]) -> Int {
        let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        return max(0, written)
    }

    func send(_ frame: StewardRpcV1.Frame, flags: UInt8 = 0) async throws {
        var bytes = FrameWriter.encode(frame)
        bytes[0] = flags
        try await send(bytes)
    }

    /// The next frame, or nil when the daemon closed the connection.
    func nextFrame(timeoutMilliseconds: Int32 = 10_000) async throws -> StewardRpcV1.Frame? {
        try await offThePool { try self.blockingNextFrame(timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// Reads until the daemon closes; returns the frames that came first.
    func framesUntilClosed(timeoutMilliseconds: Int32 = 10_000) async throws -> [StewardRpcV1.Frame] {
        try await offThePool {
            var frames: [StewardRpcV1.Frame] = []
            while let frame = try self.blockingNextFrame(timeoutMilliseconds: timeoutMilliseconds) {
                frames.append(frame)
            }
            return frames
        }
    }

    /// Whether the socket has room to send within the timeout.
    func waitUntilWritable(timeoutMilliseconds: Int32) async throws -> Bool {
        try await offThePool { self.poll(events: Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds) }
    }

    private func blockingNextFrame(timeoutMilliseconds: Int32) throws -> StewardRpcV1.Frame? {
        let deadline = DispatchTime.now() + .milliseconds(Int(timeoutMilliseconds))
        while received.isEmpty {
            if sawEndOfStream { return nil }
            let left = Int64(deadline.uptimeNanoseconds) - Int64(DispatchTime.now().uptimeNanoseconds)
            guard left > 0, poll(events: Int16(POLLIN), timeoutMilliseconds: Int32(left / 1_000_000) + 1) else {
                throw Timeout()
            }
            try readAvailable()
        }
        return received.removeFirst().frame
    }

    private func readAvailable() throws {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count == 0 || (count < 0 && errno == ECONNRESET) {
            sawEndOfStream = true
            return
        }
        guard count > 0 else {
            if errno == EAGAIN || errno == EINTR { return }
            throw SystemCallError("read", errno: errno)
        }
        buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        try decoder.decodeFrames { flags, payload in
            received.append((flags, try StewardRpcV1.Frame(serializedBytes: payload)))
        }
    }

    private func poll(events: Int16, timeoutMilliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        return Glibc.poll(&descriptor, 1, timeoutMilliseconds) > 0
    }
}

/// Frames as a client would build them.
enum Frames {
    static func request(
        _ callID: UInt64, _ method: String, payload: [UInt8] = [], timeoutMilliseconds: UInt32 = 0
    ) -> StewardRpcV1.Frame {
        var frame = StewardRpcV1.Frame()
        frame.callID = callID
        frame.kind = .request
        frame.method = method
        frame.payload = payload
        frame.timeoutMs = timeoutMilliseconds
        return frame
    }

    static func request<Request: ProtoMessage>(
        _ callID: UInt64, _ method: UnaryMethod<Request, some ProtoMessage>, _ message: Request,
        timeoutMilliseconds: UInt32 = 0
    ) -> StewardRpcV1.Frame {
        request(callID, method.path, payload: message.serializedBytes(), timeoutMilliseconds: timeoutMilliseconds)
    }

    static func cancel(_ callID: UInt64) -> StewardRpcV1.Frame {
        var frame = StewardRpcV1.Frame()
        frame.callID = callID
        frame.kind = .cancel
        return frame
    }
}

extension StewardRpcV1.Frame {
    var statusCode: StatusCode { StatusCode(rawValue: status?.code ?? 0) }
    var statusMessage: String { status?.message ?? "" }
}
