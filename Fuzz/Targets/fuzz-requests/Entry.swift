import FuzzDriver
import StewardFuzzing

// libFuzzer's two entry points for `RequestDecodingFuzzing`: a request of one of the contract's methods, decoded as the routes do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { FuzzDriver.run(data, size, RequestDecodingFuzzing.run) }
@_cdecl("fuzz_requests_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { FuzzDriver.main(argc, argv, fuzzOneInput) }
