import StewardModel
import StewardStore

extension ConnectionLifecycle {
    /// One legal move of the lifecycle, as the registry records it.
    public struct Transition: Sendable, Hashable, CustomStringConvertible {
        public var from: LifecycleState
        public var to: LifecycleState

        public init(from: LifecycleState, to: LifecycleState) {
            self.from = from
            self.to = to
        }

        public var description: String { "\(from.rawValue)→\(to.rawValue)" }
    }

    /// Every (from, to) pair some event allows, read off ``outcome(of:in:)``
    /// itself, so the pairs cannot drift from the rules. The shared
    /// registry's transition trigger must allow exactly these (a test holds
    /// the migration's frozen copy equal to this set).
    public static var legalTransitions: Set<Transition> {
        var pairs = Set<Transition>()
        for state in LifecycleState.allCases {
            for event in Event.allCases {
                if case .moveTo(let next)? = try? outcome(of: event, in: state) {
                    pairs.insert(Transition(from: state, to: next))
                }
            }
        }
        return pairs
    }
}
