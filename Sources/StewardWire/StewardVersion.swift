/// The version every Steward executable and library reports.
public enum StewardVersion {
    public static let current = "0.1.0"
}
