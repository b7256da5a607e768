import Crypto
import Foundation

/// Seals secrets with AES-256-GCM under the store key.
///
/// A sealed value is `nonce (12) ‖ ciphertext ‖ tag (16)`, with a fresh
/// random nonce each time. The associated data binds the ciphertext to its
/// purpose and owner: for a password, the connection and where the password
/// may be sent (``PasswordBinding``), so a sealed value copied onto another
/// row, or left on a row whose destination changed, does not open.
package struct SecretCipher: Sendable {
    private let key: StoreKey

    package init(key: StoreKey) {
        self.key = key
    }

    /// The plaintext of the key-check value in `meta`: proves at open that
    /// the key file belongs to this store.
    static let keyCheckPlaintext = Array("steward registry key check".utf8)
    static let keyCheckContext = "steward/key-check/v1"

    /// The associated data of passwords sealed before they were bound to
    /// their destination: only read, by the one-time reseal at open
    /// (``PasswordReseal``).
    static func legacyPasswordContext(connectionKey: String) -> String {
        "steward/connection-password/v1/" + connectionKey
    }

    package func seal(_ plaintext: [UInt8], context: String) throws(StoreError) -> [UInt8] {
        try seal(plaintext, associatedData: Array(context.utf8))
    }

    func seal<Plaintext: DataProtocol>(_ plaintext: Plaintext, associatedData: [UInt8]) throws(StoreError) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(
                plaintext, using: key.symmetricKey, nonce: AES.GCM.Nonce(), authenticating: associatedData)
            guard let combined = box.combined else {
                throw StoreError(.io, "the registry store could not encrypt a secret")
            }
            return [UInt8](combined)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "the registry store could not encrypt a secret", detail: "\(error)")
        }
    }

    /// Opens a sealed value; nil when the key or the context is wrong or the
    /// bytes were changed (the tag does not verify).
    package func open(_ sealed: [UInt8], context: String) -> [UInt8]? {
        open(sealed, associatedData: Array(context.utf8))
    }

    func open(_ sealed: [UInt8], associatedData: [UInt8]) -> [UInt8]? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let plaintext = try? AES.GCM.open(box, using: key.symmetricKey, authenticating: associatedData)
        else { return nil }
        // swift-crypto returns a Data of its own that cannot be wiped;
        // copying it out and wiping the copy after use keeps the number of
        // plaintext copies the daemon holds to that one, short-lived.
        return [UInt8](plaintext)
    }

    package func seal(_ secret: Secret, for binding: PasswordBinding) throws(StoreError) -> [UInt8] {
        var plaintext = secret.withExposedBytes { [UInt8]($0) }
        defer { plaintext.wipe() }
        return try seal(plaintext, associatedData: binding.associatedData)
    }

    /// Opens a stored password for the destination the caller is about to
    /// send it to. Fails when the password was sealed for another host,
    /// port, username or TLS setting: the row changed without the password.
    package func openPassword(_ sealed: [UInt8], for binding: PasswordBinding) throws(StoreError) -> Secret {
        guard var bytes = open(sealed, associatedData: binding.associatedData) else {
            throw Self.bindingMismatch(binding.connectionKey)
        }
        defer { bytes.wipe() }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw Self.bindingMismatch(binding.connectionKey) }
        return Secret(utf8: bytes)
    }

    /// Seals a stored password again for a new destination (an update that
    /// keeps the password), after checking it opens for the old one.
    package func reseal(_ sealed: [UInt8], from old: PasswordBinding, to new: PasswordBinding) throws(StoreError) -> [UInt8] {
        try seal(try openPassword(sealed, for: old), for: new)
    }

    static func bindingMismatch(_ connectionKey: String) -> StoreError {
        StoreError(
            .failedPrecondition,
            "the stored password of connection \"\(connectionKey)\" does not open for the connection's current "
                + "host, port, username and TLS settings (they were changed outside Steward, or the password "
                + "was damaged), so it is not sent anywhere: update the connection with its password again",
            detail: "AES-GCM authentication failed for the password binding")
    }

    package func makeKeyCheck() throws(StoreError) -> [UInt8] {
        try seal(Self.keyCheckPlaintext, context: Self.keyCheckContext)
    }

    package func verifyKeyCheck(_ sealed: [UInt8]) -> Bool {
        open(sealed, context: Self.keyCheckContext) == Self.keyCheckPlaintext
    }
}

extension SecretCipher {
    /// The sealed password an update stores: the new password sealed for the
    /// new settings, or the stored one resealed for them. Every update
    /// reseals, so the seal always matches the row it is on; the stored one
    /// must open for the row's current settings first, so a row changed
    /// behind the daemon's back is not "repaired" into a valid one.
    /// `stored` is read only when the update keeps the stored password: a
    /// replaced one is never read, let alone opened.
    func sealForUpdate(
        _ update: ConnectionUpdate, current: ConnectionRecord, stored: () throws -> [UInt8]
    ) throws -> [UInt8] {
        let binding = PasswordBinding(connectionKey: update.key, settings: update.settings)
        if let password = update.password { return try seal(password, for: binding) }
        return try reseal(stored(), from: PasswordBinding(connectionKey: current.key, settings: current.settings), to: binding)
    }
}
