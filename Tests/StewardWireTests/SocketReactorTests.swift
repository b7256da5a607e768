import CProcessControl
import Dispatch
import Glibc
import StewardWire
import Synchronization
import Testing

@Suite("Socket reactor: delivery to the owner's queue", .timeLimit(.minutes(1)))
struct SocketReactorTests {
    /// What a handler saw: the thread it ran on (and its name), and
    /// whether it was on the owner's queue.
    struct Seen: Sendable {
        var thread: pthread_t
        var threadName: String
        var onQueue: Bool
    }

    static func currentThreadName() -> String {
        var name = [CChar](repeating: 0, count: 16)
        _ = steward_get_thread_name(&name)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes the socket readable `count` times and returns what the handler
    /// saw each time; the watch is rearmed after each event.
    func events(_ reactor: SocketReactor, count: Int) throws -> [Seen] {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let queue = DispatchQueue(label: "owner")
        let key = DispatchSpecificKey<Bool>()
        queue.setSpecific(key: key, value: true)
        let seen = Mutex<[Seen]>([])
        let arrived = DispatchSemaphore(value: 0)
        let reader = fds[1]
        nonisolated(unsafe) var watch: SocketWatch?
        try queue.sync {
            watch = try SocketWatch(fd: reader, queue: queue, interest: .read, reactor: reactor) { _ in
                var byte: UInt8 = 0
                _ = read(reader, &byte, 1)
                seen.withLock {
                    $0.append(Seen(thread: pthread_self(), threadName: Self.currentThreadName(),
                                   onQueue: DispatchQueue.getSpecific(key: key) == true))
                }
                try? watch?.arm(.read)
                arrived.signal()
            }
        }
        for _ in 0..<count {
            var byte: UInt8 = 1
            #expect(write(fds[0], &byte, 1) == 1)
            #expect(arrived.wait(timeout: .now() + 10) == .success)
        }
        queue.sync { watch?.remove() }
        return seen.withLock { $0 }
    }

    @Test("Inline delivery runs every event on the reactor's own thread, on the owner's queue")
    func inlineDelivery() throws {
        let reactor = SocketReactor(delivery: .inline)
        let seen = try events(reactor, count: 20)
        #expect(seen.count == 20)
        #expect(seen.allSatisfy { $0.onQueue })
        // One thread, the reactor's, for every event: no thread woken per event.
        #expect(Set(seen.map { UInt($0.thread) }).count == 1)
        #expect(seen.allSatisfy { $0.threadName == "steward-reactor" })
    }

    @Test("Queued delivery runs events on the owner's queue, off the reactor's thread")
    func queuedDelivery() throws {
        let reactor = SocketReactor(delivery: .queued)
        let seen = try events(reactor, count: 5)
        #expect(seen.count == 5)
        #expect(seen.allSatisfy { $0.onQueue })
        // On dispatch's threads, not the reactor's.
        #expect(seen.allSatisfy { $0.threadName != "steward-reactor" })
    }
}
