import CProtobufC

/// Appends frames, prefix included, to an output buffer.
public enum FrameWriter {
    /// Appends `frame` encoded by protobuf-c straight into `buffer`.
    public static func append(_ frame: StewardRpcV1.Frame, to buffer: inout [UInt8]) {
        let message = frame.makeProtobufCMessage()
        defer { protobuf_c_message_free_unpacked(message, nil) }
        let size = protobuf_c_message_get_packed_size(message)
        FramePrefix.append(length: size, to: &buffer)
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: size))
        buffer.withUnsafeMutableBufferPointer { all in
            _ = protobuf_c_message_pack(message, all.baseAddress! + start)
        }
    }

    /// A whole frame as bytes, for callers that write it themselves.
    public static func encode(_ frame: StewardRpcV1.Frame) -> [UInt8] {
        var bytes: [UInt8] = []
        append(frame, to: &bytes)
        return bytes
    }

    /// An END frame for `callID` with `status` and an optional response.
    public static func endFrame(
        callID: UInt64, code: StatusCode, message: String, payload: [UInt8] = []
    ) -> StewardRpcV1.Frame {
        var frame = StewardRpcV1.Frame()
        frame.callID = callID
        frame.kind = .end
        frame.payload = payload
        var status = StewardRpcV1.Status()
        status.code = code.rawValue
        status.message = message
        frame.status = status
        return frame
    }

    /// The encoded length (prefix excluded) of ``endFrame(callID:code:message:payload:)``
    /// with a payload of `payloadCount` bytes, computed without building it,
    /// so that a server can tell before sending whether it fits the limit.
    public static func endFrameLength(callID: UInt64, code: StatusCode, message: String, payloadCount: Int) -> Int {
        let messageCount = message.utf8.count
        var status = 0
        if code.rawValue != 0 { status += 1 + varintLength(UInt64(bitPattern: Int64(code.rawValue))) }
        if messageCount > 0 { status += 1 + varintLength(UInt64(messageCount)) + messageCount }
        return messageFrameLength(callID: callID, payloadCount: payloadCount) + 1 + varintLength(UInt64(status)) + status
    }

    /// The encoded length (prefix excluded) of a MESSAGE frame (or of an END
    /// without its status) carrying `payloadCount` bytes.
    public static func messageFrameLength(callID: UInt64, payloadCount: Int) -> Int {
        let payload = payloadCount > 0 ? 1 + varintLength(UInt64(payloadCount)) + payloadCount : 0
        return 1 + varintLength(callID) + 2 + payload
    }

    static func varintLength(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }
}
