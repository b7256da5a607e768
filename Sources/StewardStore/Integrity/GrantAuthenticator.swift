import Crypto
import StewardModel

/// MACs for the rows that grant authority (`user_permissions`), so that
/// whoever can write the registry's tables but does not hold the registry
/// key cannot make an administrator (docs/shared-mode.md).
///
/// The MAC is HMAC-SHA256 under a key derived from the registry key with
/// HKDF (its own `info`, so it is never the key that seals passwords), over
/// a canonical encoding of the grant bound to the row's identity: the
/// user's row id and uid as well as the permission. A MAC copied onto
/// another user's row, or a user whose uid was rewritten to someone
/// else's, does not verify.
package struct GrantAuthenticator: Sendable {
    // Kept as bytes: swift-crypto's SymmetricKey is not Sendable.
    private let keyBytes: [UInt8]
    /// Grants whose MAC has verified: every call's caller lookup reads the
    /// caller's grants again (so a revoke holds from the next call), and
    /// an HMAC per grant per call was a large share of a call's cost.
    private let verifiedGrants = VerifiedGrants()

    static let derivationSalt = Array("steward registry".utf8)
    static let derivationInfo = Array("steward/permission-grant-mac/v1".utf8)
    static let domain = Array("steward/permission-grant/v1".utf8)

    package init(key: StoreKey) {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key.symmetricKey, salt: Self.derivationSalt, info: Self.derivationInfo,
            outputByteCount: 32)
        keyBytes = derived.withUnsafeBytes { [UInt8]($0) }
    }

    /// The MAC a row granting `permission` to the user with row id `userID`
    /// and `uid` carries.
    package func mac(userID: Int64, uid: UInt32, permission: Permission) -> [UInt8] {
        let code = HMAC<SHA256>.authenticationCode(
            for: Self.message(userID: userID, uid: uid, permission: permission),
            using: SymmetricKey(data: keyBytes))
        return Array(code)
    }

    /// Whether `mac` is the MAC of this grant (compared in constant time);
    /// false for a missing one.
    package func verifies(_ mac: [UInt8]?, userID: Int64, uid: UInt32, permission: Permission) -> Bool {
        guard let mac, mac.count == SHA256.byteCount else { return false }
        // The same grant with the same MAC verified before: it verifies
        // again (the MAC is a function of the grant under this key). Only
        // grants that verified are remembered, so a forged MAC always
        // meets the HMAC.
        let grant = VerifiedGrant(userID: userID, uid: uid, permission: permission, mac: mac)
        if verifiedGrants.contains(grant) { return true }
        let message = Self.message(userID: userID, uid: uid, permission: permission)
        let valid = HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: SymmetricKey(data: keyBytes))
        if valid { verifiedGrants.insert(grant) }
        return valid
    }

    /// Fixed-width integers and a length-prefixed name after a domain
    /// label: no two different grants encode to the same bytes.
    static func message(userID: Int64, uid: UInt32, permission: Permission) -> [UInt8] {
        var bytes = domain
        bytes.append(0)
        withUnsafeBytes(of: UInt64(bitPattern: userID).bigEndian) { bytes += $0 }
        withUnsafeBytes(of: uid.bigEndian) { bytes += $0 }
        let name = Array(permission.rawValue.utf8)
        withUnsafeBytes(of: UInt32(name.count).bigEndian) { bytes += $0 }
        bytes += name
        return bytes
    }
}

extension GrantAuthenticator {
    /// One stored grant as a store reads it.
    package struct StoredGrant: Sendable {
        package var permission: String
        package var mac: [UInt8]?

        package init(permission: String, mac: [UInt8]?) {
            self.permission = permission
            self.mac = mac
        }
    }

    /// The permissions among `grants` whose MACs verify for this user, and
    /// the rest (ignored). Both stores read permissions through this, so
    /// that SQLite and PostgreSQL answer a lookup the same way.
    package func verified(
        _ grants: [StoredGrant], userID: Int64, uid: UInt32, userName: String
    ) -> (permissions: Set<Permission>, unverified: [UnverifiedGrant]) {
        var permissions = Set<Permission>()
        var unverified: [UnverifiedGrant] = []
        for grant in grants {
            if let permission = Permission(rawValue: grant.permission),
                verifies(grant.mac, userID: userID, uid: uid, permission: permission)
            {
                permissions.insert(permission)
            } else {
                unverified.append(
                    UnverifiedGrant(userID: userID, uid: uid, userName: userName, permission: grant.permission))
            }
        }
        return (permissions, unverified)
    }
}

/// One grant and its MAC, as remembered once verified: a few words to hash
/// (the caller lookup of every call asks), not the encoded message.
private struct VerifiedGrant: Hashable {
    let userID: Int64
    let uid: UInt32
    let permission: Permission
    /// The 32 bytes of the MAC as four words.
    let mac: SIMD4<UInt64>

    /// `mac` is 32 bytes (checked by the caller).
    init(userID: Int64, uid: UInt32, permission: Permission, mac: [UInt8]) {
        self.userID = userID
        self.uid = uid
        self.permission = permission
        // Four loads, no array: this runs for every grant of every call.
        self.mac = mac.withUnsafeBytes { bytes in
            func word(_ index: Int) -> UInt64 { bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) }
            return SIMD4(word(0), word(1), word(2), word(3))
        }
    }
}

/// The grants a ``GrantAuthenticator`` has verified, bounded: forgotten all
/// at once past a limit, then learnt again. Read by every call's caller
/// lookup at once, written only when a grant is first seen.
private final class VerifiedGrants: Sendable {
    private let grants = ReadWriteLock(Set<VerifiedGrant>())
    private static let limit = 100_000

    func contains(_ grant: VerifiedGrant) -> Bool { grants.read { $0.contains(grant) } }

    func insert(_ grant: VerifiedGrant) {
        grants.write { grants in
            if grants.count >= Self.limit { grants.removeAll() }
            grants.insert(grant)
        }
    }
}
