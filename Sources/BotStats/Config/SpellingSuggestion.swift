import BotStatsProtocol

/// The known name a misspelt one was most likely meant to be: `repost_intervall` → `repost_interval`.
enum SpellingSuggestion {
    /// The candidate closest to `word`, when it is close enough to be a typo rather than another word:
    /// at most one edit for short words, two for words of five characters or more. Case is ignored,
    /// and a swap of two neighbouring letters counts as one edit.
    static func closest(to word: String, among candidates: some Collection<String>) -> String? {
        let allowed = word.count >= 5 ? 2 : 1
        var best: (name: String, distance: Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(word.lowercased(), candidate.lowercased())
            if distance <= allowed, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        // Words longer than any key are not typos of one, and the table is quadratic.
        guard a.count <= 64, b.count <= 64 else { return Int.max }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, table[i - 2][j - 2] + 1)
                }
                table[i][j] = value
            }
        }
        return table[a.count][b.count]
    }
}
