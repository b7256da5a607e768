import Crypto
import StewardPostgres

/// The schema digests of a database computed on this side, from relations
/// a sync has read anyway (its first sync of a database reads them all):
/// byte for byte the text ``PostgresCatalog/schemaDigests(of:on:deadline:)``
/// has the server hash, so that the next sync's server digests match them.
/// That query is the definition of the text; this is its mirror, and
/// `LocalSchemaDigestTests` holds the two equal on real servers (hostile and
/// non-ASCII names included). Asking the server instead would read the
/// whole catalog a second time.
enum LocalSchemaDigests {
    /// The digest of each schema of `relations` (which must be every
    /// relation outside PostgreSQL's own schemas, as
    /// ``PostgresCatalog/syncedRelations(of:inSchemas:on:deadline:)`` reads
    /// them with no schema named), or nil when the server must compute them:
    /// the names are not UTF-8 on both sides, or a schema is missing from
    /// `context`.
    static func digests(
        of relations: [PostgresCatalog.SyncedRelation], context: PostgresCatalog.DigestContext
    ) -> [PostgresCatalog.SchemaDigest]? {
        guard context.isUTF8 else { return nil }
        // Grouped by the name's bytes: two canonically equivalent names (é
        // composed and decomposed) are two schemas to PostgreSQL. Indexes,
        // not copies, of a first sync's hundred thousand relations.
        var bySchema: [[UInt8]: [Int]] = [:]
        for (index, relation) in relations.enumerated() { bySchema[Array(relation.table.schema.utf8), default: []].append(index) }
        var digests: [PostgresCatalog.SchemaDigest] = []
        for members in bySchema.values {
            let schema = relations[members[0]].table.schema
            guard let grantable = context.grantable(schema) else { return nil }
            digests.append(digest(schema: schema, members, of: relations, roleLine: context.roleLine, grantable: grantable))
        }
        return digests.sorted { Array($0.schema.utf8).lexicographicallyPrecedes($1.schema.utf8) }
    }

    /// One schema's text: the role's line; the number of relations and
    /// whether the role may grant USAGE; then one line per relation in byte
    /// order of its name (`COLLATE "C"`), each variable field
    /// length-prefixed by its length in characters (`length()`).
    static func digest(
        schema: String, _ members: [Int], of relations: [PostgresCatalog.SyncedRelation], roleLine: String, grantable: String
    ) -> PostgresCatalog.SchemaDigest {
        var text = CanonicalText()
        text.append(roleLine)
        text.append("\n")
        text.append(members.count)
        text.append(":\(grantable)\n")
        // The catalog gives them in the database's collation; the digest
        // orders them byte for byte, which is usually the same order.
        func precedes(_ one: Int, _ other: Int) -> Bool {
            relations[one].table.name.utf8.lexicographicallyPrecedes(relations[other].table.name.utf8)
        }
        var ordered = members
        if !zip(ordered, ordered.dropFirst()).allSatisfy(precedes) { ordered.sort(by: precedes) }
        var plain = isPlain(schema)
        for (index, member) in ordered.enumerated() {
            let table = relations[member].table
            if index > 0 { text.append("\n") }
            text.prefixed(table.name)
            text.append(String(table.kind.relkind))
            text.append(relations[member].ownerOID)
            text.append(":")
            text.prefixed(relations[member].acl ?? "")
            text.append(table.columns.count)
            text.append("#")
            plain = plain && isPlain(table.name)
            for column in table.columns {
                text.prefixed(column.name)
                text.prefixed(column.type)
                text.append(column.position)
                text.append(";")
                plain = plain && isPlain(column.name) && isPlain(column.type)
            }
        }
        let hex = SHA256.hash(data: text.bytes).map { byte in
            String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
        }.joined()
        return PostgresCatalog.SchemaDigest(
            schema: schema, relations: members.count, digest: hex, usageGrantable: grantable == "true", plainNames: plain)
    }

    /// Printable ASCII only (`~ '^[ -~]*$'`).
    static func isPlain(_ name: String) -> Bool {
        name.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// The UTF-8 bytes of the text being built.
    struct CanonicalText {
        var bytes: [UInt8] = []

        mutating func append(_ string: String) { bytes.append(contentsOf: string.utf8) }

        /// In decimal, as PostgreSQL writes a number into text.
        mutating func append(_ number: Int) {
            if number < 0 { bytes.append(UInt8(ascii: "-")) }
            var magnitude = number.magnitude
            let start = bytes.count
            repeat {
                bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
                magnitude /= 10
            } while magnitude > 0
            bytes[start...].reverse()
        }

        /// `length(field) || ':' || field`: PostgreSQL counts characters,
        /// which in a UTF8 database are Unicode scalars: every byte of the
        /// (valid) UTF-8 that does not continue a scalar starts one.
        mutating func prefixed(_ field: String) {
            append(field.utf8.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) })
            bytes.append(UInt8(ascii: ":"))
            append(field)
        }
    }
}
