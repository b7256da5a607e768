import CProtobufC

/// A message type of the Steward contract, generated from `proto/` by
/// `scripts/generate-protos.sh`.
///
/// Each generated type converts itself to and from the C structs that
/// protoc-c generated for the same `.proto` file; libprotobuf-c does the
/// encoding. Code outside the generated files never touches those structs:
/// it calls ``serializedBytes()`` and ``init(serializedBytes:)``.
public protocol ProtoMessage: Sendable, Equatable {
    /// A message with every field at its default.
    init()

    /// The fully qualified protobuf name, such as `steward.v1.WhoAmIRequest`.
    static var protoFullName: String { get }

    /// The descriptor protoc-c generated for this message type.
    static var protobufCDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { get }

    /// Builds this message as a tree of C structs allocated with `malloc`, so
    /// that `protobuf_c_message_free_unpacked(_, nil)` frees the whole tree.
    /// The caller owns the result and must free it that way.
    func makeProtobufCMessage() -> UnsafeMutablePointer<ProtobufCMessage>

    /// Copies the fields of a C message of this type, such as one returned by
    /// `protobuf_c_message_unpack`. Does not take ownership.
    init(protobufCMessage: UnsafePointer<ProtobufCMessage>)
}

/// A protobuf enum of the Steward contract. Enums are open, as in proto3: a
/// value this build does not know survives a round trip as its number.
public protocol ProtoEnum: RawRepresentable, Hashable, Sendable, CustomStringConvertible
where RawValue == Int32 {
    init(rawValue: Int32)
    /// The values declared in the `.proto` file, in declaration order.
    static var knownValues: [Self] { get }
    /// The name declared in the `.proto` file, or nil for an unknown number.
    var protoName: String? { get }
}

extension ProtoEnum {
    public var description: String { protoName ?? "\(rawValue)" }
}

/// Why bytes could not be decoded as a message.
public struct ProtoDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A dotted path to the offending field, such as `metadata[2].value`, or
    /// "" when the problem is the encoding as a whole.
    public var fieldPath: String
    /// What was wrong, safe to show a client (it never repeats the bytes).
    public var reason: String
    /// The encoding may be fine, but unpacking it would take more memory than
    /// the call's budget: RESOURCE_EXHAUSTED rather than INVALID_ARGUMENT.
    public var isOverBudget: Bool

    public init(fieldPath: String, reason: String, isOverBudget: Bool = false) {
        self.fieldPath = fieldPath
        self.reason = reason
        self.isOverBudget = isOverBudget
    }

    public var description: String {
        fieldPath.isEmpty ? reason : "field \(fieldPath): \(reason)"
    }
}

extension ProtoMessage {
    /// Encodes this message with `protobuf_c_message_pack`.
    public func serializedBytes() -> [UInt8] {
        let message = makeProtobufCMessage()
        defer { protobuf_c_message_free_unpacked(message, nil) }
        let size = protobuf_c_message_get_packed_size(message)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = size == 0 ? 0 : protobuf_c_message_pack(message, buffer.baseAddress!)
        }
    }

    /// Decodes `bytes` with `protobuf_c_message_unpack`, after checking that
    /// every string field, nested and repeated ones included, is valid UTF-8
    /// without NUL (protobuf-c checks neither, and would cut a string at a NUL).
    /// protobuf-c may allocate at most `budget` bytes for the C tree
    /// (``ProtoDecodingBudget``); past it the decoding fails with an error
    /// whose status is RESOURCE_EXHAUSTED.
    public init(
        serializedBytes bytes: UnsafeRawBufferPointer, budget: Int = ProtoDecodingBudget.defaultBytes
    ) throws(ProtoDecodingError) {
        let descriptor = Self.protobufCDescriptor
        try ProtoStringValidator.validate(bytes, as: descriptor)
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        // protobuf-c reads nothing when the length is 0, but wants a pointer.
        var empty: UInt8 = 0
        let (unpacked, exceeded) = withUnsafePointer(to: &empty) { emptyPointer in
            ProtoDecodingBudget.unpack(descriptor, bytes.count, base ?? emptyPointer, budget: budget)
        }
        guard let unpacked else {
            throw ProtoDecodingError(
                fieldPath: "",
                reason: exceeded
                    ? "\(Self.protoFullName) of \(bytes.count) bytes would take more than \(budget) bytes of memory to decode"
                    : "not a valid encoding of \(Self.protoFullName)",
                isOverBudget: exceeded)
        }
        defer { protobuf_c_message_free_unpacked(unpacked, nil) }
        self.init(protobufCMessage: unpacked)
    }

    /// Decodes `bytes`; see ``init(serializedBytes:)-(UnsafeRawBufferPointer)``.
    public init(
        serializedBytes bytes: [UInt8], budget: Int = ProtoDecodingBudget.defaultBytes
    ) throws(ProtoDecodingError) {
        // withUnsafeBytes rethrows as `any Error`; a Result keeps the type.
        let decoded = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtoDecodingError) -> Self in try Self(serializedBytes: raw, budget: budget) }
        }
        self = try decoded.get()
    }
}
