import Glibc

/// How many processors are online: what the blocking pool and the
/// allocator's arenas are sized by, read in one place.
public enum OnlineProcessors {
    /// At least 1, whatever `sysconf` says.
    public static var count: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
