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

/// A non-blocking stream socket carrying frames, driven by dispatch sources
/// on one serial queue. The channel owns the descriptor and closes it exactly
/// once, after both of its dispatch sources have been cancelled.
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
    private let fd: Int32
    private var decoder: FrameDecoder
    private var delegate: (any FrameChannelDelegate)?

    private var output: [UInt8] = []
    private var outputIndex = 0
    private var closeWhenDrained = false

    private let readSource: DispatchSourceRead
    private let writeSource: DispatchSourceWrite
    private var isReadSourceSuspended = true
    private var isWriteSourceSuspended = true
    private var pausedByOwner = false
    private var isClosed = false
    private var sourcesStillRunning = 2
    private let readBuffer: UnsafeMutableRawBufferPointer

    /// Monotonic time (nanoseconds) of the last byte read or written.
    public private(set) var lastProgressNanoseconds = DispatchTime.now().uptimeNanoseconds

    private static let readChunkBytes = 64 * 1024

    /// Takes ownership of `fd`, which must be a non-blocking stream socket.
    public init(fd: Int32, queue: DispatchQueue, maxFrameBytes: Int, delegate: any FrameChannelDelegate) {
        self.fd = fd
        self.queue = queue
        self.decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
        self.delegate = delegate
        self.readBuffer = .allocate(byteCount: Self.readChunkBytes, alignment: 16)
        self.readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        self.writeSource = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
    }

    deinit {
        assert(isClosed, "FrameChannel released while its descriptor is open")
        readBuffer.deallocate()
    }

    /// Starts reading. Call once, from any thread, before anything else.
    public func start() {
        readSource.setEventHandler { [unowned self] in self.handleReadable() }
        writeSource.setEventHandler { [unowned self] in self.flush() }
        // The descriptor may be closed only when neither source can touch it.
        let release: @Sendable () -> Void = { [self] in
            self.sourcesStillRunning -= 1
            if self.sourcesStillRunning == 0 { Glibc.close(self.fd) }
        }
        readSource.setCancelHandler(handler: release)
        writeSource.setCancelHandler(handler: release)
        queue.async { self.updateReadSource() }
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
        pausedByOwner = paused
        updateReadSource()
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
                setWriteSourceSuspended(false)
                return
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 1 << 20)
        outputIndex = 0
        setWriteSourceSuspended(true)
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
        updateReadSource()
        flush()
    }

    /// Closes now, dropping pending output.
    public func close(reason: CloseReason = .closedLocally) {
        guard !isClosed else { return }
        isClosed = true
        // A suspended source never runs its cancel handler, so resume first.
        readSource.cancel()
        if isReadSourceSuspended { readSource.resume(); isReadSourceSuspended = false }
        writeSource.cancel()
        if isWriteSourceSuspended { writeSource.resume(); isWriteSourceSuspended = false }
        output = []
        outputIndex = 0
        let delegate = self.delegate
        self.delegate = nil
        delegate?.channelDidClose(self, reason: reason)
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
            updateReadSource()
            delegate?.channel(self, didFailFraming: error)
            return
        } catch {
            preconditionFailure("FrameDecoder throws only FramingError: \(error)")
        }
        if !isClosed { delegate?.channelDidFinishReadBatch(self) }
    }

    private func updateReadSource() {
        guard !isClosed else { return }
        let shouldSuspend = pausedByOwner || closeWhenDrained
        if shouldSuspend && !isReadSourceSuspended {
            readSource.suspend()
            isReadSourceSuspended = true
        } else if !shouldSuspend && isReadSourceSuspended {
            readSource.resume()
            isReadSourceSuspended = false
        }
    }

    private func setWriteSourceSuspended(_ suspended: Bool) {
        if suspended && !isWriteSourceSuspended {
            writeSource.suspend()
            isWriteSourceSuspended = true
        } else if !suspended && isWriteSourceSuspended {
            writeSource.resume()
            isWriteSourceSuspended = false
        }
    }

    /// Drops written bytes once they are the larger part of the buffer.
    private func compactOutput() {
        if outputIndex > 0 && outputIndex >= output.count / 2 {
            output.removeSubrange(0..<outputIndex)
            outputIndex = 0
        }
    }
}
