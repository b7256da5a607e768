import Glibc

/// The group that may connect to a socket, named for a refused user's next
/// step. The socket file may not be visible to a user outside its group
/// (its directory is 0750), so its directory's group is the answer then.
enum SocketGroup {
    static func name(of socketPath: String) -> String? {
        var info = stat()
        if stat(socketPath, &info) != 0 {
            let directory = socketPath.lastIndex(of: "/").map { String(socketPath[..<$0]) } ?? "."
            guard stat(directory.isEmpty ? "/" : directory, &info) == 0 else { return nil }
        }
        guard let group = getgrgid(info.st_gid) else { return "\(info.st_gid)" }
        return String(cString: group.pointee.gr_name)
    }
}
