import Dispatch
import StewardWire
import Synchronization

/// One connection to a daemon, multiplexing many calls. Calls are submitted
/// from any task through a lock-protected queue of commands; the connection's
/// serial queue owns the socket and the table of calls in flight.
final class ClientConnection: FrameChannelDelegate, @unchecked Sendable {
    /// How a call hears about its answer.
    enum Receiver {
        case unary(CheckedContinuation<[UInt8], any Error>)
        case stream(@Sendable (StreamEvent) -> Void)
    }

    enum StreamEvent {
        case message([UInt8])
        case end(RPCError?)
    }

    private enum Command {
        case start(callID: UInt64, frame: [UInt8], receiver: Receiver, deadline: DispatchTime?)
        case cancel(callID: UInt64)
    }

    private struct Submissions {
        var commands: [Command] = []
        var isDrainScheduled = false
        var nextCallID: UInt64 = 0
    }

    private let queue: DispatchQueue
    private var channel: FrameChannel!
    private let submissions = Mutex(Submissions())

    // Confined to `queue`.
    private var calls: [UInt64: (receiver: Receiver, deadlineTimer: DispatchWorkItem?)] = [:]
    /// CANCELs that overtook their call's start (a task cancelled at once);
    /// ids only grow, so ids above `highestStartedCallID` are such cases.
    private var cancelledBeforeStart: Set<UInt64> = []
    private var highestStartedCallID: UInt64 = 0
    private var closedError: RPCError?

    init(fd: Int32, maxFrameBytes: Int) {
        queue = DispatchQueue(label: "steward.client")
        channel = FrameChannel(fd: fd, queue: queue, maxFrameBytes: maxFrameBytes, delegate: self)
        channel.start()
    }

    func nextCallID() -> UInt64 {
        submissions.withLock { state in
            state.nextCallID += 1
            return state.nextCallID
        }
    }

    /// Sends a REQUEST frame (already encoded) and routes its answers to `receiver`.
    func start(callID: UInt64, frame: [UInt8], receiver: Receiver, deadline: DispatchTime?) {
        submit(.start(callID: callID, frame: frame, receiver: receiver, deadline: deadline))
    }

    /// Ends a call locally as CANCELLED and tells the server to stop it.
    func cancel(callID: UInt64) {
        submit(.cancel(callID: callID))
    }

    func close() {
        queue.async { self.channel.close() }
    }

    private func submit(_ command: Command) {
        let mustSchedule = submissions.withLock { state -> Bool in
            state.commands.append(command)
            defer { state.isDrainScheduled = true }
            return !state.isDrainScheduled
        }
        if mustSchedule { queue.async { self.drainSubmissions() } }
    }

    private func drainSubmissions() {
        let commands = submissions.withLock { state -> [Command] in
            defer { state.commands = []; state.isDrainScheduled = false }
            return state.commands
        }
        for command in commands {
            switch command {
            case .start(let callID, let frame, let receiver, let deadline):
                begin(callID: callID, frame: frame, receiver: receiver, deadline: deadline)
            case .cancel(let callID):
                if calls[callID] != nil {
                    end(callID, with: RPCError(.cancelled, "the call was cancelled"))
                    var cancel = StewardRpcV1.Frame()
                    cancel.callID = callID
                    cancel.kind = .cancel
                    channel.appendOutput { FrameWriter.append(cancel, to: &$0) }
                } else if callID > highestStartedCallID {
                    cancelledBeforeStart.insert(callID)
                }
            }
        }
        channel.flush()
    }

    private func begin(callID: UInt64, frame: [UInt8], receiver: Receiver, deadline: DispatchTime?) {
        highestStartedCallID = max(highestStartedCallID, callID)
        if let closedError {
            deliver(.failure(closedError), to: receiver)
            return
        }
        if cancelledBeforeStart.remove(callID) != nil {
            deliver(.failure(RPCError(.cancelled, "the call was cancelled")), to: receiver)
            return
        }
        var timer: DispatchWorkItem?
        if let deadline {
            // The server enforces the deadline too; this covers a server that
            // cannot answer in time (hung, or the answer lost on the way).
            let item = DispatchWorkItem { [weak self] in
                guard let self, self.calls[callID] != nil else { return }
                self.end(callID, with: RPCError(.deadlineExceeded, "the deadline passed before the daemon answered"))
                var cancel = StewardRpcV1.Frame()
                cancel.callID = callID
                cancel.kind = .cancel
                self.channel.appendOutput { FrameWriter.append(cancel, to: &$0) }
                self.channel.flush()
            }
            queue.asyncAfter(deadline: deadline, execute: item)
            timer = item
        }
        calls[callID] = (receiver, timer)
        channel.appendOutput { $0.append(contentsOf: frame) }
    }

    private func end(_ callID: UInt64, with error: RPCError?, payload: [UInt8] = []) {
        guard let call = calls.removeValue(forKey: callID) else { return }
        call.deadlineTimer?.cancel()
        switch call.receiver {
        case .unary(let continuation):
            if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: payload) }
        case .stream(let handler):
            handler(.end(error))
        }
    }

    private func deliver(_ result: Result<[UInt8], RPCError>, to receiver: Receiver) {
        switch (receiver, result) {
        case (.unary(let continuation), _): continuation.resume(with: result.mapError { $0 as any Error })
        case (.stream(let handler), .failure(let error)): handler(.end(error))
        case (.stream(let handler), .success): handler(.end(nil))
        }
    }

    // MARK: FrameChannelDelegate

    func channel(_ channel: FrameChannel, didReceiveFrameWithFlags flags: UInt8, payload: UnsafeRawBufferPointer) {
        guard flags == 0, let frame = try? StewardRpcV1.Frame(serializedBytes: payload) else {
            fail(RPCError(.internalError, "the daemon sent a frame this client cannot read"))
            return
        }
        switch frame.kind {
        case .end where frame.callID == 0:
            let status = frame.status ?? StewardRpcV1.Status()
            fail(RPCError(StatusCode(rawValue: status.code), status.message))
        case .end:
            let status = frame.status ?? StewardRpcV1.Status()
            let code = StatusCode(rawValue: status.code)
            end(frame.callID, with: code == .ok ? nil : RPCError(code, status.message), payload: frame.payload)
        case .message:
            if case .stream(let handler)? = calls[frame.callID]?.receiver {
                handler(.message(frame.payload))
            }
        default:
            break
        }
    }

    func channel(_ channel: FrameChannel, didFailFraming error: FramingError) {
        fail(RPCError(.resourceExhausted, "the daemon sent a frame over this client's limit: \(error)"))
    }

    func channelDidFinishReadBatch(_ channel: FrameChannel) {
        channel.flush()
    }

    func channelDidDrainOutput(_ channel: FrameChannel) {}

    func channelDidClose(_ channel: FrameChannel, reason: FrameChannel.CloseReason) {
        let error = closedError ?? RPCError(.unavailable, "the connection to the daemon closed")
        closedError = error
        for callID in Array(calls.keys) {
            end(callID, with: error)
        }
    }

    /// Fails every call with `error` and closes.
    private func fail(_ error: RPCError) {
        closedError = error
        channel.close()
    }
}
