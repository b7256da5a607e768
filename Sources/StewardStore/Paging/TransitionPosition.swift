/// Where a page of a connection's history ends: the last transition's
/// sequence (its row id). The page token of ListTransitions, shared by both
/// stores so their tokens are interchangeable.
enum TransitionPosition {
    static let kind = "transitions"

    /// The sequence to resume after; 0 (before every row) for the first page.
    static func after(token: String?) throws(StoreError) -> Int64 {
        guard let token else { return 0 }
        let parts = try PageToken.decode(token, kind: kind, count: 1)
        guard let sequence = Int64(parts[0]), sequence >= 0 else {
            throw StoreError(.invalidArgument, "the page token is not one this list issued")
        }
        return sequence
    }

    /// The first `size` of `transitions` (read with one extra to learn
    /// whether another page follows) and the token for that page.
    static func page(_ transitions: [LifecycleTransition], size: Int) -> Page<LifecycleTransition> {
        Page(fetched: transitions, size: size, tokenKind: kind) { [String($0.sequence)] }
    }
}

extension RegistryStore {
    /// The connection's whole lifecycle history, oldest first, following
    /// the pages; for callers that need all of it (tests, the recheck's
    /// small reads), not for a client's list.
    public func transitions(key: String) throws(StoreError) -> [LifecycleTransition] {
        var transitions: [LifecycleTransition] = []
        var token: String?
        repeat {
            let page = try listTransitions(key: key, page: PageRequest(size: PageRequest.maximumSize, token: token))
            transitions += page.items
            token = page.nextPageToken
        } while token != nil
        return transitions
    }
}
