import Glibc
import StewardModel

/// Waits until `fd` is ready for `events` or the deadline passes; returns
/// false on timeout. Retries EINTR.
func waitForSocket(_ fd: Int32, events: Int16, until deadline: Deadline) -> Bool {
    while true {
        let remaining = deadline.remainingMilliseconds
        if remaining == 0 { return false }
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        let result = poll(&descriptor, 1, Int32(min(remaining, Int(Int32.max))))
        if result > 0 { return true }
        if result == 0 { return false }
        if errno != EINTR { return true }  // let libpq report the error
    }
}
