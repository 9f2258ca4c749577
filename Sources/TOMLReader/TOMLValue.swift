/// Where something stands in a TOML document: 1-based line and column (columns count
/// Unicode scalars, so a multi-byte character is one column).
public struct TOMLPosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A TOML date, time or date-time, kept as written (TOML 1.0 §Offset Date-Time to §Local Time).
public struct TOMLDateTime: Sendable, Hashable {
    public struct Date: Sendable, Hashable {
        public var year: Int
        public var month: Int
        public var day: Int
    }

    public struct Time: Sendable, Hashable {
        public var hour: Int
        public var minute: Int
        public var second: Int
        /// Fractional seconds as written after the dot ("" when absent).
        public var fraction: String
    }

    public var date: Date?
    public var time: Time?
    /// Offset from UTC in minutes, when the value has one (`Z` is 0).
    public var offsetMinutes: Int?
}

/// A TOML value. Tables and arrays carry the positions of what they hold.
public enum TOMLValue: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case dateTime(TOMLDateTime)
    case array(TOMLArray)
    case table(TOMLTable)

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var bool: Bool? { if case .boolean(let b) = self { b } else { nil } }
    /// The integer, when it is one and fits an `Int`.
    public var int: Int? { if case .integer(let i) = self { Int(exactly: i) } else { nil } }
    public var double: Double? { if case .float(let d) = self { d } else { nil } }
    public var table: TOMLTable? { if case .table(let t) = self { t } else { nil } }
    public var array: [TOMLValue]? { if case .array(let a) = self { a.elements } else { nil } }
    public var arrayWithPositions: TOMLArray? { if case .array(let a) = self { a } else { nil } }
    /// The date of a local-date value (`2027-01-31`); nil for date-times and times.
    public var date: TOMLDateTime.Date? { if case .dateTime(let d) = self, d.time == nil { d.date } else { nil } }

    /// How the value is called in messages ("a string", "an array", ...).
    public var kindDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .dateTime: "a date-time"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A TOML array with the position of each element.
public struct TOMLArray: Sendable, Hashable {
    public var elements: [TOMLValue]
    public var positions: [TOMLPosition]
    /// Where the array starts (its `[`, or the first `[[...]]` header of an array of tables).
    public var position: TOMLPosition
}

/// A TOML table: keys in document order, each with where its key and its value stand.
public struct TOMLTable: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var value: TOMLValue
        public var keyPosition: TOMLPosition
        public var valuePosition: TOMLPosition
    }

    /// Keys in the order they first appeared.
    public private(set) var keys: [String] = []
    private var entries: [String: Entry] = [:]
    /// Where the table was opened: its header, its `{`, or the key that created it.
    public var position: TOMLPosition

    public init(position: TOMLPosition) { self.position = position }

    public subscript(key: String) -> TOMLValue? { entries[key]?.value }
    public func entry(_ key: String) -> Entry? { entries[key] }
    public var isEmpty: Bool { keys.isEmpty }

    mutating func insert(_ key: String, _ entry: Entry) {
        if entries.updateValue(entry, forKey: key) == nil { keys.append(key) }
    }
}
