import BotStatsProtocol

/// A table while its document is being parsed: TOML lets a table grow under several headers and
/// dotted keys, so the parser needs a shared, mutable node; the result is a `TOMLTableNode`.
final class TOMLTableBuilder {
    /// How the table came to exist, which decides what may still add to it (TOML 1.0 §Table).
    enum Origin {
        /// The document's top level.
        case root
        /// Named only as the parent of a header (`[a.b]` makes `a`); a later `[a]` may define it.
        case implicit
        /// Defined by its own `[header]`; defining it again is an error.
        case header
        /// Made by a dotted key (`a.b = 1` makes `a`); only more dotted keys may add to it.
        case dotted
        /// One element of an array of tables (`[[a]]`).
        case arrayElement
        /// An inline table while its braces are read; once closed it is a sealed value.
        case inline
    }

    /// One key of the table while parsing.
    enum Slot {
        /// A finished value: strings, numbers, static arrays and inline tables (which are sealed).
        case value(TOMLNode)
        case table(TOMLTableBuilder)
        case tableArray(TOMLTableArrayBuilder)
    }

    var origin: Origin
    let position: TOMLPosition?
    private(set) var order: [String] = []
    private(set) var slots: [String: Slot] = [:]
    private(set) var keyPositions: [String: TOMLPosition] = [:]

    init(origin: Origin, position: TOMLPosition?) {
        self.origin = origin
        self.position = position
    }

    func insert(_ slot: Slot, for key: String, at position: TOMLPosition) {
        if slots[key] == nil {
            order.append(key)
            keyPositions[key] = position
        }
        slots[key] = slot
    }

    /// The finished table, keys in the order they were first written.
    func build() -> TOMLTableNode {
        TOMLTableNode(
            position: position,
            entries: order.map { key in
                let value: TOMLNode
                switch slots[key]! {
                case .value(let node): value = node
                case .table(let table): value = .table(table.build())
                case .tableArray(let array): value = .array(array.tables.map { .table($0.build()) })
                }
                return TOMLTableNode.Entry(key: key, value: value, position: keyPositions[key]!)
            })
    }
}

/// An array of tables (`[[a]]`) while parsing: each header appends one table.
final class TOMLTableArrayBuilder {
    private(set) var tables: [TOMLTableBuilder] = []
    /// Where the first `[[a]]` was written.
    let position: TOMLPosition

    init(position: TOMLPosition) {
        self.position = position
    }

    func append(_ table: TOMLTableBuilder) {
        tables.append(table)
    }
}
