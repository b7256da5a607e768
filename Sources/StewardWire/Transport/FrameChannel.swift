import Dispatch
import Glibc

/// What a ``FrameChannel`` reports to its owner. Every method is called on
/// the channel's queue.
public protocol FrameChannelDelegate: AnyObject {
    /// One complete frame; `payload` is valid only during the call.
    func channel(_ channel: FrameChannel, didReceiveFrameWithFlags flags: UInt8, payload: UnsafeRawBufferPointer)
    /// The stream broke the framing rules; the channel reads no further.
    func channel(_ channel: FrameChannel, didFailFraming error: FramingError)
    /// All frames of one read have been delivered: a good moment to flush.
    func channelDidFinishReadBatch(_ channel: FrameChannel)
    /// Pending output dropped to zero.
    func channelDidDrainOutput(_ channel: FrameChannel)
    /// The channel closed; its descriptor is being released.
    func channelDidClose(_ channel: FrameChannel, reason: FrameChannel.CloseReason)
}

/// A non-blocking stream socket carrying frames, its readiness reported by
/// a ``SocketReactor`` on one serial queue. The channel owns the
/// descriptor and its one ``SocketWatch``: the watch is removed and the
/// descriptor closed exactly once, by ``close(reason:)``, on the queue.
/// (No dispatch sources: see ``SocketReactor`` for the libdispatch crash
/// they led to.)
///
/// Everything except `init` and `start` must be called on `queue`; that
/// confinement is what makes the unchecked `Sendable` sound.
public final class FrameChannel: @unchecked Sendable {
    public enum CloseReason: Sendable, Equatable {
        case peerClosed
        case closedLocally
        case failed(SystemCallError)
    }

    public let queue: DispatchQueue
    private let reactor: SocketReactor
    private let fd: Int32
    private var decoder: FrameDecoder
    private var delegate: (any FrameChannelDelegate)?

    private var output: [UInt8] = []
    private var outputIndex = 0
    private var closeWhenDrained = false

    /// The socket's registration; nil before `start` (and after a failed one).
    private var watch: SocketWatch?
    /// Whether the socket waits for room to write (output is pending).
    private var wantsWritable = false
    private var pausedByOwner = false
    private var isClosed = false
    private let readBuffer: UnsafeMutableRawBufferPointer

    /// Monotonic time (nanoseconds) of the last byte read or written.
    public private(set) var lastProgressNanoseconds = DispatchTime.now().uptimeNanoseconds

    private static let readChunkBytes = 64 * 1024

    /// Takes ownership of `fd`, which must be a non-blocking stream socket;
    /// `reactor` reports its readiness.
    public init(
        fd: Int32, queue: DispatchQueue, reactor: SocketReactor = .shared, maxFrameBytes: Int,
        delegate: any FrameChannelDelegate
    ) {
        self.fd = fd
        self.queue = queue
        self.reactor = reactor
        self.decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
        self.delegate = delegate
        self.readBuffer = .allocate(byteCount: Self.readChunkBytes, alignment: 16)
    }

    deinit {
        assert(isClosed, "FrameChannel released while its descriptor is open")
        readBuffer.deallocate()
    }

    /// Starts reading. Call once, from any thread, before anything else.
    public func start() {
        queue.async {
            guard !self.isClosed else { return }
            do throws(SystemCallError) {
                self.watch = try SocketWatch(
                    fd: self.fd, queue: self.queue, interest: self.interest, reactor: self.reactor
                ) { [weak self] events in
                    self?.handle(events)
                }
            } catch {
                self.close(reason: .failed(error))
            }
        }
    }

    public var isOpen: Bool { !isClosed }

    /// Bytes queued for the peer and not yet accepted by the kernel.
    public var pendingOutputBytes: Int { output.count - outputIndex }

    /// Gives `body` the output buffer to append encoded frames to; call
    /// ``flush()`` after a batch of appends.
    public func appendOutput(_ body: (inout [UInt8]) -> Void) {
        guard !isClosed else { return }
        body(&output)
    }

    /// Stops or restarts reading, for example while the peer is not reading
    /// its answers and output is piling up.
    public func setReadingPaused(_ paused: Bool) {
        guard paused != pausedByOwner else { return }
        pausedByOwner = paused
        rearm()
    }

    /// Writes as much pending output as the socket takes now; the rest goes
    /// when it becomes writable.
    public func flush() {
        guard !isClosed else { return }
        while outputIndex < output.count {
            let result: SyscallResult<Int>
            let outcome = output.withUnsafeBytes { all in
                Result { () throws(SystemCallError) in
                    try systemCall("send") {
                        send(fd, all.baseAddress! + outputIndex, all.count - outputIndex, Int32(MSG_NOSIGNAL))
                    }
                }
            }
            do {
                result = try outcome.get()
            } catch {
                close(reason: .failed(error))
                return
            }
            switch result {
            case .done(let written):
                outputIndex += written
                lastProgressNanoseconds = DispatchTime.now().uptimeNanoseconds
            case .wouldBlock:
                compactOutput()
                setWantsWritable(true)
                return
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 1 << 20)
        outputIndex = 0
        setWantsWritable(false)
        if closeWhenDrained {
            close(reason: .closedLocally)
        } else {
            delegate?.channelDidDrainOutput(self)
        }
    }

    /// Stops reading, sends what is pending, then closes.
    public func closeAfterFlush() {
        guard !isClosed else { return }
        closeWhenDrained = true
        rearm()
        flush()
    }

    /// Closes now, dropping pending output.
    public func close(reason: CloseReason = .closedLocally) {
        guard !isClosed else { return }
        isClosed = true
        // Removed before the descriptor is closed, so the number can be
        // reused by a new socket without this registration seeing it.
        watch?.remove()
        watch = nil
        Glibc.close(fd)
        output = []
        outputIndex = 0
        let delegate = self.delegate
        self.delegate = nil
        delegate?.channelDidClose(self, reason: reason)
    }

    /// One event from the reactor; the watch is disarmed until `rearm()`.
    private func handle(_ events: SocketWatch.Events) {
        guard !isClosed else { return }
        if events.writable { flush() }
        guard !isClosed else { return }
        if events.readable || (events.hungUpOrFailed && isReading) {
            // A hang-up or an error while reading: the read sees it (0 or errno).
            handleReadable()
        } else if events.hungUpOrFailed {
            // Not reading (paused, or closing after a flush) and the peer has
            // gone both ways: nothing more can be read or delivered.
            close(reason: .peerClosed)
        }
        rearm()
    }

    private var isReading: Bool { !pausedByOwner && !closeWhenDrained }

    private var interest: SocketWatch.Interest {
        var interest: SocketWatch.Interest = []
        if isReading { interest.insert(.read) }
        if wantsWritable { interest.insert(.write) }
        return interest
    }

    /// Arms the watch for what the channel now waits for.
    private func rearm() {
        guard !isClosed, let watch else { return }
        do { try watch.arm(interest) } catch { close(reason: .failed(error)) }
    }

    private func handleReadable() {
        guard !isClosed else { return }
        let result: SyscallResult<Int>
        do {
            result = try systemCall("read") { read(fd, readBuffer.baseAddress, readBuffer.count) }
        } catch {
            close(reason: .failed(error))
            return
        }
        switch result {
        case .wouldBlock:
            return
        case .done(0):
            close(reason: .peerClosed)
            return
        case .done(let count):
            lastProgressNanoseconds = DispatchTime.now().uptimeNanoseconds
            decoder.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
        }
        do {
            try decoder.decodeFrames { flags, payload in
                guard !isClosed, !closeWhenDrained else { return }
                delegate?.channel(self, didReceiveFrameWithFlags: flags, payload: payload)
            }
        } catch let error as FramingError {
            closeWhenDrained = true
            rearm()
            delegate?.channel(self, didFailFraming: error)
            return
        } catch {
            preconditionFailure("FrameDecoder throws only FramingError: \(error)")
        }
        if !isClosed { delegate?.channelDidFinishReadBatch(self) }
    }

    private func setWantsWritable(_ wants: Bool) {
        guard wants != wantsWritable else { return }
        wantsWritable = wants
        rearm()
    }

    /// Drops written bytes once they are the larger part of the buffer.
    private func compactOutput() {
        if outputIndex > 0 && outputIndex >= output.count / 2 {
            output.removeSubrange(0..<outputIndex)
            outputIndex = 0
        }
    }
}
