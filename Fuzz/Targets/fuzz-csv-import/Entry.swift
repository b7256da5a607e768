import FuzzDriver
import StewardFuzzing

// libFuzzer's two entry points for `CSVImportFuzzing`: a mapping or membership CSV file, read and checked as the imports do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { FuzzDriver.run(data, size, CSVImportFuzzing.run) }
@_cdecl("fuzz_csv_import_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { FuzzDriver.main(argc, argv, fuzzOneInput) }
