import StewardModel
import Testing

@Suite("Deadline")
struct DeadlineTests {
    @Test("A timeout too large to represent never passes, and does not trap")
    func saturates() {
        #expect(Deadline.after(milliseconds: .max, from: 1).uptimeNanoseconds == .max)
        #expect(Deadline.after(milliseconds: 1, from: .max - 10).uptimeNanoseconds == .max)
        #expect(Deadline.after(milliseconds: 2, from: 5).uptimeNanoseconds == 2_000_005)
    }

    @Test("Time left is rounded up to whole milliseconds, 0 once passed")
    func remaining() {
        #expect(Deadline.after(milliseconds: 0).hasPassed)
        let soon = Deadline.after(milliseconds: 60_000).remainingMilliseconds
        #expect(soon > 59_000 && soon <= 60_000)
    }
}
