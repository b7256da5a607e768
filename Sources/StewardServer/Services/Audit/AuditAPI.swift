import Foundation
import StewardCore
import StewardStore
import StewardWire

/// `steward.v1.Audit`: the RPC face of ``AuditLog``.
public enum AuditAPI {
    public static func register(in router: inout Router, log: AuditLog) {
        router.register(StewardV1.Audit.list, policy: .requires(.eitherAdmin)) { request, context in
            let page = try log.list(
                try filter(request),
                page: PageRequest(size: Int(request.pageSize), token: request.pageToken.isEmpty ? nil : request.pageToken),
                caller: context.caller)
            return StewardV1.ListAuditEventsResponse(events: page.items.map(message), nextPageToken: page.nextPageToken ?? "")
        }
    }

    static func filter(_ request: StewardV1.ListAuditEventsRequest) throws(DomainError) -> AuditFilter {
        var filter = AuditFilter()
        if request.fromUnixMs != 0 { filter.from = try date(request.fromUnixMs, field: "from_unix_ms") }
        if request.untilUnixMs != 0 { filter.until = try date(request.untilUnixMs, field: "until_unix_ms") }
        if let from = filter.from, let until = filter.until, until <= from {
            throw .invalidArgument("until_unix_ms", "must be after from_unix_ms")
        }
        if !request.userName.isEmpty { filter.userName = request.userName }
        if !request.connectionKey.isEmpty { filter.connectionKey = request.connectionKey }
        if !request.method.isEmpty { filter.method = request.method }
        if case .uid(let uid)? = request.uidFilter { filter.uid = uid }
        switch request.outcome {
        case .unspecified: break
        case .succeeded: filter.outcome = .succeeded
        case .failed: filter.outcome = .failed
        case .denied: filter.outcome = .denied
        default: throw .invalidArgument("outcome", "must be SUCCEEDED, FAILED, DENIED or unspecified")
        }
        return filter
    }

    @Sendable static func message(_ event: AuditEvent) -> StewardV1.AuditEvent {
        StewardV1.AuditEvent(
            id: UInt64(event.id), atUnixMs: Int64((event.at.timeIntervalSince1970 * 1000).rounded(.down)), uid: event.uid,
            userName: event.userName ?? "", method: event.method, target: event.target ?? "",
            connectionKey: event.connectionKey ?? "", code: event.status.rawValue, message: event.message)
    }

    /// Years 1 to 9999, the range every store and client can represent;
    /// Int64.max milliseconds once overflowed the store's microseconds.
    static let unixMillisecondsRange: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    private static func date(_ unixMilliseconds: Int64, field: String) throws(DomainError) -> Date {
        guard unixMillisecondsRange.contains(unixMilliseconds) else {
            throw .invalidArgument(
                field, "\(unixMilliseconds) is outside years 1 to 9999 (\(unixMillisecondsRange.lowerBound) to \(unixMillisecondsRange.upperBound))")
        }
        return Date(timeIntervalSince1970: Double(unixMilliseconds) / 1000)
    }
}
