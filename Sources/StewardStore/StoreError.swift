import StewardWire

/// A failure of the registry store, with the status a client sees.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let notFound = Code("notFound")
        public static let alreadyExists = Code("alreadyExists")
        public static let constraintViolation = Code("constraintViolation")
        public static let corrupt = Code("corrupt")
        public static let io = Code("io")
    }

    public var code: Code
    /// Safe to show a client.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
