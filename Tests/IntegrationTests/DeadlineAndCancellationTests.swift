import Foundation
import StewardClient
import StewardWire
import Testing

@Suite("Deadlines and cancellation", .timeLimit(.minutes(2)))
struct DeadlineAndCancellationTests {
    @Test("A handler that outlives its timeout yields DEADLINE_EXCEEDED close to the deadline")
    func deadline() async throws {
        let server = try TestServer.start()
        let raw = try RawConnection(path: server.socketPath)
        let started = DispatchTime.now()
        try await raw.send(Frames.request(1, TestRoutes.stubbornSleep, .init(key: "10000"), timeoutMilliseconds: 200))
        let answer = try #require(await raw.nextFrame())
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        #expect(answer.callID == 1 && answer.statusCode == .deadlineExceeded)
        // The handler would run 10 s; the answer comes at the deadline (with
        // room for a machine busy running every suite at once, two cores).
        #expect(elapsed >= 200 && elapsed < 3_000, "answered after \(elapsed) ms")
        // The late answer of the abandoned handler is dropped; the connection goes on.
        try await raw.send(Frames.request(2, TestRoutes.echo, .init(key: "next")))
        #expect(try await raw.nextFrame()?.callID == 2)
        await server.stop()
    }

    @Test("The client library's timeout ends a call with DEADLINE_EXCEEDED")
    func clientTimeout() async throws {
        let server = try TestServer.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.call(TestRoutes.sleep, .init(key: "5000"), timeout: .milliseconds(100))
        }
        #expect(error?.code == .deadlineExceeded)
        client.close()
        await server.stop()
    }

    @Test("A streaming call cancelled half way stops producing")
    func cancelStream() async throws {
        let server = try TestServer.start()
        let raw = try RawConnection(path: server.socketPath)
        try await raw.send(Frames.request(4, TestRoutes.count.path, payload: StewardRpcV1.MetadataEntry(key: "c").serializedBytes()))
        for expected in 0..<5 {
            let message = try #require(await raw.nextFrame())
            #expect(message.kind == .message && message.callID == 4)
            #expect(try StewardRpcV1.MetadataEntry(serializedBytes: message.payload).value == "\(expected)")
        }
        try await raw.send(Frames.cancel(4))
        // Messages already on the way may arrive before the END.
        var end = try #require(await raw.nextFrame())
        while end.kind == .message { end = try #require(await raw.nextFrame()) }
        #expect(end.callID == 4 && end.kind == .end && end.statusCode == .cancelled)
        await server.probes.waitUntilStreamsFinish()
        let producedAtStop = server.probes.messagesSent
        // Nothing more is produced or sent for the cancelled call.
        try await raw.send(Frames.request(5, TestRoutes.echo, .init(key: "x")))
        let next = try #require(await raw.nextFrame())
        #expect(next.callID == 5)
        #expect(server.probes.messagesSent == producedAtStop)
        await server.stop()
    }

    @Test("Cancelling the calling task cancels the call on the daemon")
    func taskCancellation() async throws {
        let server = try TestServer.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        let task = Task {
            try await client.call(TestRoutes.sleep, .init(key: "10000"))
        }
        // Wait until the daemon has the call (the Stats call itself is the other one).
        try await waitUntilCallsInFlight(atLeast: 2, client: client)
        task.cancel()
        let result = await task.result
        #expect(result.failureCode == .cancelled)
        let stats = try await client.call(StewardV1.Server.stats, .init())
        #expect(stats.callsInFlight == 1, "only this Stats call is in flight")
        client.close()
        await server.stop()
    }
}

extension Result {
    var failureCode: StatusCode? {
        if case .failure(let error) = self { return (error as? RPCError)?.code }
        return nil
    }
}
