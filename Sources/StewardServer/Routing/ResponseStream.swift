import StewardWire

/// Where a server-streaming handler sends its messages. `send` waits while
/// the client is not reading (its connection's output is over the limit)
/// and throws once the call has ended, so a handler stops producing.
public struct ResponseStream<Message: ProtoMessage>: Sendable {
    let sink: any StreamSink

    /// Sends one MESSAGE frame.
    public func send(_ message: Message) async throws {
        try await sink.sendMessage(message.serializedBytes())
    }
}

/// The connection side of a ``ResponseStream``.
protocol StreamSink: Sendable {
    func sendMessage(_ payload: [UInt8]) async throws
}
