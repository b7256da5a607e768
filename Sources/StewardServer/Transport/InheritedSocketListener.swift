import Dispatch
import Glibc
import StewardWire

/// What `StewardServer` needs of its listener: to stop it.
protocol ListeningSocket: AnyObject, Sendable {
    /// Stops accepting. Call on the accept queue.
    func stop()
}

extension SocketListener: ListeningSocket {}

/// A listening socket somebody else made and bound (systemd's
/// `stewardd.socket`, handed over by socket activation): served as it is,
/// with the accept loop of ``SocketListener``.
///
/// Its file belongs to whoever bound it, who keeps it across restarts of the
/// daemon, so `stop()` closes the descriptor and never removes the file;
/// its directory and modes were set by them too (`SocketMode=`,
/// `SocketGroup=`, `RuntimeDirectoryMode=`).
final class InheritedSocketListener: ListeningSocket, @unchecked Sendable {
    private let source: DispatchSourceRead
    private var isStopped = false

    /// - Parameter fd: a listening, non-blocking `AF_UNIX` stream socket,
    ///   owned from here on (closed when the listener stops).
    init(fd: Int32, queue: DispatchQueue, onAccept: @escaping @Sendable (_ fd: Int32) -> Void) {
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler {
            SocketListener.acceptAll(on: fd, onAccept)
        }
        source.setCancelHandler { close(fd) }
        source.resume()
    }

    func stop() {
        guard !isStopped else { return }
        isStopped = true
        source.cancel()
    }
}
