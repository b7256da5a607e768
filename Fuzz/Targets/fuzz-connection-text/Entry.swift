import FuzzDriver
import StewardFuzzing

// libFuzzer's two entry points for `ConnectionTextFuzzing`: connection parameters, names and CA bundles as text from outside.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { FuzzDriver.run(data, size, ConnectionTextFuzzing.run) }
@_cdecl("fuzz_connection_text_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { FuzzDriver.main(argc, argv, fuzzOneInput) }
