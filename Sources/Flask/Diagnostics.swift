/// Where something came from: a file, and the line and column when known.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?

    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file`, `file:line` or `file:line:column`, as compilers print it.
    public var description: String {
        var text = file
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        return text
    }
}

/// Bad input from the user: a file that is missing, malformed or inconsistent.
///
/// Every command reports one of these as a single line (`path:line: error: message`)
/// and exits with status 2. Host bugs are not `InputError`s: they trap.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    public init(_ message: String, file: String, line: Int? = nil, column: Int? = nil) {
        self.init(message, at: SourceLocation(file: file, line: line, column: column))
    }

    /// One line: control characters in the place or the message are escaped (``ErrorText``).
    public var description: String {
        if let location { return ErrorText.escaped("\(location): error: \(message)") }
        return ErrorText.escaped("error: \(message)")
    }
}
