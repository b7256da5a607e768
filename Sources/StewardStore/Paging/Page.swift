/// Which page of a list to return.
public struct PageRequest: Sendable, Hashable {
    public static let defaultSize = 100
    public static let maximumSize = 1_000

    /// Items per page; 0 means ``defaultSize``, more than ``maximumSize`` is
    /// capped there.
    public var size: Int
    /// The `nextPageToken` of the previous page, or nil for the first.
    public var token: String?

    public init(size: Int = 0, token: String? = nil) {
        self.size = size
        self.token = token
    }

    /// The size actually used.
    public var effectiveSize: Int {
        size <= 0 ? Self.defaultSize : min(size, Self.maximumSize)
    }
}

/// One page of a list, and the token for the next one (nil on the last page).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextPageToken: String?

    public init(items: [Item], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }
}

extension Page: Equatable where Item: Equatable {}

extension Page {
    /// The page made of the rows a list read with `LIMIT size + 1`: the extra
    /// row only says that a next page exists, and the token holds the last
    /// kept row's position (keyset paging, so a page never shifts).
    init<Row>(
        fetched rows: [Row], size: Int, tokenKind: String, position: (Row) -> [String], item: (Row) -> Item
    ) {
        let kept = rows.prefix(size)
        items = kept.map(item)
        nextPageToken = rows.count > size
            ? kept.last.map { PageToken(kind: tokenKind, position: position($0)).encoded } : nil
    }

    init(fetched items: [Item], size: Int, tokenKind: String, position: (Item) -> [String]) {
        self.init(fetched: items, size: size, tokenKind: tokenKind, position: position, item: { $0 })
    }
}
