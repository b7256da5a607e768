import Foundation
import StewardWire

/// Connects to a Unix socket as another uid, so the daemon's `SO_PEERCRED`
/// sees that uid, without creating an OS account or a child process.
///
/// The kernel records the peer's credentials at `connect`. Credentials are
/// per thread in the kernel; glibc's `setresuid` changes every thread of the
/// process (it must, for POSIX), which would disturb the tests running
/// beside this one, so the raw system call is made instead, on a thread of
/// its own, and undone before the thread ends. Needs root.
enum ConnectAsUID {
    private typealias Syscall = @convention(c) (Int, Int, Int, Int) -> Int

    #if arch(x86_64)
    private static let setresuidNumber = 117
    #elseif arch(arm64)
    private static let setresuidNumber = 147
    #endif

    // `syscall` is variadic, which Swift cannot call; with integer arguments
    // only, calling it through a fixed prototype is the same call on both ABIs.
    private static let syscall: Syscall = unsafeBitCast(dlsym(nil, "syscall"), to: Syscall.self)

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A connected, non-blocking socket whose peer credentials carry `uid`.
    static func connect(to path: String, asUID uid: uid_t) async throws -> Int32 {
        try await offThePool {
            // Only the effective uid changes; the real and saved uid stay 0,
            // which is what allows changing it back.
            guard syscall(setresuidNumber, -1, Int(uid), -1) == 0 else {
                throw Failure(description: "setresuid(-1, \(uid), -1) failed: errno \(errno)")
            }
            let result = Result { try UnixSocket.connect(to: path) }
            guard syscall(setresuidNumber, -1, 0, -1) == 0 else {
                // This thread cannot be trusted with root again: end the run.
                fatalError("could not restore the effective uid 0: errno \(errno)")
            }
            return try result.get()
        }
    }
}
