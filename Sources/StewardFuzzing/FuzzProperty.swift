/// A property a fuzz target holds production code to, beyond "does not
/// crash". Broken, it stops the process with its message, which libFuzzer
/// reports as a crash and saves with the input that broke it; in the test
/// suite's corpus replay it fails the test the same way.
@inline(never)
func expect(_ holds: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !holds() { fatalError("fuzz property broken: \(message())") }
}
