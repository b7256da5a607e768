import StewardModel
import StewardStore

/// What one validation is asked to prove, apart from how to connect.
struct ValidationRequest: Sendable {
    /// The connection key, as the marker row names it.
    let key: String
    let settings: ConnectionSettings
    /// The marker this registration's setup script writes (`SetupScript.marker`).
    let marker: String
    /// What the connection governs: failures beyond it are WARNINGs.
    var governed: GovernedRelations = .everything

    /// The role Steward logs in as.
    var role: String { settings.username }
}
