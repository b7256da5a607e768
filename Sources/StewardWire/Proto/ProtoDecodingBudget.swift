import CProtobufC

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How much memory one `protobuf_c_message_unpack` may take.
///
/// A frame's length bounds its bytes, not what they unpack to: every empty
/// submessage of a repeated field is two bytes on the wire and a struct plus a
/// pointer in memory, every unknown field two bytes and a 24-byte record, so a
/// 4 MiB frame can unpack to hundreds of MB. protobuf-c takes an allocator per
/// call; this one counts what the call asked for and refuses past the budget,
/// and protobuf-c then frees what it had and fails the unpack.
public enum ProtoDecodingBudget {
    /// The budget when a caller names none: generous for clients (whose
    /// answers come from a daemon they trust), still a bound.
    public static let defaultBytes = 64 << 20

    /// The state behind one call's allocator, read after the call to tell
    /// "over budget" from "not a valid encoding".
    struct State {
        var remaining: Int
        var exceeded = false
    }

    /// `protobuf_c_message_unpack` with an allocator limited to `budget`
    /// bytes in total (memory freed during the call is not given back: the
    /// count bounds the peak). Returns the message, or nil, and whether the
    /// budget ran out. The allocator takes memory from `malloc`, so the
    /// caller frees the message with `protobuf_c_message_free_unpacked(_, nil)`.
    /// Not generic, so the decoding path stays as cheap as before the budget.
    static func unpack(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, _ count: Int, _ data: UnsafePointer<UInt8>, budget: Int
    ) -> (message: UnsafeMutablePointer<ProtobufCMessage>?, exceeded: Bool) {
        var state = State(remaining: max(0, budget))
        return withUnsafeMutablePointer(to: &state) { statePointer in
            var allocator = ProtobufCAllocator(
                alloc: { data, size in
                    let state = data!.assumingMemoryBound(to: State.self)
                    // size_t from C: compared without converting, so a huge request cannot trap.
                    guard size <= UInt(state.pointee.remaining) else {
                        state.pointee.exceeded = true
                        return nil
                    }
                    state.pointee.remaining -= Int(size)
                    return malloc(size)
                },
                free: { _, pointer in free(pointer) },
                allocator_data: UnsafeMutableRawPointer(statePointer))
            let message = protobuf_c_message_unpack(descriptor, &allocator, count, data)
            return (message, statePointer.pointee.exceeded)
        }
    }
}
