import Foundation
import StewardClient
import StewardWire
import Testing

@Suite("Calls over the real socket", .timeLimit(.minutes(2)))
struct RoundTripTests {
    @Test("A unary call returns its answer")
    func unary() async throws {
        let server = try TestServer.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        let health = try await client.call(GrpcHealthV1.Health.check, .init())
        #expect(health.status == .serving)
        let info = try await client.call(StewardV1.Server.info, .init())
        #expect(info.version == StewardVersion.current)
        #expect(info.socketPath == server.socketPath)
        #expect(info.limits?.maxFrameBytes == UInt32(4 << 20))
        #expect(info.pid == UInt32(getpid()), "the server runs in this process")
        client.close()
        await server.stop()
    }

    @Test("Health.Check knows the services the daemon routes")
    func healthKnowsServices() async throws {
        let server = try TestServer.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        let known = try await client.call(GrpcHealthV1.Health.check, .init(service: "steward.v1.Server"))
        #expect(known.status == .serving)
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.call(GrpcHealthV1.Health.check, .init(service: "no.such.Service"))
        }
        #expect(error?.code == .notFound)
        client.close()
        await server.stop()
    }

    @Test("A streaming call delivers its messages, then its status")
    func streaming() async throws {
        let server = try TestServer.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        var received: [String] = []
        for try await message in client.stream(TestRoutes.count, .init(key: "s")) {
            received.append(message.value)
            if received.count == 5 { break }
        }
        #expect(received == ["0", "1", "2", "3", "4"])
        var watch = client.stream(GrpcHealthV1.Health.watch, .init()).makeAsyncIterator()
        let first = try await watch.next()
        #expect(first?.status == .serving)
        client.close()
        await server.stop()
    }

    @Test("1,000 concurrent calls over 8 connections each get their own answer")
    func manyConcurrentCalls() async throws {
        let server = try TestServer.start()
        let clients = try (0..<8).map { _ in try StewardClient.connect(socketPath: server.socketPath) }
        let answers = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for index in 0..<1000 {
                let client = clients[index % clients.count]
                group.addTask {
                    let key = "call-\(index)"
                    let answer = try await client.call(TestRoutes.echo, .init(key: key))
                    return (key, answer.value)
                }
            }
            var answers: [(String, String)] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        #expect(answers.count == 1000)
        #expect(answers.allSatisfy { $0.0 == $0.1 })
        #expect(Set(answers.map(\.0)).count == 1000)
        clients.forEach { $0.close() }
        await server.stop()
    }

    @Test("Answers carry the call ids the client chose, in any order")
    func callIDsOnTheWire() async throws {
        let server = try TestServer.start()
        let raw = try RawConnection(path: server.socketPath)
        // The slow call is sent first but answered last.
        try await raw.send(Frames.request(7, TestRoutes.sleep, .init(key: "300")))
        try await raw.send(Frames.request(3, TestRoutes.echo, .init(key: "three")))
        let first = try #require(await raw.nextFrame())
        let second = try #require(await raw.nextFrame())
        #expect(first.callID == 3 && first.kind == .end && first.statusCode == .ok)
        #expect(try StewardRpcV1.MetadataEntry(serializedBytes: first.payload).value == "three")
        #expect(second.callID == 7 && second.statusCode == .ok)
        await server.stop()
    }

    @Test("Stats count calls by method and status")
    func stats() async throws {
        let server = try TestServer.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        for _ in 0..<3 { _ = try await client.call(GrpcHealthV1.Health.check, .init()) }
        _ = try? await client.call(GrpcHealthV1.Health.check, .init(service: "missing"))
        let stats = try await client.call(StewardV1.Server.stats, .init())
        let health = try #require(stats.methods.first { $0.method == GrpcHealthV1.Health.check.path })
        #expect(health.calls == 4)
        #expect(health.statuses.first { $0.code == StatusCode.ok.rawValue }?.count == 3)
        #expect(health.statuses.first { $0.code == StatusCode.notFound.rawValue }?.count == 1)
        #expect(stats.openConnections == 1)
        client.close()
        await server.stop()
    }
}
