import CLibFuzzer

/// What every fuzz target's executable shares (Fuzz/Targets/fuzz-*/Entry.swift).
public enum FuzzDriver {
    /// The signature libFuzzer calls an input with.
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// `body` on the input's bytes; libFuzzer wants 0 back.
    public static func run(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: (UnsafeRawBufferPointer) -> Void) -> CInt {
        body(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }

    /// The process's entry in a debug build, where SwiftPM binds `main` to
    /// `<module>_main` (so that tests could import an executable): libFuzzer's
    /// driver, as its own `main` would run it. A release build has no such
    /// binding and links libFuzzer's `main` instead.
    public static func main(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ testOneInput: TestOneInput
    ) -> CInt {
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
    }
}
