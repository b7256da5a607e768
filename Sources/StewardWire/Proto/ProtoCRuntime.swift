import CProtobufC

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The helpers that generated message code (`*.pb.swift`) calls to convert
/// between Swift values and protoc-c's C structs. Not meant for other code.
///
/// Everything these helpers allocate comes from `malloc` (or `strdup`), so that
/// `protobuf_c_message_free_unpacked(message, nil)` frees a whole tree built
/// from them with the default allocator: the message, its strings, its bytes'
/// data, its submessages and its repeated fields' arrays. The one exception it
/// makes, a pointer equal to the field's default value, never occurs here
/// because every string is a fresh copy.
public enum ProtoCRuntime {
    // MARK: Swift -> C

    /// Allocates one C message with `malloc` and runs protoc-c's `*__init` on it.
    public static func allocateMessage<CMessage>(
        _ type: CMessage.Type,
        initializer: (UnsafeMutablePointer<CMessage>?) -> Void
    ) -> UnsafeMutablePointer<CMessage> {
        let message = allocate(CMessage.self, count: 1)
        initializer(message)
        return message
    }

    /// A `strdup` copy of `string`. (A NUL inside `string` ends the C copy;
    /// protobuf-c cannot represent one.)
    public static func makeCString(_ string: String) -> UnsafeMutablePointer<CChar> {
        guard let copy = strdup(string) else { outOfMemory() }
        return copy
    }

    /// A `malloc` copy of `bytes`; `{0, NULL}` when empty.
    public static func makeBinaryData(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let data = allocate(UInt8.self, count: bytes.count)
        bytes.withUnsafeBufferPointer { source in
            data.initialize(from: source.baseAddress!, count: source.count)
        }
        return ProtobufCBinaryData(len: bytes.count, data: data)
    }

    /// A `malloc` array of `values`, each converted by `convert`; nil when empty.
    public static func makeArray<Element, CElement>(
        _ values: [Element],
        of type: CElement.Type,
        _ convert: (Element) -> CElement
    ) -> UnsafeMutablePointer<CElement>? {
        guard !values.isEmpty else { return nil }
        let array = allocate(CElement.self, count: values.count)
        for (index, value) in values.enumerated() {
            (array + index).initialize(to: convert(value))
        }
        return array
    }

    /// `message` as a C message tree of type `CMessage`, owned by the caller.
    public static func makeCMessage<Message: ProtoMessage, CMessage>(
        _ message: Message, as type: CMessage.Type
    ) -> UnsafeMutablePointer<CMessage> {
        UnsafeMutableRawPointer(message.makeProtobufCMessage())
            .assumingMemoryBound(to: CMessage.self)
    }

    /// A typed C message seen as its first member, the `ProtobufCMessage` base.
    public static func erase<CMessage>(
        _ message: UnsafeMutablePointer<CMessage>
    ) -> UnsafeMutablePointer<ProtobufCMessage> {
        UnsafeMutableRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
    }

    // MARK: C -> Swift

    /// The C struct behind `message`, after checking that it has the expected
    /// descriptor (that is, that it really is a `CMessage`).
    public static func cMessage<CMessage>(
        _ message: UnsafePointer<ProtobufCMessage>,
        as type: CMessage.Type,
        descriptor: UnsafePointer<ProtobufCMessageDescriptor>
    ) -> CMessage {
        precondition(
            message.pointee.descriptor == descriptor,
            "a C message of another type was passed to init(protobufCMessage:)")
        return UnsafeRawPointer(message).assumingMemoryBound(to: CMessage.self).pointee
    }

    /// A copy of a C string; nil reads as "".
    public static func string(_ cString: UnsafePointer<CChar>?) -> String {
        cString.map { String(cString: $0) } ?? ""
    }

    /// A copy of binary data; `{0, NULL}` reads as `[]`.
    public static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let base = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: data.len))
    }

    /// The `count` elements at `array`, each converted by `convert`.
    public static func readArray<CElement, Element>(
        _ count: Int,
        _ array: UnsafeMutablePointer<CElement>?,
        _ convert: (CElement) -> Element
    ) -> [Element] {
        guard count > 0, let array else { return [] }
        return UnsafeMutableBufferPointer(start: array, count: count).map(convert)
    }

    /// A copy of the submessage at `pointer`, or nil when there is none.
    public static func messageIfPresent<Message: ProtoMessage, CMessage>(
        _ type: Message.Type, from pointer: UnsafeMutablePointer<CMessage>?
    ) -> Message? {
        pointer.map {
            Message(protobufCMessage: UnsafeRawPointer($0).assumingMemoryBound(
                to: ProtobufCMessage.self))
        }
    }

    /// A copy of the submessage at `pointer` (an element of a repeated field or
    /// a oneof member); a NULL pointer reads as the default message.
    public static func message<Message: ProtoMessage, CMessage>(
        _ type: Message.Type, from pointer: UnsafeMutablePointer<CMessage>?
    ) -> Message {
        messageIfPresent(type, from: pointer) ?? Message()
    }

    // MARK: Allocation

    private static func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let (bytes, overflow) = MemoryLayout<T>.stride.multipliedReportingOverflow(by: count)
        guard !overflow, let raw = malloc(max(bytes, 1)) else { outOfMemory() }
        return raw.bindMemory(to: T.self, capacity: count)
    }

    private static func outOfMemory() -> Never {
        fatalError("out of memory while building a protobuf-c message")
    }
}
