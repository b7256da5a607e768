import Foundation
import StewardModel

/// What each write does to a connection's record, once for both stores:
/// they write the same change to their tables and return the record built
/// here, without reading it back.
extension ConnectionRecord {
    /// The first transition of every connection.
    static func registration(by createdBy: UInt32) -> StateChange {
        StateChange(to: .registered, actor: createdBy, reason: "registered")
    }

    /// A connection as its creation stores it: REGISTERED, at revision 1.
    static func registered(key: String, settings: ConnectionSettings, createdBy: UInt32, at now: Date)
        -> ConnectionRecord
    {
        ConnectionRecord(
            key: key, settings: settings, state: .registered, revision: 1, settingsRevision: 1,
            createdAt: now, updatedAt: now, createdBy: createdBy)
    }

    /// After an update: new settings (the settings revision moves with the
    /// revision unless only unvalidated fields changed), and the
    /// state its change names, if any.
    func updated(by update: ConnectionUpdate, at now: Date) -> ConnectionRecord {
        var record = self
        record.settings = update.settings
        record.state = update.stateChange?.to ?? state
        record.revision = update.expectedRevision + 1
        // A change only of fields that no check depends on (such as
        // provision_missing_roles) leaves the last validation current
        // (``ConnectionSettingsFieldDescriptor/checksToRerun``).
        let changed = ConnectionSettingsField.allCases.filter { $0.text(in: settings) != $0.text(in: update.settings) }
        let validationStays = update.password == nil && !changed.isEmpty && changed.allSatisfy(\.descriptor.checksToRerun.isEmpty)
        if !validationStays { record.settingsRevision = record.revision }
        record.updatedAt = now
        return record
    }

    /// After a transition: the new state at the next revision (the settings'
    /// revision stays).
    func transitioned(by change: StateChange, at now: Date) -> ConnectionRecord {
        var record = self
        record.state = change.to
        record.revision += 1
        record.updatedAt = now
        return record
    }
}

extension RegistryRules {
    /// Only an INACTIVE connection may be deleted.
    static func checkDeletable(_ record: ConnectionRecord) throws(StoreError) {
        guard record.state == .inactive else {
            throw StoreError(
                .failedPrecondition,
                "connection \"\(record.key)\" is \(record.state.rawValue); only an INACTIVE "
                    + "connection can be deleted (deactivate it first)")
        }
    }
}
