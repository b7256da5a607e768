import StewardModel
import StewardPostgres
import StewardStore

/// The first four checks — reachable, tls, login, server_version — decided
/// from how opening a session went.
enum SessionChecks {
    /// The checks a failed connection attempt decides, and the one that
    /// failed (the rest are meaningless without a session).
    static func connectFailure(_ error: PostgresError, target: ValidationTarget) -> (results: [ValidationCheck: CheckResult], failed: ValidationCheck) {
        let essence = ServerMessage.essence(of: error)
        switch error.kind {
        case .unreachable, .timeout:
            return ([.reachable: ValidationCheck.reachable.failed("cannot reach \(target.address): \(essence)")], .reachable)
        case .tls:
            return ([
                .reachable: reachablePassed(target),
                .tls: ValidationCheck.tls.failed(TLSFailure.message(essence, target: target)),
            ], .tls)
        case _ where error.kind == .authentication || LoginFailure.isRoleConnectionLimit(essence):
            return ([
                .reachable: reachablePassed(target),
                .tls: tls(usesTLS: nil, target: target),
                .login: LoginFailure.result(error, target: target),
            ], .login)
        default:
            // The server answered but ended the session before it was ready
            // (too many connections, shutting down, a broken link).
            return ([
                .reachable: reachablePassed(target),
                .tls: tls(usesTLS: nil, target: target),
                .login: ValidationCheck.login.failed("the server ended the connection before the login completed: \(essence)"),
            ], .login)
        }
    }

    static func reachablePassed(_ target: ValidationTarget) -> CheckResult {
        ValidationCheck.reachable.passed("connected to \(target.address)")
    }

    static func loginPassed(_ target: ValidationTarget) -> CheckResult {
        ValidationCheck.login.passed("logged in as \(SQLQuoting.identifier(target.settings.username))")
    }

    /// TLS as the settings require. `usesTLS` nil: not known, because the
    /// login failed before a session existed.
    static func tls(usesTLS: Bool?, target: ValidationTarget) -> CheckResult {
        let check = ValidationCheck.tls
        let mode = target.settings.sslMode
        let required = [.require, .verifyCA, .verifyFull].contains(mode)
        if target.settings.deploymentType == .neon {
            guard mode == .verifyFull else {
                return check.failed("NEON connections require sslmode=verify-full (TLS with certificate verification), not \(mode.rawValue)")
            }
            if usesTLS == false || target.isLocalSocket {
                return check.failed("NEON connections require TLS, but this connection is not encrypted")
            }
        }
        if usesTLS == true || (usesTLS == nil && required && !target.isLocalSocket) {
            // libpq sets TLS up before the login when the mode requires it,
            // so a failed login still proves the handshake.
            switch mode {
            case .verifyFull: return check.passed("TLS in use; the server's certificate and host name were verified (sslmode=verify-full)")
            case .verifyCA: return check.passed("TLS in use; the server's certificate was verified, its host name not (sslmode=verify-ca)")
            case .require: return check.passed("TLS in use, without verifying the server's certificate (sslmode=require)")
            default: return check.passed("TLS in use (sslmode=\(mode.rawValue))")
            }
        }
        if target.isLocalSocket {
            return check.passed("connected over the local Unix socket in \(target.settings.host): traffic stays on this host, so TLS does not apply")
        }
        if usesTLS == nil {
            return check.warning("sslmode=\(mode.rawValue) does not require TLS, and whether traffic would be encrypted is unknown because the login failed")
        }
        if required {
            return check.failed("sslmode=\(mode.rawValue) requires TLS, but the connection is not encrypted")
        }
        if mode == .disable {
            return check.warning("traffic is not encrypted: sslmode=disable turns TLS off; use require or verify-full")
        }
        return check.warning("traffic is not encrypted: the server did not offer TLS and sslmode=\(mode.rawValue) does not require it")
    }

    /// PostgreSQL 16 and 17 pass; anything else fails with its version.
    static func serverVersion(number: Int) -> CheckResult {
        let version = versionText(number)
        guard supportedMajorVersions.contains(number / 10_000) else {
            return ValidationCheck.serverVersion.failed("PostgreSQL \(version) is not supported; Steward supports 16 and 17")
        }
        return ValidationCheck.serverVersion.passed("PostgreSQL \(version)")
    }

    static let supportedMajorVersions: ClosedRange<Int> = 16...17

    /// `PQserverVersion`'s number as people write it: 170010 → `17.10`,
    /// 90624 → `9.6.24` (before 10 the major version had two parts).
    static func versionText(_ number: Int) -> String {
        number >= 100_000
            ? "\(number / 10_000).\(number % 10_000)"
            : "\(number / 10_000).\(number / 100 % 100).\(number % 100)"
    }
}

/// What a TLS failure means, in words an administrator can act on.
enum TLSFailure {
    static func message(_ essence: String, target: ValidationTarget) -> String {
        let lower = essence.lowercased()
        let mode = target.settings.sslMode.rawValue
        let given = target.settings.caCertificate != nil
        let reason: String
        if lower.contains("does not support ssl") {
            reason = "the server does not offer TLS, but sslmode=\(mode) requires it"
        } else if lower.contains("no pg_hba.conf entry") && lower.contains("no encryption") {
            reason = "the server accepts this login only over TLS, but sslmode=\(mode) did not use it"
        } else if lower.contains("certificate verify failed") {
            reason = given
                ? "the server's certificate is not trusted: the connection's CA bundle did not sign it"
                : "the server's certificate is not trusted: no CA bundle was given and the default one did not sign it"
        } else if lower.contains("does not match host name") {
            reason = "the server's certificate does not name the host \(target.settings.host)"
        } else if lower.contains("root certificate file") {
            reason = "no CA bundle to verify the server with: give the connection's CA certificate (sslmode=\(mode) verifies the server)"
        } else {
            reason = "TLS could not be set up (sslmode=\(mode))"
        }
        return "\(reason) (\(essence))"
    }
}
