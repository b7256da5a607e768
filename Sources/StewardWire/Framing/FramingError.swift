/// A byte stream that can no longer be read as frames. The connection must be
/// closed after reporting it, because the stream cannot be resynchronised.
public enum FramingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A prefix claimed more bytes than the limit. `callIDHint` is the frame's
    /// call id when the bytes already received reveal it.
    case frameTooLarge(claimedBytes: Int, limit: Int, callIDHint: UInt64?)

    public var description: String {
        switch self {
        case .frameTooLarge(let claimed, let limit, _):
            return "frame of \(claimed) bytes exceeds the limit of \(limit) bytes"
        }
    }
}
