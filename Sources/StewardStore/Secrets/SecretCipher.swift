import Crypto
import Foundation

/// Seals secrets with AES-256-GCM under the store key.
///
/// A sealed value is `nonce (12) ‖ ciphertext ‖ tag (16)`, with a fresh
/// random nonce each time. The associated data binds the ciphertext to its
/// purpose and owner (for a password, the connection key), so a sealed value
/// copied onto another row does not open.
package struct SecretCipher: Sendable {
    private let key: StoreKey

    package init(key: StoreKey) {
        self.key = key
    }

    /// The plaintext of the key-check value in `meta`: proves at open that
    /// the key file belongs to this store.
    static let keyCheckPlaintext = Array("steward registry key check".utf8)
    static let keyCheckContext = "steward/key-check/v1"

    static func passwordContext(connectionKey: String) -> String {
        "steward/connection-password/v1/" + connectionKey
    }

    package func seal(_ plaintext: [UInt8], context: String) throws(StoreError) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(
                plaintext, using: key.symmetricKey, nonce: AES.GCM.Nonce(),
                authenticating: Array(context.utf8))
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
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let plaintext = try? AES.GCM.open(
                box, using: key.symmetricKey, authenticating: Array(context.utf8))
        else { return nil }
        return [UInt8](plaintext)
    }

    package func seal(_ secret: Secret, connectionKey: String) throws(StoreError) -> [UInt8] {
        try seal(Array(secret.exposedValue.utf8), context: Self.passwordContext(connectionKey: connectionKey))
    }

    package func openPassword(_ sealed: [UInt8], connectionKey: String) throws(StoreError) -> Secret {
        guard let bytes = open(sealed, context: Self.passwordContext(connectionKey: connectionKey)),
            let text = String(validating: bytes, as: UTF8.self)
        else {
            throw StoreError(
                .corrupt, "the stored password of connection \"\(connectionKey)\" cannot be decrypted",
                detail: "AES-GCM authentication failed")
        }
        return Secret(text)
    }

    package func makeKeyCheck() throws(StoreError) -> [UInt8] {
        try seal(Self.keyCheckPlaintext, context: Self.keyCheckContext)
    }

    package func verifyKeyCheck(_ sealed: [UInt8]) -> Bool {
        open(sealed, context: Self.keyCheckContext) == Self.keyCheckPlaintext
    }
}
