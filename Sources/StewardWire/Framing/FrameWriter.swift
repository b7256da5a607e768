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
}
