import Glibc
@testable import StewardServer
import Testing

/// The daemon's allocator settings reach glibc: `mallopt` is found by name
/// and accepts the option (it answers 0 for an option it does not know, so
/// a wrong option number fails here rather than passing silently).
@Suite("glibc allocator settings")
struct GlibcMallocTests {
    @Test("one arena per core is accepted")
    func arenaLimitIsAccepted() {
        #expect(GlibcMalloc.arenaLimit == Int32(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #expect(GlibcMalloc.configureForDaemon())
    }
}
