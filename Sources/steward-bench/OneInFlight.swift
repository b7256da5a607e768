/// One-call-in-flight latency of stewardd's calls beside the raw floor,
/// measured in turns: the floor, then each call, `rounds` times over. This
/// machine's speed drifts by more than the targets' margins within a run
/// (the floor's p50 moved from 9 to 58 µs between runs minutes apart), so a
/// floor measured once, before calls that take a minute, judged them
/// against another machine; in turns, a drift moves floor and calls alike.
enum OneInFlight {
    struct Result {
        var floor: LatencySamples
        var calls: [LoadCall]
        var samples: [(LatencySamples, errors: Int)]
    }

    static let rounds = 10

    static func measure(socketPath: String, calls: [LoadCall], pings: Int) throws -> Result {
        let perRound = max(1, pings / rounds)
        var floor = LatencySamples(capacity: pings)
        var samples = calls.map { _ in (LatencySamples(capacity: pings), errors: 0) }
        for _ in 0..<rounds {
            floor = floor.merged(with: RawFloor.pingLatency(calls: perRound))
            for (index, call) in calls.enumerated() {
                let (round, errors) = try LoadClient.pingLatency(socketPath: socketPath, call: call, calls: perRound)
                samples[index].0 = samples[index].0.merged(with: round)
                samples[index].errors += errors
            }
        }
        return Result(floor: floor, calls: calls, samples: samples)
    }
}
