import Foundation

/// The opaque token that resumes a list after its last item: the list's
/// kind and the sort key of that item, as base64url of a JSON array.
///
/// Clients must not build tokens, but nothing bad happens if they do: a
/// token only says where to start, and every filter is applied again.
package struct PageToken: Hashable, Sendable {
    package var kind: String
    package var position: [String]

    package init(kind: String, position: [String]) {
        self.kind = kind
        self.position = position
    }

    package var encoded: String {
        let data = (try? JSONSerialization.data(withJSONObject: [kind] + position)) ?? Data()
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Reads `token` as a token of list `kind` with `count` position parts.
    package static func decode(_ token: String, kind: String, count: Int) throws(StoreError) -> [String] {
        var base64 = token.replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let array = try? JSONSerialization.jsonObject(with: data) as? [String],
            array.count == count + 1, array[0] == kind
        else {
            throw StoreError(.invalidArgument, "the page token is not one this list issued")
        }
        return Array(array.dropFirst())
    }
}
