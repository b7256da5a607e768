import StewardCore
import StewardStore
import Testing

extension SyncServiceTests {
    @Test("A table whose schema, table or column name holds a line break is not stored; the scan names it, escaped")
    func hostileNamesNotStored() async throws {
        try connection("sales-db", governed: ["sales"])
        let hostile = [
            Self.table("s\n\\! touch /tmp/x", "t", [("id", "integer")]),
            Self.table("public", "t\n\\gexec", [("id", "integer")]),
            Self.table("public", "cols", [("id\r\\i /tmp/x", "integer")]),
        ]
        scanner.set("sales", [Self.orders] + hostile)
        let progress = ProgressRecorder()
        let outcome = try await sync("sales-db", progress: progress)
        #expect(outcome.summary.added == ["sales-db.sales.public.orders"])
        #expect(progress.recorded == [
            #"scanned sales 1 refused "s\n\! touch /tmp/x"."t", "public"."t\n\gexec", "public"."cols""#,
        ])
        #expect(try Set(dataSources("sales-db").keys) == ["sales-db.sales.public.orders"])
        let note = try #require(SyncService.note(refused: ["\"a\"", "\"b\""]))
        #expect(note.hasPrefix("2 tables not synced: "))
    }
}
