import Logging
import StewardModel
import StewardServer
import StewardWire

/// Fuzz target 2: a request as a route decodes it.
///
/// The first byte picks one of the contract's methods
/// (``StewardProtoRegistry/allMethods``); the rest is that method's request
/// payload, decoded by the routes' own `decodeRequest` (the string check of
/// every string field, then protobuf-c within the call's budget) with the
/// daemon's `maxDecodedBytesPerMessage`, and once more within a small budget
/// the second byte chooses, so that protobuf-c's way out of a refused
/// allocation is run too.
///
/// Properties beyond not crashing: a refusal is INVALID_ARGUMENT or
/// RESOURCE_EXHAUSTED with a single-line message that shows no raw control
/// character; a decoded request survives re-encoding; a small budget never
/// decodes what the full one refuses, nor decodes it differently.
public enum RequestDecodingFuzzing {
    static let methods = StewardProtoRegistry.allMethods
    static let budget = ServerLimits().maxDecodedBytesPerMessage
    static let peer = PeerCredentials(pid: 0, uid: 0, gid: 0)
    static let logger = Logger(label: "steward.fuzz")

    public static func run(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 2 else { return }
        let method = methods[Int(input[0]) % methods.count]
        let smallBudget = Int(input[1]) * 16
        let payload = [UInt8](input.dropFirst(2))
        decode(method.requestType, path: method.path, payload: payload, smallBudget: smallBudget)
    }

    static func decode<Request: ProtoMessage>(
        _ type: Request.Type, path: String, payload: [UInt8], smallBudget: Int
    ) {
        var context = ServerCallContext(method: path, peer: peer, logger: logger)
        context.decodingBudget = budget
        let full = Request.decodeRequest(payload, context)
        context.decodingBudget = smallBudget
        let small = Request.decodeRequest(payload, context)
        for case .failure(let error) in [full, small] {
            expect(error.code == .invalidArgument || error.code == .resourceExhausted,
                   "\(path): a request was refused with \(error.code)")
            expect(!error.message.unicodeScalars.contains(where: VisibleText.needsEscape),
                   "\(path): a refusal shows a raw control character: \(VisibleText.visible(error.message))")
        }
        switch (full, small) {
        case (.success(let request), _):
            let again = try? Request(serializedBytes: request.serializedBytes())
            expect(again == request, "\(path): a decoded request did not survive re-encoding")
            if case .success(let alsoRequest) = small {
                expect(alsoRequest == request, "\(path): a smaller budget decoded the request differently")
            }
        case (.failure(let error), .success):
            expect(false, "\(path): a budget of \(smallBudget) bytes decoded what \(budget) refused: \(error.message)")
        case (.failure, .failure):
            break
        }
    }
}
