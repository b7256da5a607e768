import StewardPostgres
import StewardStore
import Testing

/// The shared registry's connection string (ConnectionParameters.parse) with
/// what fuzzing it found (Fuzz/regressions/connection-text, docs/fuzzing.md):
/// refusals that printed a name's control characters raw, a NUL that libpq
/// would have cut the value at, and the rest of an unquoted password repeated
/// in a refusal.
@Suite("Registry connection strings: hostile text is refused without echoing it raw")
struct ConnectionStringTests {
    @Test("An unknown or malformed keyword is shown escaped, never with its control characters raw")
    func controlCharactersEscaped() throws {
        // The fuzzer's first find: a bidi override (U+202E) in a word printed as it was.
        let unknown = expectStoreError(.invalidArgument) { _ = try ConnectionParameters.parse("sales\u{202E}gnp.exe") }
        #expect(unknown?.message == "the registry connection string is malformed near \"sales\\u{202E}gnp.exe\"")
        let keyword = expectStoreError(.invalidArgument) { _ = try ConnectionParameters.parse("user=a ho\u{7}st") }
        #expect(keyword?.message == "the registry connection string is malformed near \"ho\\u{0007}st\"")
        let parameter = expectStoreError(.invalidArgument) { _ = try ConnectionParameters.parse("user=a hostaddr\u{7}=1") }
        #expect(parameter?.message == "the registry connection string has an unknown parameter \"hostaddr\\u{0007}\"")
    }

    @Test("A NUL in a value, as text or as a URL's %00, is refused naming the parameter",
          arguments: ["user=steward password=a\u{0}b", "postgresql://steward:a%00b@db/registry", "postgresql://ste%00ward@db/registry"])
    func nulRefused(text: String) throws {
        let error = expectStoreError(.invalidArgument) { _ = try ConnectionParameters.parse(text) }
        #expect(error?.message.hasSuffix("holds a NUL character") == true)
        #expect(error?.message.contains("password") == true || error?.message.contains("user") == true)
    }

    @Test("The rest of an unquoted password with a space is never repeated",
          arguments: ["user=steward password=open sesame", "user=steward password=open sesame=1 host=db"])
    func unquotedPasswordNotRepeated(text: String) throws {
        let error = expectStoreError(.invalidArgument) { _ = try ConnectionParameters.parse(text) }
        #expect(error?.message.contains("sesame") == false)
        #expect(error?.message.contains("after the password") == true)
        // Quoted, the same password is fine.
        #expect(try ConnectionParameters.parse("user=steward password='open sesame'").password == "open sesame")
    }
}
