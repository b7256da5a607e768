import CEventPoll
import Dispatch
import Glibc
import StewardWire
import Synchronization

/// One kind of call the load client makes: a REQUEST frame made ready in
/// advance (its call id appended per call), or made per call when each
/// must differ (a write that creates something new).
struct LoadCall: Sendable {
    enum Body: Sendable {
        case template([UInt8])
        case perCall(@Sendable (_ sequence: UInt64) -> [UInt8])
    }

    let name: String
    let isWrite: Bool
    let body: Body

    /// The frame's protobuf without its call id: protobuf fields may come
    /// in any order, so the call id is appended as the last field.
    static func fixed<Request: ProtoMessage>(_ name: String, _ method: String, _ request: Request) -> LoadCall {
        LoadCall(name: name, isWrite: false, body: .template(frameBody(method: method, payload: request.serializedBytes())))
    }

    static func varying(_ name: String, isWrite: Bool, _ make: @escaping @Sendable (UInt64) -> (method: String, payload: [UInt8])) -> LoadCall {
        LoadCall(name: name, isWrite: isWrite, body: .perCall { sequence in
            let (method, payload) = make(sequence)
            return frameBody(method: method, payload: payload)
        })
    }

    private static func frameBody(method: String, payload: [UInt8]) -> [UInt8] {
        var frame = StewardRpcV1.Frame()
        frame.kind = .request
        frame.method = method
        frame.payload = payload
        return Array(FrameWriter.encode(frame).dropFirst(5))
    }

    /// Appends the whole frame, prefix and call id included, to `output`.
    func append(callID: UInt64, sequence: UInt64, to output: inout [UInt8]) {
        let body: [UInt8]
        switch self.body {
        case .template(let bytes): body = bytes
        case .perCall(let make): body = make(sequence)
        }
        var idField: [UInt8] = [0x08]  // field 1 (call_id), varint
        var value = callID
        while value >= 0x80 {
            idField.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        idField.append(UInt8(value))
        let length = UInt32(body.count + idField.count)
        output.append(0)
        output.append(UInt8(truncatingIfNeeded: length >> 24))
        output.append(UInt8(truncatingIfNeeded: length >> 16))
        output.append(UInt8(truncatingIfNeeded: length >> 8))
        output.append(UInt8(truncatingIfNeeded: length))
        output.append(contentsOf: body)
        output.append(contentsOf: idField)
    }
}

/// The call id and status code of an answer, read straight from the END
/// frame's protobuf without decoding the rest.
enum AnswerScan {
    static func scan(_ bytes: UnsafeRawBufferPointer) -> (callID: UInt64, code: Int32, isEnd: Bool) {
        var callID: UInt64 = 0
        var code: Int32 = 0
        var isEnd = false
        var index = 0
        while index < bytes.count {
            guard let key = varint(bytes, &index) else { break }
            let field = key >> 3
            switch key & 7 {
            case 0:
                guard let value = varint(bytes, &index) else { return (callID, code, isEnd) }
                if field == 1 { callID = value }
                if field == 2 { isEnd = value == 3 }
            case 2:
                guard let length = varint(bytes, &index), index + Int(length) <= bytes.count else { return (callID, code, isEnd) }
                if field == 7 { code = statusCode(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + Int(length))])) }
                index += Int(length)
            case 1: index += 8
            case 5: index += 4
            default: return (callID, code, isEnd)
            }
        }
        return (callID, code, isEnd)
    }

    private static func statusCode(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        var index = 0
        while index < bytes.count {
            guard let key = varint(bytes, &index) else { break }
            if key == 0x08 { return Int32(truncatingIfNeeded: varint(bytes, &index) ?? 0) }
            switch key & 7 {
            case 0: _ = varint(bytes, &index)
            case 2:
                guard let length = varint(bytes, &index) else { return 0 }
                index += Int(length)
            case 1: index += 8
            case 5: index += 4
            default: return 0
            }
        }
        return 0
    }

    private static func varint(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}

/// What one load run measured.
struct LoadResult {
    var reads = LatencySamples(capacity: 0)
    var writes = LatencySamples(capacity: 0)
    var statusCounts: [Int32: Int] = [:]
    var completed = 0
    var seconds = 0.0
    /// The busiest client thread's CPU time over the run's wall time.
    var busiestThreadCPU = 0.0
    /// The client process's CPU time over the run's wall time (all threads).
    var processCPU = 0.0

    var callsPerSecond: Double { seconds > 0 ? Double(completed) / seconds : 0 }
    /// Calls answered OK per second: a refusal is quick and is not served work.
    var okCallsPerSecond: Double { seconds > 0 ? Double(statusCounts[0, default: 0]) / seconds : 0 }
    var all: LatencySamples { reads.merged(with: writes) }
    var errors: Int { statusCounts.filter { $0.key != 0 }.values.reduce(0, +) }
    /// A client thread busy nearly all the time may have held the figures down.
    var clientSaturated: Bool { busiestThreadCPU >= 0.9 }

    mutating func merge(_ other: LoadResult) {
        reads = reads.merged(with: other.reads)
        writes = writes.merged(with: other.writes)
        for (code, count) in other.statusCounts { statusCounts[code, default: 0] += count }
        completed += other.completed
        busiestThreadCPU = max(busiestThreadCPU, other.busiestThreadCPU)
    }
}

extension [LoadResult] {
    /// Runs made one after another as one: their samples and counts
    /// together, their seconds summed, the client's CPU averaged over them.
    var pooled: LoadResult {
        var total = LoadResult()
        var cpuSeconds = 0.0
        for run in self {
            total.merge(run)
            total.seconds += run.seconds
            cpuSeconds += run.processCPU * run.seconds
        }
        total.processCPU = total.seconds > 0 ? cpuSeconds / total.seconds : 0
        return total
    }
}

/// A multi-threaded raw-socket client: each thread drives its share of the
/// connections with non-blocking sockets and epoll, writing pipelined
/// frames made from templates, reading answers by scanning two fields. It
/// measures its own CPU, so a run can say whether the client held it back.
enum LoadClient {
    enum Pace {
        /// Each connection keeps this many calls in flight; latency from send.
        case closedLoop(inFlight: Int)
        /// Calls start at this total rate, spread over the connections,
        /// whatever the answers do (so a slow server cannot slow the client
        /// down and hide its delay); the calls due in each millisecond go
        /// out together, each timed from when it is written.
        case openLoop(callsPerSecond: Double)
    }

    /// Runs `connections` connections for `seconds`, choosing each call's
    /// kind with `pick(connection, sequence)`.
    static func run(
        socketPath: String, connections: Int, threads: Int, pace: Pace, seconds: Double,
        calls: [LoadCall], pick: @escaping @Sendable (_ connection: Int, _ sequence: UInt64) -> Int
    ) throws -> LoadResult {
        let fds = try (0..<connections).map { _ in try UnixSocket.connect(to: socketPath) }
        defer { fds.forEach { close($0) } }
        let threadCount = max(1, min(threads, connections))
        let started = DispatchTime.now().uptimeNanoseconds
        let end = started + UInt64(seconds * 1e9)
        let cpuBefore = processCPUSeconds()
        let results = Mutex<[LoadResult]>([])
        var workers: [JoinableThread] = []
        for thread in 0..<threadCount {
            let mine = stride(from: thread, to: connections, by: threadCount).map { ($0, fds[$0]) }
            let threadPace: Pace
            switch pace {
            case .closedLoop: threadPace = pace
            case .openLoop(let rate): threadPace = .openLoop(callsPerSecond: rate * Double(mine.count) / Double(connections))
            }
            workers.append(JoinableThread {
                var worker = LoadWorker(connections: mine, pace: threadPace, calls: calls, pick: pick)
                let result = worker.run(until: end)
                results.withLock { $0.append(result) }
            })
        }
        workers.forEach { $0.join() }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var total = LoadResult()
        for result in results.withLock({ $0 }) { total.merge(result) }
        total.seconds = elapsed
        total.processCPU = (processCPUSeconds() - cpuBefore) / elapsed
        return total
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private static func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
}

/// One client thread's connections.
private struct LoadWorker {
    struct Connection {
        let index: Int
        let fd: Int32
        var input = [UInt8](repeating: 0, count: 256 * 1024)
        var inputCount = 0
        var output: [UInt8] = []
        var outputIndex = 0
        /// Call id → (start time, kind).
        var inFlight: [UInt64: (UInt64, Int)] = [:]
        var nextCallID: UInt64 = 1
        var sequence: UInt64 = 0
    }

    var connections: [Connection]
    let pace: LoadClient.Pace
    let calls: [LoadCall]
    let pick: @Sendable (Int, UInt64) -> Int
    var result = LoadResult()

    init(connections: [(Int, Int32)], pace: LoadClient.Pace, calls: [LoadCall], pick: @escaping @Sendable (Int, UInt64) -> Int) {
        self.connections = connections.map { Connection(index: $0.0, fd: $0.1) }
        self.pace = pace
        self.calls = calls
        self.pick = pick
    }

    mutating func run(until end: UInt64) -> LoadResult {
        let cpuStart = threadCPUNanoseconds()
        let wallStart = DispatchTime.now().uptimeNanoseconds
        var nextDue = wallStart
        var nextConnection = 0
        let interval: UInt64
        switch pace {
        case .closedLoop(let inFlight):
            interval = 0
            for slot in connections.indices {
                for _ in 0..<inFlight { send(on: slot, startedAt: wallStart) }
            }
        case .openLoop(let rate):
            interval = rate > 0 ? UInt64(1e9 / rate) : UInt64.max
        }
        // epoll, not poll: with hundreds of connections a thread would
        // otherwise scan every descriptor each millisecond, and on two cores
        // the client's CPU is taken from the daemon it measures.
        let epoll = steward_epoll_create()
        defer { close(epoll) }
        for slot in connections.indices {
            _ = steward_epoll_ctl(epoll, 0, connections[slot].fd, steward_epoll_in, UInt64(slot))
        }
        let masks = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
        let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
        defer {
            masks.deallocate()
            slots.deallocate()
        }
        while true {
            var now = DispatchTime.now().uptimeNanoseconds
            if now >= end { break }
            if interval > 0 {
                // Calls due by now go out together (epoll waits in whole
                // milliseconds); each is timed from when it is written.
                while nextDue <= now {
                    send(on: nextConnection, startedAt: now)
                    nextConnection = (nextConnection + 1) % connections.count
                    nextDue += interval
                }
            }
            // Only the connections with something to write are tried; one
            // whose socket is full stays in the list for the next round.
            let toFlush = pendingOutput
            pendingOutput.removeAll(keepingCapacity: true)
            for slot in toFlush where flush(slot) { pendingOutput.append(slot) }
            now = DispatchTime.now().uptimeNanoseconds
            let wakeAt = min(end, interval > 0 ? nextDue : end)
            let wait = wakeAt > now ? wakeAt - now : 0
            // A full socket is retried after a millisecond at most.
            let timeout = pendingOutput.isEmpty ? Int32(min((wait + 999_999) / 1_000_000, 1_000)) : min(1, Int32((wait + 999_999) / 1_000_000))
            let ready = steward_epoll_wait(epoll, masks, slots, timeout)
            guard ready > 0 else { continue }
            for index in 0..<Int(ready) { readAnswers(Int(slots[index])) }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wallStart)
        result.busiestThreadCPU = Double(threadCPUNanoseconds() - cpuStart) / wall
        return result
    }

    /// Connections whose output has not all been written.
    private var pendingOutput: [Int] = []

    private mutating func send(on slot: Int, startedAt: UInt64) {
        let sequence = connections[slot].sequence
        connections[slot].sequence += 1
        let kind = pick(connections[slot].index, sequence)
        let callID = connections[slot].nextCallID
        connections[slot].nextCallID += 1
        connections[slot].inFlight[callID] = (startedAt, kind)
        if connections[slot].output.isEmpty { pendingOutput.append(slot) }
        calls[kind].append(callID: callID, sequence: sequence, to: &connections[slot].output)
    }

    /// Writes what `slot` has to write; whether some is left (its socket is full).
    private mutating func flush(_ slot: Int) -> Bool {
        while connections[slot].outputIndex < connections[slot].output.count {
            let fd = connections[slot].fd
            let start = connections[slot].outputIndex
            let written = connections[slot].output.withUnsafeBytes { bytes in
                Glibc.send(fd, bytes.baseAddress! + start, bytes.count - start, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { break }
            connections[slot].outputIndex += written
        }
        if connections[slot].outputIndex == connections[slot].output.count {
            connections[slot].output.removeAll(keepingCapacity: true)
            connections[slot].outputIndex = 0
            return false
        }
        return true
    }

    private mutating func readAnswers(_ slot: Int) {
        let fd = connections[slot].fd
        let have = connections[slot].inputCount
        let got = connections[slot].input.withUnsafeMutableBytes { read(fd, $0.baseAddress! + have, $0.count - have) }
        guard got > 0 else { return }
        connections[slot].inputCount += got
        let now = DispatchTime.now().uptimeNanoseconds
        var consumed = 0
        var answered: [(UInt64, Int32)] = []
        connections[slot].input.withUnsafeBytes { bytes in
            let count = connections[slot].inputCount
            while count - consumed >= 5 {
                let length = Int(bytes[consumed + 1]) << 24 | Int(bytes[consumed + 2]) << 16
                    | Int(bytes[consumed + 3]) << 8 | Int(bytes[consumed + 4])
                guard count - consumed >= 5 + length else { break }
                let scanned = AnswerScan.scan(UnsafeRawBufferPointer(rebasing: bytes[(consumed + 5)..<(consumed + 5 + length)]))
                if scanned.isEnd { answered.append((scanned.callID, scanned.code)) }
                consumed += 5 + length
            }
        }
        if consumed > 0 {
            let rest = connections[slot].inputCount - consumed
            connections[slot].input.withUnsafeMutableBytes { bytes in
                bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + consumed, byteCount: rest)
            }
            connections[slot].inputCount = rest
        }
        for (callID, code) in answered {
            guard let (start, kind) = connections[slot].inFlight.removeValue(forKey: callID) else { continue }
            let elapsed = now &- start
            if calls[kind].isWrite { result.writes.add(nanoseconds: elapsed) } else { result.reads.add(nanoseconds: elapsed) }
            result.statusCounts[code, default: 0] += 1
            result.completed += 1
            if case .closedLoop = pace { send(on: slot, startedAt: now) }
        }
    }

    private func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

extension LoadClient {
    /// One call in flight, `calls` times in a row after a tenth as warm-up,
    /// with blocking reads as the floor's client makes them.
    static func pingLatency(socketPath: String, call: LoadCall, calls: Int) throws -> (LatencySamples, errors: Int) {
        let fd = try UnixSocket.connect(to: socketPath)
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var input = [UInt8](repeating: 0, count: 64 * 1024)
        var output: [UInt8] = []
        var samples = LatencySamples(capacity: calls)
        var errors = 0
        for iteration in 0..<(calls + calls / 10) {
            output.removeAll(keepingCapacity: true)
            call.append(callID: UInt64(iteration + 1), sequence: UInt64(iteration), to: &output)
            let start = DispatchTime.now().uptimeNanoseconds
            var offset = 0
            while offset < output.count {
                let written = output.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                guard written > 0 else { throw SystemCallError("write", errno: errno) }
                offset += written
            }
            var have = 0
            var length = Int.max
            while have < 5 || have < 5 + length {
                let got = input.withUnsafeMutableBytes { read(fd, $0.baseAddress! + have, $0.count - have) }
                guard got > 0 else { throw SystemCallError("read", errno: errno) }
                have += got
                if have >= 5 { length = Int(input[1]) << 24 | Int(input[2]) << 16 | Int(input[3]) << 8 | Int(input[4]) }
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            let code = input.withUnsafeBytes { AnswerScan.scan(UnsafeRawBufferPointer(rebasing: $0[5..<(5 + length)])).code }
            if iteration >= calls / 10 {
                samples.add(nanoseconds: elapsed)
                if code != 0 { errors += 1 }
            }
        }
        return (samples, errors)
    }
}
