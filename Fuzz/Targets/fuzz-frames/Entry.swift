import FuzzDriver
import StewardFuzzing

// libFuzzer's two entry points for `FrameStreamFuzzing`: a client's byte stream, cut into frames and decoded as the daemon does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { FuzzDriver.run(data, size, FrameStreamFuzzing.run) }
@_cdecl("fuzz_frames_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { FuzzDriver.main(argc, argv, fuzzOneInput) }
