/// Text that is safe to print on a terminal: no escape sequences, no control characters.
///
/// The daemon cleans what a list sends before it stores it; `botstatsctl` cleans again what it
/// prints, since a status object may come from an older daemon, a hand-edited state file, or a
/// client of another make.
package enum TerminalText {
    /// `text` without escape sequences and control characters; line breaks and tabs become spaces.
    ///
    /// - Parameter keepingLineBreaks: keep `\n` (multi-line text such as the metrics exposition);
    ///   otherwise it becomes a space, like every other line break and tab.
    package static func removingControls(_ text: String, keepingLineBreaks: Bool = false) -> String {
        var output = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            switch scalar.value {
            case 0x1B:
                // ESC: the sequence it starts goes with it.
                pending = skipEscapeSequence(after: pending, in: &scalars)
            case 0x9B:
                // C1 CSI: parameters and intermediates up to a final byte.
                pending = skipControlSequence(from: pending, in: &scalars)
            case 0x90, 0x98, 0x9D, 0x9E, 0x9F:
                // C1 DCS, SOS, OSC, PM, APC: a string up to ST or BEL.
                pending = skipControlString(from: pending, in: &scalars)
            case 0x0A where keepingLineBreaks:
                output.append(scalar)
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029:
                output.append(" ")
            case 0x00...0x1F, 0x7F...0x9F:
                continue
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C:
                // Bidirectional controls can make text read differently from what it holds.
                continue
            default:
                output.append(scalar)
            }
        }
        return String(output)
    }

    /// After ESC: CSI (`ESC [`), the control strings (`ESC ]`, `ESC P`, `ESC X`, `ESC ^`, `ESC _`),
    /// or a short sequence of intermediates and one final character. Returns the scalar after it.
    private static func skipEscapeSequence(
        after first: Unicode.Scalar?, in scalars: inout String.UnicodeScalarView.Iterator
    ) -> Unicode.Scalar? {
        guard let first else { return nil }
        switch first {
        case "[": return skipControlSequence(from: scalars.next(), in: &scalars)
        case "]", "P", "X", "^", "_": return skipControlString(from: scalars.next(), in: &scalars)
        default:
            var next: Unicode.Scalar? = first
            // Intermediates 0x20–0x2F, then one final 0x30–0x7E.
            while let scalar = next, (0x20...0x2F).contains(scalar.value) { next = scalars.next() }
            if let scalar = next, (0x30...0x7E).contains(scalar.value) { return scalars.next() }
            return next
        }
    }

    /// CSI: parameters 0x30–0x3F and intermediates 0x20–0x2F up to one final 0x40–0x7E.
    private static func skipControlSequence(
        from first: Unicode.Scalar?, in scalars: inout String.UnicodeScalarView.Iterator
    ) -> Unicode.Scalar? {
        var next = first
        while let scalar = next, (0x20...0x3F).contains(scalar.value) { next = scalars.next() }
        if let scalar = next, (0x40...0x7E).contains(scalar.value) { return scalars.next() }
        return next
    }

    /// A control string: everything up to BEL, ESC `\` or C1 ST.
    private static func skipControlString(
        from first: Unicode.Scalar?, in scalars: inout String.UnicodeScalarView.Iterator
    ) -> Unicode.Scalar? {
        var next = first
        while let scalar = next {
            switch scalar.value {
            case 0x07, 0x9C:
                return scalars.next()
            case 0x1B:
                let after = scalars.next()
                return after == "\\" ? scalars.next() : after
            default:
                next = scalars.next()
            }
        }
        return nil
    }
}
