import StewardModel
import StewardStore

/// ImportMappings: many mappings from a CSV, all or none.
extension UsersService {
    /// Rows one ImportMappings call may carry.
    public static var maxImportRows: Int { CSVImport<IdentityMapping>.maxRows }
    /// Bad rows an import failure lists by line (the rest are counted).
    public static var maxReportedProblems: Int { CSVImport<IdentityMapping>.maxReportedProblems }

    /// Sets every mapping of a CSV (`user,connection,kind,value`) or none:
    /// any bad row fails the call with INVALID_ARGUMENT listing every bad
    /// row by line.
    public func importMappings(csv: String, dryRun: Bool, call: AuditedCall) throws(DomainError) -> Int {
        let caller = call.caller
        return try audit.audited(call) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "import mappings")
            // The store's rules (users and connections exist, one username per
            // user per connection) are checked with the file's.
            return try MappingImport(csv: csv).table.apply(dryRun: dryRun) { rows, dryRun throws(StoreError) in
                try store.importMappings(rows, dryRun: dryRun)
            }
        }
    }
}
