import ArgumentParser
import Foundation
import StewardPostgres

/// Which PostgreSQL server a bench uses: by default the PostgreSQL 17 that
/// `scripts/postgres-servers.sh` runs (its `env` variables), else flags.
struct PostgresTarget: ParsableArguments {
    @Option(help: "Server prefix in the environment (STEWARD_<PREFIX>_HOST, …).")
    var server = "PG17"

    func parameters(database: String = "postgres") throws -> ConnectionParameters {
        let environment = ProcessInfo.processInfo.environment
        func value(_ suffix: String) throws -> String {
            let name = "STEWARD_\(server)_\(suffix)"
            guard let value = environment[name], !value.isEmpty else {
                throw ValidationError("\(name) is not set; run: eval \"$(bash scripts/postgres-servers.sh env)\"")
            }
            return value
        }
        return ConnectionParameters(
            host: try value("HOST"), port: Int(try value("PORT")) ?? 5432, database: database,
            user: try value("USER"), password: try value("PASSWORD"))
    }
}
