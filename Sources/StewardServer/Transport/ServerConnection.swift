import Dispatch
import Logging
import StewardModel
import StewardStore
import StewardWire

/// One client connection: reads frames, starts and ends calls, writes answers.
///
/// Call state lives on `queue` (the connection's serial I/O queue) and only
/// there, hence the unchecked `Sendable`; handlers run as tasks elsewhere and
/// report back through the ``ConnectionOutbox``.
final class ServerConnection: FrameChannelDelegate, @unchecked Sendable {
    let id: UInt64
    let peer: PeerCredentials
    private let queue: DispatchQueue
    private let runtime: ServerRuntime
    private let logger: Logger
    private let outbox: ConnectionOutbox
    private var channel: FrameChannel!
    private var idleTimer: DispatchSourceTimer?

    private struct ActiveCall {
        /// Tells this call apart from a later one that reuses its id, so a
        /// late answer of an abandoned call is dropped, not misdelivered.
        var token: UInt64
        var method: String
        var startedAt: UInt64
        var task: Task<Void, Never>?
        var deadlineTimer: DispatchWorkItem?
        /// Holds one of the peer uid's stream slots until it ends.
        var holdsStreamSlot = false
    }
    private var calls: [UInt64: ActiveCall] = [:]
    private var nextToken: UInt64 = 0
    private var isReadingPausedForBackpressure = false

    init(id: UInt64, fd: Int32, peer: PeerCredentials, runtime: ServerRuntime) {
        self.id = id
        self.peer = peer
        self.runtime = runtime
        let lane = runtime.ioLane(for: id)
        self.queue = DispatchQueue(label: "steward.connection.\(id)", target: lane.queue)
        self.outbox = ConnectionOutbox(limitBytes: runtime.configuration.limits.maxBufferedBytesPerConnection)
        var logger = runtime.logger
        logger[metadataKey: "connection"] = "\(id)"
        logger[metadataKey: "peer_uid"] = "\(peer.uid)"
        logger[metadataKey: "peer_pid"] = "\(peer.pid)"
        self.logger = logger
        self.channel = FrameChannel(
            fd: fd, queue: queue, reactor: lane.reactor, maxFrameBytes: runtime.configuration.limits.maxFrameBytes,
            delegate: self)
    }

    func start() {
        channel.start()
        queue.async { self.startIdleTimer() }
    }

    // MARK: Frames in

    func channel(_ channel: FrameChannel, didReceiveFrameWithFlags flags: UInt8, payload: UnsafeRawBufferPointer) {
        let limits = runtime.configuration.limits
        // Metadata is counted before the Frame is decoded: decoding is what
        // costs memory, a hundred times the bytes for empty entries.
        let envelope = FrameEnvelope.scan(payload)
        if envelope.metadataEntries > limits.maxMetadataEntries || envelope.metadataBytes > limits.maxMetadataBytes {
            let message = "the frame carries \(envelope.metadataEntries) metadata entries of \(envelope.metadataBytes) bytes; "
                + "the limit is \(limits.maxMetadataEntries) entries and \(limits.maxMetadataBytes) bytes"
            if let callID = envelope.callID, callID != 0, flags == 0, calls[callID] == nil {
                // The frame was read whole, so the stream is still in step: only this call fails.
                refuse(callID, .resourceExhausted, message)
            } else {
                failConnection(.resourceExhausted, message)
            }
            return
        }
        let frame: StewardRpcV1.Frame
        do {
            frame = try StewardRpcV1.Frame(serializedBytes: payload, budget: limits.maxDecodedBytesPerMessage)
        } catch {
            if error.isOverBudget {
                failConnection(.resourceExhausted, "undecodable frame: \(error)")
            } else if flags != 0 {
                failConnection(.unimplemented, "frame flags 0x\(String(flags, radix: 16)) are not supported (compression is not implemented)")
            } else {
                failConnection(.invalidArgument, "undecodable frame: \(error)")
            }
            return
        }
        guard frame.callID != 0 else {
            failConnection(.invalidArgument, "call_id 0 is reserved; every call needs a non-zero id")
            return
        }
        guard flags == 0 else {
            refuse(frame.callID, .unimplemented, "frame flags 0x\(String(flags, radix: 16)) are not supported (compression is not implemented)")
            return
        }
        switch frame.kind {
        case .request:
            startCall(frame)
        case .cancel:
            if calls[frame.callID] != nil {
                abandonCall(frame.callID, .cancelled, "cancelled by the client")
            } else {
                // The call may have ended as the CANCEL crossed its answer.
                logger.debug("CANCEL of a call not in flight", metadata: ["call_id": "\(frame.callID)"])
            }
        default:
            refuse(frame.callID, .invalidArgument, "clients send only REQUEST and CANCEL frames, not \(frame.kind)")
        }
    }

    func channel(_ channel: FrameChannel, didFailFraming error: FramingError) {
        switch error {
        case .frameTooLarge(_, _, let callIDHint):
            logger.notice("closing connection: \(error)")
            abandonAllCalls(.resourceExhausted, "connection closed: \(error)")
            send(FrameWriter.endFrame(callID: callIDHint ?? 0, code: .resourceExhausted, message: error.description))
            closeAfterFlush()
        }
    }

    func channelDidFinishReadBatch(_ channel: FrameChannel) {
        flush()
    }

    func channelDidDrainOutput(_ channel: FrameChannel) {
        updateBackpressure()
    }

    func channelDidClose(_ channel: FrameChannel, reason: FrameChannel.CloseReason) {
        idleTimer?.cancel()
        idleTimer = nil
        outbox.close()
        for (callID, call) in calls {
            call.task?.cancel()
            call.deadlineTimer?.cancel()
            if call.holdsStreamSlot { runtime.streamEnded(uid: peer.uid) }
            calls[callID] = nil
            runtime.statistics.record(method: call.method, code: .cancelled, startedAt: call.startedAt)
            runtime.callEnded()
        }
        runtime.connectionClosed(id: id)
        logger.debug("connection closed", metadata: ["reason": "\(reason)"])
    }

    // MARK: Calls

    private func startCall(_ frame: StewardRpcV1.Frame) {
        let callID = frame.callID
        guard calls[callID] == nil else {
            failConnection(.invalidArgument, "call id \(callID) is already in flight on this connection")
            return
        }
        guard !runtime.isDraining else {
            refuse(callID, .unavailable, "the server is shutting down")
            return
        }
        guard calls.count < runtime.configuration.limits.maxCallsInFlightPerConnection else {
            refuse(callID, .resourceExhausted,
                   "too many calls in flight on this connection (limit \(runtime.configuration.limits.maxCallsInFlightPerConnection))")
            return
        }
        guard let route = runtime.router.route(for: frame.method) else {
            refuse(callID, .unimplemented, "unknown method \"\(frame.method)\"")
            return
        }
        let holdsStreamSlot = route.method.isServerStreaming
        if holdsStreamSlot, let refusal = runtime.streamStarting(uid: peer.uid) {
            refuse(callID, refusal.code, refusal.message)
            return
        }
        nextToken += 1
        let token = nextToken
        let now = DispatchTime.now()
        let deadline = frame.timeoutMs > 0 ? Deadline.after(milliseconds: UInt64(frame.timeoutMs), from: now.uptimeNanoseconds) : nil
        var context = ServerCallContext(
            method: frame.method, peer: peer, deadline: deadline, metadata: frame.metadata, logger: logger)
        context.callID = callID
        context.runtime = runtime
        context.decodingBudget = runtime.configuration.limits.maxDecodedBytesPerMessage
        let sink = CallStreamSink(connection: self, callID: callID, token: token)

        var call = ActiveCall(
            token: token, method: frame.method, startedAt: now.uptimeNanoseconds, holdsStreamSlot: holdsStreamSlot)
        runtime.callStarted()
        let payload = frame.payload
        let rule = route.rule
        let admission = runtime.admission
        if let inline = route.invokeInline, admission.isPrompt(for: rule) {
            // Nothing here can wait (see `Router.registerInline`): answered
            // now, with the rest of the read batch.
            calls[callID] = call
            let outcome: CallOutcome
            switch admission.admit(context, under: rule, peer: peer) {
            case .run(let context): outcome = inline(payload, context)
            case .deny(let context, let denial): outcome = route.deny(payload, context, denial)
            case .answer(let refusal): outcome = refusal
            }
            finishCall(callID, outcome)
            return
        }
        let peer = peer
        // Started on the blocking pool, not the cooperative one: admission
        // and the handler make synchronous store calls.
        call.task = Task(executorPreference: BlockingExecutor.shared) {
            // Abandoned (cancelled, past its deadline, its connection gone)
            // while it waited for a thread: its answer would be dropped, so
            // it does no work, and a backlog left by closed connections
            // drains at once instead of holding up the calls behind it.
            guard !Task.isCancelled else { return }
            // Work that cannot be handed the deadline (the shared registry's
            // statements) finds it here.
            let outcome: CallOutcome = await Deadline.$ofCurrentCall.withValue(deadline) {
                switch admission.admit(context, under: rule, peer: peer) {
                case .run(let context): return await route.invoke(payload, context, sink)
                case .deny(let context, let denial): return route.deny(payload, context, denial)
                case .answer(let refusal): return refusal
                }
            }
            self.post(.end(callID: callID, token: token, outcome: outcome), bytes: outcome.payload.count)
        }
        if let deadline {
            let timer = DispatchWorkItem { [weak self] in
                guard let self, self.calls[callID]?.token == token else { return }
                self.abandonCall(callID, .deadlineExceeded, "deadline of \(frame.timeoutMs) ms exceeded")
                self.flush()
            }
            queue.asyncAfter(deadline: DispatchTime(uptimeNanoseconds: deadline.uptimeNanoseconds), execute: timer)
            call.deadlineTimer = timer
        }
        calls[callID] = call
    }

    /// Answers a call that never started (or ends one in flight) with an error.
    private func refuse(_ callID: UInt64, _ code: StatusCode, _ message: String) {
        if calls[callID] != nil {
            abandonCall(callID, code, message)
        } else {
            runtime.statistics.recordRefusal(code: code)
            send(FrameWriter.endFrame(callID: callID, code: code, message: message))
        }
    }

    /// Ends a call in flight now, whatever its handler is doing, and cancels
    /// the handler; its eventual answer will be dropped.
    private func abandonCall(_ callID: UInt64, _ code: StatusCode, _ message: String) {
        guard let call = calls[callID] else { return }
        call.task?.cancel()
        finishCall(callID, CallOutcome.failure(RPCError(code, message)))
    }

    private func finishCall(_ callID: UInt64, _ outcome: CallOutcome) {
        guard let call = calls.removeValue(forKey: callID) else { return }
        call.deadlineTimer?.cancel()
        if call.holdsStreamSlot { runtime.streamEnded(uid: peer.uid) }
        let outcome = outcome.fitting(maxFrameBytes: runtime.configuration.limits.maxFrameBytes, callID: callID)
        send(FrameWriter.endFrame(callID: callID, code: outcome.code, message: outcome.message, payload: outcome.payload))
        runtime.statistics.record(method: call.method, code: outcome.code, startedAt: call.startedAt)
        runtime.callEnded()
    }

    private func abandonAllCalls(_ code: StatusCode, _ message: String) {
        for callID in Array(calls.keys) {
            abandonCall(callID, code, message)
        }
    }

    /// Reports an error that belongs to no call (call id 0), then closes:
    /// the client's calls on this connection fail instead of hanging.
    private func failConnection(_ code: StatusCode, _ message: String) {
        logger.notice("closing connection after a protocol error", metadata: ["status": "\(code)", "reason": "\(message)"])
        abandonAllCalls(.cancelled, "the connection failed: \(message)")
        send(FrameWriter.endFrame(callID: 0, code: code, message: message))
        closeAfterFlush()
    }

    // MARK: Answers out

    /// Hands a handler's answer to the I/O queue: the first answer of a
    /// batch schedules one drain, which the answers posted meanwhile join.
    /// (Draining with `queue.sync` from the handler's thread saved a wake-up
    /// at one call in flight, but under load every handler thread queued on
    /// the connection's queue in turn and throughput fell by half.)
    fileprivate func post(_ item: ConnectionOutbox.Item, bytes: Int) {
        if outbox.post(item, bytes: bytes) {
            queue.async { self.drainOutbox() }
        }
    }

    fileprivate func waitForCapacity() async throws {
        try await outbox.waitForCapacity()
    }

    fileprivate var hasCapacity: Bool { outbox.hasCapacity }

    fileprivate var maxFrameBytes: Int { runtime.configuration.limits.maxFrameBytes }

    private func drainOutbox() {
        for item in outbox.takeAll() {
            switch item {
            case .message(let callID, let token, let payload):
                guard calls[callID]?.token == token else { continue }
                var frame = StewardRpcV1.Frame()
                frame.callID = callID
                frame.kind = .message
                frame.payload = payload
                send(frame)
            case .end(let callID, let token, let outcome):
                guard calls[callID]?.token == token else { continue }
                finishCall(callID, outcome)
            }
        }
        flush()
    }

    private func send(_ frame: StewardRpcV1.Frame) {
        channel.appendOutput { FrameWriter.append(frame, to: &$0) }
    }

    private func flush() {
        channel.flush()
        updateBackpressure()
    }

    /// Stops reading requests while the peer leaves its answers unread, so
    /// what the server holds for it stays bounded; resumes when it reads.
    private func updateBackpressure() {
        guard channel.isOpen else { return }
        let unsent = channel.pendingOutputBytes
        outbox.updateUnsentBytes(unsent)
        let overLimit = unsent > runtime.configuration.limits.maxBufferedBytesPerConnection
        if overLimit != isReadingPausedForBackpressure {
            isReadingPausedForBackpressure = overLimit
            channel.setReadingPaused(overLimit)
        }
    }

    private func closeAfterFlush() {
        channel.closeAfterFlush()
    }

    // MARK: Lifecycle

    /// During shutdown, after the grace period: ends every call UNAVAILABLE
    /// and closes once the answers are written.
    func shutDown() {
        queue.async {
            self.abandonAllCalls(.unavailable, "the server is shutting down")
            self.closeAfterFlush()
        }
    }

    /// Closes at once, dropping what the peer has not read.
    func forceClose() {
        queue.async { self.channel.close() }
    }

    /// Closes a connection that has moved no byte for the idle timeout while
    /// it has no call in flight, or while its answers sit unread.
    private func startIdleTimer() {
        // A connection that closed before this ran has no timer to cancel
        // later: make none, or it would fire for ever.
        guard channel.isOpen else { return }
        let idleNanoseconds = UInt64(runtime.configuration.limits.idleTimeoutMilliseconds) * 1_000_000
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = DispatchTimeInterval.nanoseconds(Int(max(idleNanoseconds / 4, 1_000_000)))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in
            guard let self, self.channel.isOpen else { return }
            let quietFor = DispatchTime.now().uptimeNanoseconds - self.channel.lastProgressNanoseconds
            let stuck = self.calls.isEmpty || self.channel.pendingOutputBytes > 0
            guard quietFor >= idleNanoseconds, stuck else { return }
            self.logger.info("closing idle connection")
            if self.channel.pendingOutputBytes > 0 {
                // The peer is not reading: nothing more can reach it.
                self.abandonAllCalls(.unavailable, "the connection was idle too long")
                self.channel.close()
            } else {
                self.failConnection(
                    .unavailable,
                    "closing the connection after \(self.runtime.configuration.limits.idleTimeoutMilliseconds) ms without activity")
            }
        }
        timer.resume()
        idleTimer = timer
    }
}

/// The stream side of one call: MESSAGE frames go through the connection's
/// outbox, waiting while the peer is not reading.
private struct CallStreamSink: StreamSink {
    let connection: ServerConnection
    let callID: UInt64
    let token: UInt64

    func sendMessage(_ payload: [UInt8]) async throws {
        try Task.checkCancellation()
        let maxFrameBytes = connection.maxFrameBytes
        guard FrameWriter.messageFrameLength(callID: callID, payloadCount: payload.count) <= maxFrameBytes else {
            // Ends the stream with this status instead of a frame the client must refuse.
            throw RPCError(.resourceExhausted, CallOutcome.tooLarge(payload.count, maxFrameBytes))
        }
        if !connection.hasCapacity {
            try await connection.waitForCapacity()
        }
        connection.post(.message(callID: callID, token: token, payload: payload), bytes: payload.count)
    }
}
