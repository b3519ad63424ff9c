import BotStatsProtocol

/// A line and column in a TOML file, both counted from 1; columns count Unicode scalars.
struct TOMLPosition: Sendable, Equatable {
    var line: Int
    var column: Int
}

/// One value of a parsed TOML document.
///
/// The configuration reads strings, integers, booleans, floats and tables; dates and times are
/// kept as written, only so that a key holding one can be reported as the wrong type.
indirect enum TOMLNode: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// An offset or local date-time, date or time, as written.
    case dateTime(String)
    case array([TOMLNode])
    case table(TOMLTableNode)

    /// The value's type with an article, for "expected a string, got an integer".
    var typeDescription: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a floating-point number"
        case .boolean: return "a boolean"
        case .dateTime: return "a date or time"
        case .array: return "an array"
        case .table: return "a table"
        }
    }
}

/// A parsed TOML table: its keys in the order of the file, each with the position of its key.
///
/// Positions are what the TOML library the loader used before could not give: every error about
/// a key can name its line, including keys of implicit tables (`[target.topgg]` defines `target`
/// on that header's line) and of inline tables.
struct TOMLTableNode: Sendable, Equatable {
    /// One key of the table.
    struct Entry: Sendable, Equatable {
        var key: String
        var value: TOMLNode
        /// Where the key was first written (for a table: its header, or the dotted key that made it).
        var position: TOMLPosition
    }

    /// Where the table itself was defined; nil for the document's top level.
    var position: TOMLPosition?
    var entries: [Entry]

    init(position: TOMLPosition? = nil, entries: [Entry] = []) {
        self.position = position
        self.entries = entries
    }

    /// The keys in file order.
    var keys: [String] { entries.map(\.key) }

    subscript(key: String) -> TOMLNode? {
        entries.first { $0.key == key }?.value
    }

    /// Where `key` was written, or nil when the table has no such key.
    func position(of key: String) -> TOMLPosition? {
        entries.first { $0.key == key }?.position
    }
}
