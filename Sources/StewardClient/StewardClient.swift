import Dispatch
import Foundation
import Glibc
import StewardWire

/// A client of a Steward daemon over its Unix socket.
///
/// One client is one connection; it is safe to share across tasks, and calls
/// made concurrently are multiplexed on that connection.
///
///     let client = try StewardClient.connect()
///     let me = try await client.call(StewardV1.Server.whoAmI, StewardV1.WhoAmIRequest())
public final class StewardClient: Sendable {
    /// Where this client is connected, and why that socket.
    public let location: SocketLocation
    /// Where this client is connected.
    public var socketPath: String { location.path }
    private let connection: ClientConnection

    private init(location: SocketLocation, connection: ClientConnection) {
        self.location = location
        self.connection = connection
    }

    deinit {
        connection.close()
    }

    /// Connects to the daemon ``SocketLocation/find(explicit:environment:isSocket:)``
    /// finds: `socketPath`, else `STEWARD_SOCKET`, else the user's own
    /// daemon if its socket exists, else the system daemon.
    ///
    /// - Parameter expectedDaemonUID: the uid the daemon must run as, else
    ///   `STEWARD_EXPECT_DAEMON_UID`; for the system socket root or the
    ///   `steward` user are always required. Checked with `SO_PEERCRED`
    ///   before anything is sent.
    /// - Throws: ``RPCError`` UNAVAILABLE saying which socket was tried, why
    ///   nothing answered there and what to do; PERMISSION_DENIED when the
    ///   socket is there but the kernel refuses this user (not a member of
    ///   its group); UNAUTHENTICATED when the daemon runs as another uid than
    ///   expected (connecting sends nothing, so those are the only
    ///   PERMISSION_DENIED and UNAUTHENTICATED it throws); INVALID_ARGUMENT
    ///   for a malformed `STEWARD_EXPECT_DAEMON_UID`.
    public static func connect(
        socketPath: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        maxFrameBytes: Int = FramePrefix.defaultMaxFrameBytes,
        expectedDaemonUID: uid_t? = nil
    ) throws(RPCError) -> StewardClient {
        let location = SocketLocation.find(explicit: socketPath, environment: environment)
        let path = location.path
        let expected = try DaemonIdentity.expectedUIDs(
            explicit: expectedDaemonUID, environment: environment, location: location)
        let fd: Int32
        do {
            fd = try UnixSocket.connect(to: path)
        } catch let error as SystemCallError where error.errno == EACCES || error.errno == EPERM {
            throw RPCError(
                .permissionDenied,
                "cannot reach stewardd at \(location): permission denied; "
                    + location.nextStepWhenRefused(group: SocketGroup.name(of: path)))
        } catch let error as SystemCallError {
            throw RPCError(.unavailable, "cannot reach stewardd at \(location): \(error.reason); \(location.nextStepWhenUnreachable)")
        } catch {
            throw RPCError(.unavailable, "cannot reach stewardd at \(location): \(error); \(location.nextStepWhenUnreachable)")
        }
        if let expected {
            do {
                try DaemonIdentity.check(fd: fd, expected: expected, socketPath: path)
            } catch {
                Glibc.close(fd)
                throw error
            }
        }
        return StewardClient(location: location, connection: ClientConnection(fd: fd, maxFrameBytes: maxFrameBytes))
    }

    /// Makes a unary call.
    ///
    /// - Parameters:
    ///   - timeout: the call's deadline, sent to the daemon and enforced here too.
    /// - Throws: ``RPCError`` with the daemon's status, DEADLINE_EXCEEDED, or
    ///   CANCELLED when the calling task is cancelled (the daemon is told).
    public func call<Request, Response>(
        _ method: UnaryMethod<Request, Response>,
        _ request: Request,
        timeout: Duration? = nil,
        metadata: [StewardRpcV1.MetadataEntry] = []
    ) async throws(RPCError) -> Response {
        let callID = connection.nextCallID()
        let (frame, deadline) = requestFrame(callID, method.path, request, timeout, metadata)
        let payload: [UInt8]
        do {
            payload = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    connection.start(callID: callID, frame: frame, receiver: .unary(continuation), deadline: deadline)
                }
            } onCancel: {
                connection.cancel(callID: callID)
            }
        } catch {
            throw error as? RPCError ?? RPCError(.unknown, "\(error)")
        }
        do {
            return try Response(serializedBytes: payload)
        } catch {
            throw RPCError(.internalError, "the daemon's answer is not a valid \(Response.protoFullName): \(error)")
        }
    }

    /// Makes a server-streaming call. Iterating the result yields the daemon's
    /// messages and ends when the call ends; it throws ``RPCError`` when the
    /// call fails. Abandoning the iteration cancels the call on the daemon.
    public func stream<Request, Response>(
        _ method: ServerStreamingMethod<Request, Response>,
        _ request: Request,
        timeout: Duration? = nil,
        metadata: [StewardRpcV1.MetadataEntry] = []
    ) -> AsyncThrowingStream<Response, any Error> {
        let connection = self.connection
        let callID = connection.nextCallID()
        let (frame, deadline) = requestFrame(callID, method.path, request, timeout, metadata)
        return AsyncThrowingStream { continuation in
            connection.start(callID: callID, frame: frame, receiver: .stream({ event in
                switch event {
                case .message(let payload):
                    do {
                        continuation.yield(try Response(serializedBytes: payload))
                    } catch {
                        continuation.finish(throwing: RPCError(
                            .internalError, "the daemon's message is not a valid \(Response.protoFullName): \(error)"))
                        connection.cancel(callID: callID)
                    }
                case .end(let error):
                    continuation.finish(throwing: error)
                }
            }), deadline: deadline)
            continuation.onTermination = { termination in
                if case .cancelled = termination { connection.cancel(callID: callID) }
            }
        }
    }

    /// Closes the connection; calls in flight fail UNAVAILABLE.
    public func close() {
        connection.close()
    }

    private func requestFrame<Request: ProtoMessage>(
        _ callID: UInt64, _ path: String, _ request: Request, _ timeout: Duration?,
        _ metadata: [StewardRpcV1.MetadataEntry]
    ) -> (frame: [UInt8], deadline: DispatchTime?) {
        var frame = StewardRpcV1.Frame()
        frame.callID = callID
        frame.kind = .request
        frame.method = path
        frame.metadata = metadata
        frame.payload = request.serializedBytes()
        var deadline: DispatchTime?
        if let timeout {
            let milliseconds = max(1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            frame.timeoutMs = UInt32(clamping: milliseconds)
            deadline = .now() + .milliseconds(Int(clamping: milliseconds))
        }
        return (FrameWriter.encode(frame), deadline)
    }
}
