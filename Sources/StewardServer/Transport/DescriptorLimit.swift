import Glibc

/// The process's open-file limit (RLIMIT_NOFILE). Each client connection
/// holds one descriptor; the common soft limit of 1,024 runs out before the
/// daemon's own connection limit, so the soft limit is raised to the hard
/// limit at start.
struct DescriptorLimit: Equatable, CustomStringConvertible {
    var soft: rlim_t
    var hard: rlim_t

    /// RLIM_INFINITY (all ones), which Swift imports as a literal it cannot store.
    static let unlimited = rlim_t.max

    static var current: DescriptorLimit {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return DescriptorLimit(soft: limit.rlim_cur, hard: limit.rlim_max)
    }

    /// Raises the soft limit to the hard one (or as far toward it as the
    /// kernel allows) and returns the limits before and after.
    static func raiseSoftLimit() -> (before: DescriptorLimit, after: DescriptorLimit) {
        let before = current
        guard before.soft < before.hard else { return (before, before) }
        // An unlimited hard limit is not a value the kernel takes for
        // RLIMIT_NOFILE (fs.nr_open caps it): step down until one is taken.
        var target = before.hard == Self.unlimited ? rlim_t(1 << 20) : before.hard
        while target > before.soft {
            var limit = rlimit(rlim_cur: target, rlim_max: before.hard)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { break }
            target /= 2
        }
        return (before, current)
    }

    var description: String {
        "soft \(soft == Self.unlimited ? "unlimited" : String(soft)), hard \(hard == Self.unlimited ? "unlimited" : String(hard))"
    }
}
