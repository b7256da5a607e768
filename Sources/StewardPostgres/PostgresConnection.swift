import CLibPQ
import Glibc
import StewardModel

/// One libpq connection (`PGconn`), owned here and finished exactly once.
///
/// Blocking: every method waits on the server (bounded by its deadline).
/// Use it from ``PostgresExecutor``, never on a thread that serves sockets.
/// Not thread-safe; one task uses it at a time.
public final class PostgresConnection {
    private var handle: OpaquePointer?
    public let parameters: ConnectionParameters

    /// The server's version as libpq reports it (`PQserverVersion`), e.g. 170010.
    public let serverVersionNumber: Int
    /// The server's `server_version` as it reported it at login
    /// (`PQparameterStatus`), e.g. `17.4 (Debian 17.4-1.pgdg120+2)`; the
    /// server chooses this text.
    public let serverVersionText: String?
    /// Whether the connection is encrypted (`PQsslInUse`).
    public let usesTLS: Bool

    /// The major version, e.g. 17.
    public var serverMajorVersion: Int { serverVersionNumber / 10_000 }

    private init(handle: OpaquePointer, parameters: ConnectionParameters) {
        // libpq prints NOTICEs to stderr by default; a daemon's stderr is its
        // log, and notices there would be noise without context.
        PQsetNoticeReceiver(handle, { _, _ in }, nil)
        self.handle = handle
        self.parameters = parameters
        serverVersionNumber = Int(PQserverVersion(handle))
        serverVersionText = PQparameterStatus(handle, "server_version").map { String(cString: $0) }
        usesTLS = PQsslInUse(handle) == 1
    }

    deinit {
        // Finishing here too keeps a thrown-away connection from leaking,
        // but callers should `close()`: this is the safety net, not the plan.
        if let handle { PQfinish(handle) }
    }

    /// Connects (`PQconnectStartParams` + `PQconnectPoll`), waiting at most
    /// until `deadline`. The `PGconn` is finished on every failure path.
    ///
    /// A governed login under `sslmode` prefer or allow over TCP
    /// (``ConnectionParameters/connectsTLSFirst``) is made with
    /// `sslmode=require` and `channel_binding=require` first; only when the
    /// server answers the TLS request with "no" is it made again, in the
    /// clear under ``AuthenticationRequestGuard``, within the same deadline.
    /// A failure for any other reason is not retried.
    ///
    /// - Parameter statementDeadline: when given, the session's
    ///   `statement_timeout` is the time left until it, so the server itself
    ///   ends work that outlives the call it serves.
    public static func connect(
        _ parameters: ConnectionParameters, deadline: Deadline, statementDeadline: Deadline? = nil
    ) throws(PostgresError) -> PostgresConnection {
        if parameters.connectsTLSFirst,
           let connection = try connectOnce(
               parameters.with(sslMode: .require), reportedAs: parameters, deadline: deadline,
               statementDeadline: statementDeadline, clearFallback: true) {
            return connection
        }
        let clear = parameters.connectsTLSFirst ? parameters.with(sslMode: .disable) : parameters
        guard let connection = try connectOnce(
            clear, reportedAs: parameters, deadline: deadline, statementDeadline: statementDeadline, clearFallback: false)
        else {
            // connectOnce returns nil only when given a fallback.
            throw PostgresError(kind: .connectionLost, message: "libpq ended the connection attempt without a connection or an error")
        }
        return connection
    }

    /// One connection attempt with exactly `parameters`; the connection
    /// reports `reported` as what it was asked for.
    ///
    /// - Parameter clearFallback: the caller tries in the clear when the
    ///   server has no TLS: then nil is returned when the server answers
    ///   the TLS request with "no", instead of libpq's error.
    private static func connectOnce(
        _ parameters: ConnectionParameters, reportedAs reported: ConnectionParameters, deadline: Deadline,
        statementDeadline: Deadline?, clearFallback: Bool
    ) throws(PostgresError) -> PostgresConnection? {
        // libpq's own connect_timeout (whole seconds, at least 2) backs up the
        // polling deadline below.
        let pairs = parameters.keywordValues(
            connectTimeoutSeconds: max(2, (deadline.remainingMilliseconds + 999) / 1000),
            statementTimeoutMilliseconds: statementDeadline.map { max(1, $0.remainingMilliseconds) })
        let handle = withCStringArrays(pairs) { keywords, values in
            PQconnectStartParams(keywords, values, 0)
        }
        guard let handle else {
            throw PostgresError(kind: .connectionLost, message: "libpq could not allocate a connection")
        }
        let connected: Bool
        do {
            connected = try pollUntilConnected(handle, deadline: deadline, parameters: parameters, clearFallback: clearFallback)
        } catch {
            PQfinish(handle)
            throw error
        }
        guard connected else {
            PQfinish(handle)
            return nil
        }
        return PostgresConnection(handle: handle, parameters: reported)
    }

    /// The value of libpq's `keyword` on this connection (`PQconninfo`), for
    /// tests that check what libpq was asked for (`sslmode`, `channel_binding`).
    package func libpqOptionForTesting(_ keyword: String) -> String? {
        guard let handle, let options = PQconninfo(handle) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let name = option.pointee.keyword {
            if String(cString: name) == keyword { return option.pointee.val.map { String(cString: $0) } }
            option += 1
        }
        return nil
    }

    /// Closes the connection (`PQfinish`). Safe to call twice.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Runs one parameterised statement (`PQsendQueryParams`, text format)
    /// and returns its rows. When `deadline` passes first, a cancel request
    /// goes to the server in the background (``CancelRequests``) and
    /// `.timeout` is thrown once the server has stopped the statement, or
    /// at most ``cancelGraceMilliseconds`` later with the connection closed:
    /// `PQcancel`'s own wait would hold the caller for as long as a server
    /// that has stopped answering stays stopped.
    public func query(_ sql: String, _ parameters: [String?] = [], deadline: Deadline) throws(PostgresError) -> QueryResult {
        guard let handle else { throw PostgresError(kind: .connectionLost, message: "the connection is closed") }
        let sent = withOptionalCStrings(parameters) { values in
            PQsendQueryParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw connectionError(handle) }
        return try results(handle, deadline: deadline)
    }

    /// Prepares `sql` as the named statement of this connection
    /// (`PQsendPrepare`): the server parses and plans it once, and
    /// ``query(prepared:_:deadline:)`` runs it by name. The name is the
    /// caller's to keep unique on this connection.
    public func prepare(_ name: String, _ sql: String, parameterCount: Int, deadline: Deadline) throws(PostgresError) {
        guard let handle else { throw PostgresError(kind: .connectionLost, message: "the connection is closed") }
        guard PQsendPrepare(handle, name, sql, Int32(parameterCount), nil) == 1 else { throw connectionError(handle) }
        _ = try results(handle, deadline: deadline)
    }

    /// Runs the statement prepared as `name` (`PQsendQueryPrepared`), as
    /// ``query(_:_:deadline:)`` runs a text.
    public func query(prepared name: String, _ parameters: [String?] = [], deadline: Deadline) throws(PostgresError) -> QueryResult {
        guard let handle else { throw PostgresError(kind: .connectionLost, message: "the connection is closed") }
        let sent = withOptionalCStrings(parameters) { values in
            PQsendQueryPrepared(handle, name, Int32(parameters.count), values, nil, nil, 0)
        }
        guard sent == 1 else { throw connectionError(handle) }
        return try results(handle, deadline: deadline)
    }

    /// One statement of a ``pipeline(_:deadline:)``: a text with its
    /// parameters, or a statement this connection prepared, by name.
    public enum PipelinedStatement {
        case text(String, [String?])
        case prepared(String, [String?])
    }

    /// What a pipeline's statements did: the rows of each that ran, in
    /// order, and the first failure (with the failing statement's index),
    /// after which nothing ran.
    public struct PipelineOutcome: Sendable {
        public var results: [QueryResult]
        public var failure: (index: Int, error: PostgresError)?
    }

    /// Sends `statements` together and waits once (libpq's pipeline mode,
    /// one Sync): one round trip for all of them instead of one each. A
    /// statement that fails ends the pipeline (inside a transaction block
    /// the transaction is then failed, as after one failed statement) and is
    /// named in the outcome; only a lost connection or a passed deadline is
    /// thrown. Past `deadline` a cancel request goes out and the connection
    /// is closed: a pipeline cut off half read cannot be resumed.
    public func pipeline(_ statements: [PipelinedStatement], deadline: Deadline) throws(PostgresError) -> PipelineOutcome {
        guard let handle else { throw PostgresError(kind: .connectionLost, message: "the connection is closed") }
        guard PQenterPipelineMode(handle) == 1 else { throw connectionError(handle) }
        for statement in statements {
            let sent: Int32
            switch statement {
            case .text(let sql, let parameters):
                sent = withOptionalCStrings(parameters) { values in
                    PQsendQueryParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
                }
            case .prepared(let name, let parameters):
                sent = withOptionalCStrings(parameters) { values in
                    PQsendQueryPrepared(handle, name, Int32(parameters.count), values, nil, nil, 0)
                }
            }
            guard sent == 1 else { throw abandon(handle) }
        }
        guard PQpipelineSync(handle) == 1 else { throw abandon(handle) }
        var results: [QueryResult] = []
        var current: QueryResult?
        var failure: (index: Int, error: PostgresError)?
        readLoop: while true {
            while PQisBusy(handle) == 1 {
                guard waitForSocket(PQsocket(handle), events: Int16(POLLIN), until: deadline) else {
                    CancelRequests.send(for: handle)
                    _ = PQsetnonblocking(handle, 1)
                    close()
                    throw PostgresError(
                        kind: .timeout, message: "the statements passed their deadline; their session was closed")
                }
                guard PQconsumeInput(handle) == 1 else { throw connectionError(handle) }
            }
            // Each statement's results end with a null; the Sync's own
            // result ends the pipeline.
            guard let result = PQgetResult(handle) else {
                if failure == nil { results.append(current ?? QueryResult(columns: [], rows: [])) }
                current = nil
                continue
            }
            let owned = ResultHandle(result)
            switch PQresultStatus(result) {
            case PGRES_PIPELINE_SYNC:
                break readLoop
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                current = QueryResult(copying: owned)
            case PGRES_PIPELINE_ABORTED:
                // Skipped after an earlier failure, which is the one reported.
                continue
            default:
                // The statement that failed is the one after those that ran.
                failure = failure ?? (results.count, owned.error())
            }
        }
        guard PQexitPipelineMode(handle) == 1 else { throw abandon(handle) }
        return PipelineOutcome(results: results, failure: failure)
    }

    /// Gives up a connection whose pipeline is in an unknown state.
    private func abandon(_ handle: OpaquePointer) -> PostgresError {
        let error = connectionError(handle)
        close()
        return error
    }

    /// Reads every result of the statement just sent, by `deadline`.
    private func results(_ handle: OpaquePointer, deadline: Deadline) throws(PostgresError) -> QueryResult {
        var results: [QueryResult] = []
        var failure: PostgresError?
        while true {
            while PQisBusy(handle) == 1 {
                guard waitForSocket(PQsocket(handle), events: Int16(POLLIN), until: deadline) else {
                    throw cancel(handle)
                }
                guard PQconsumeInput(handle) == 1 else { throw connectionError(handle) }
            }
            guard let result = PQgetResult(handle) else { break }
            let owned = ResultHandle(result)
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                results.append(QueryResult(copying: owned))
            default:
                failure = failure ?? owned.error()
            }
        }
        if let failure { throw failure }
        return results.last ?? QueryResult(columns: [], rows: [])
    }

    /// Ends a statement past its deadline without waiting on the server
    /// for long: the cancel request goes out in the background; a server
    /// that answers within ``cancelGraceMilliseconds`` has ended the
    /// statement and the session stays usable, and one that does not (a
    /// frozen server) has its session closed, in non-blocking mode so that
    /// libpq's goodbye cannot wait on a full socket either.
    private func cancel(_ handle: OpaquePointer) -> PostgresError {
        CancelRequests.send(for: handle)
        let grace = Deadline.after(milliseconds: Self.cancelGraceMilliseconds)
        var ended = true
        while ended && PQisBusy(handle) == 1 {
            ended = waitForSocket(PQsocket(handle), events: Int16(POLLIN), until: grace) && PQconsumeInput(handle) == 1
        }
        if ended {
            while let result = PQgetResult(handle) { PQclear(result) }
            return PostgresError(kind: .timeout, message: "the statement passed its deadline and was cancelled on the server")
        }
        _ = PQsetnonblocking(handle, 1)
        close()
        return PostgresError(
            kind: .timeout, message: "the statement passed its deadline and the server did not stop it; its session was closed")
    }

    /// How long past a deadline a statement's server may take to acknowledge
    /// the cancel before the session is given up.
    static let cancelGraceMilliseconds = 500

    /// Polls libpq until connected (true) or failed (thrown); with
    /// `clearFallback`, false when the failure is the server's "no" to the
    /// TLS request.
    private static func pollUntilConnected(
        _ handle: OpaquePointer, deadline: Deadline, parameters: ConnectionParameters, clearFallback: Bool
    ) throws(PostgresError) -> Bool {
        guard PQstatus(handle) != CONNECTION_BAD else { throw classifyConnectFailure(handle, parameters) }
        var status = PGRES_POLLING_WRITING
        let guardsRequests = parameters.needsAuthenticationRequestGuard
        var serverAnsweredNoTLS = false
        while true {
            switch status {
            case PGRES_POLLING_OK:
                return true
            case PGRES_POLLING_FAILED:
                // Only the server's own "no" to the TLS request, seen on the
                // socket, marks a failure as the server having no TLS;
                // libpq's words are not relied on for it.
                if clearFallback && serverAnsweredNoTLS { return false }
                throw classifyConnectFailure(handle, parameters)
            default:
                let events = status == PGRES_POLLING_READING ? Int16(POLLIN) : Int16(POLLOUT)
                guard waitForSocket(PQsocket(handle), events: events, until: deadline) else {
                    throw PostgresError(
                        kind: .timeout,
                        message: "no connection to \(parameters.host):\(parameters.port) within the deadline")
                }
                if clearFallback && !serverAnsweredNoTLS { serverAnsweredNoTLS = TLSAnswer.isNo(handle) }
                // libpq reads in every call while it awaits the server's
                // authentication messages, whatever it last asked to wait for.
                if guardsRequests {
                    try AuthenticationRequestGuard.check(handle, deadline: deadline, parameters: parameters)
                }
                status = PQconnectPoll(handle)
            }
        }
    }

    private func connectionError(_ handle: OpaquePointer) -> PostgresError {
        PostgresError(kind: .connectionLost, message: Self.errorMessage(handle))
    }

    static func errorMessage(_ handle: OpaquePointer) -> String {
        guard let text = PQerrorMessage(handle) else { return "unknown libpq error" }
        return trimmed(String(cString: text))
    }
}

/// `text` without leading and trailing whitespace (libpq ends messages with a newline).
func trimmed(_ text: String) -> String {
    var characters = Substring(text)
    while characters.first?.isWhitespace == true { characters.removeFirst() }
    while characters.last?.isWhitespace == true { characters.removeLast() }
    return String(characters)
}

