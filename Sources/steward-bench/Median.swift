extension Array where Element == Double {
    /// The middle figure of several passes (the upper middle of an even
    /// count): one pass slowed by the machine moves it less than a mean.
    /// Nil when there is none.
    var median: Double? { isEmpty ? nil : sorted()[count / 2] }
}
