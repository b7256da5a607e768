import StewardCore
import StewardModel
import StewardStore

/// `steward_governed_connections{state=…}`: the registry's connections by
/// lifecycle state, counted when metrics are read (a few pages of the
/// connection list per scrape; nothing is kept between scrapes).
enum GovernedConnectionCounts {
    static func gaugeSource(_ service: ConnectionsService) -> GaugeSource {
        {
            LifecycleState.allCases.compactMap { state in
                guard let count = try? count(state, in: service) else { return nil }
                return GaugeReading(label: "steward_governed_connections", dimensions: [("state", state.rawValue)], value: Double(count))
            }
        }
    }

    private static func count(_ state: LifecycleState, in service: ConnectionsService) throws -> Int {
        var total = 0
        var token: String?
        repeat {
            let page = try service.list(state: state, page: PageRequest(size: PageRequest.maximumSize, token: token))
            total += page.items.count
            token = page.nextPageToken
        } while token != nil
        return total
    }
}
