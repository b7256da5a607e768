import StewardPostgres

/// The objects a check found wanting: all of them counted, the first
/// ``limit`` listed. A database with 10,000 failing tables must not produce
/// 10,000 strings, so a name is only built while the list has room.
struct FailingObjects {
    static let limit = 20

    private(set) var count = 0
    private(set) var listed: [String] = []

    init() {}

    mutating func add(_ name: @autoclosure () -> String) {
        count += 1
        if listed.count < Self.limit { listed.append(name()) }
    }

    var isEmpty: Bool { count == 0 }
}

/// How failing objects are named in reports: each part quoted as
/// PostgreSQL would quote it, `"db"."schema"."table"`, so that names holding
/// dots or quotes stay unambiguous.
enum ObjectName {
    static func database(_ database: String) -> String {
        SQLQuoting.identifier(database)
    }

    static func schema(_ database: String, _ schema: String) -> String {
        SQLQuoting.qualified(database, schema)
    }

    static func table(_ database: String, _ schema: String, _ table: String) -> String {
        SQLQuoting.qualified(database, schema, table)
    }
}

extension FailingObjects {
    /// `first`'s objects, then `second`'s: all counted, the first ``limit`` listed.
    init(_ first: FailingObjects, then second: FailingObjects) {
        count = first.count + second.count
        listed = Array((first.listed + second.listed).prefix(Self.limit))
    }
}
