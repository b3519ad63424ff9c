import FoundationEssentials

/// The human rendering of a status object, as `botstatsctl status` prints it.
package enum StatusText {
    /// One line for the daemon, one block per bot, one row per target.
    ///
    /// - Parameter colour: colour the state column (only for a terminal without `NO_COLOR`).
    package static func render(_ report: StatusReport, now: Date, colour: Bool = false) -> String {
        var lines: [String] = []
        /// Lines before this index are cleaned already (and table rows may hold colour codes).
        var cleanedLines = 0
        lines.append(
            "botstatsd \(report.version), pid \(report.pid), up \(DurationText.format(roundedToSeconds: .seconds(report.uptimeSeconds))), config \(report.configPath) loaded \(ago(report.configLoadedAt, now: now))"
        )
        if let error = report.lastReloadError { lines.append("  last reload FAILED: \(error)") }
        if report.dryRun {
            lines.append("  DRY RUN: nothing is sent to any list; requests are only logged, and no list has accepted anything")
        }
        for bot in report.bots {
            lines.append("")
            var counts = "no counts yet"
            if let servers = bot.counts.servers {
                counts = "\(servers) servers"
                if let users = bot.counts.users { counts += ", \(users) users" }
                if let shards = bot.counts.shards { counts += ", \(shards) shards" }
                if let updated = bot.counts.updatedAt { counts += " (set \(ago(updated, now: now)))" }
            }
            lines.append("bot \(bot.name) (\(bot.id)): \(counts)")
            let posted = bot.lastPostedAt.map { ago($0, now: now) } ?? "never"
            let next = bot.nextRepostInSeconds.map { "in " + DurationText.format(roundedToSeconds: .seconds($0)) } ?? "-"
            lines.append("  last posted \(posted), next repost \(next)")
            if let shards = bot.shards {
                var line = "  shards: \(shards.reported)/\(shards.count) reported"
                if !shards.missing.isEmpty { line += "; waiting for \(shards.missing.map(String.init).joined(separator: ","))" }
                if !shards.stale.isEmpty {
                    line += "; STALE (\(shards.staleCount)): \(shards.stale.map(String.init).joined(separator: ","))"
                    if shards.staleCount > shards.stale.count { line += ",…" }
                }
                lines.append(line)
            }
            if let source = bot.source, source.kind == "discord" {
                var line = "  counts from Discord, last fetched \(source.lastFetchAt.map { ago($0, now: now) } ?? "never")"
                if let error = source.lastError { line += "; FETCH FAILED: \(error) (keeping the last counts)" }
                lines.append(line)
            }
            if let held = bot.held {
                lines.append("  HELD BACK: \(held.servers) servers: \(held.reason)")
            }
            let header = ["TARGET", "PROVIDER", "STATE", "LAST OK", "HTTP", "LIMIT", "NEXT", "ERROR"]
            var rows = [header]
            for target in bot.targets {
                let window: String
                if let remaining = target.rateLimit.remaining {
                    window = "\(remaining)/\(target.rateLimit.limit.map(String.init) ?? "?")"
                } else {
                    window = "-"
                }
                let nextAttempt =
                    target.nextAttemptAt.map { $0 > now ? "in " + DurationText.format(roundedToSeconds: .seconds($0.timeIntervalSince(now))) : "now" } ?? "-"
                rows.append([
                    target.name, target.provider, target.state.rawValue,
                    target.lastSuccessAt.map { ago($0, now: now) } ?? "never",
                    target.lastStatus.map(String.init) ?? "-", window, nextAttempt,
                    target.lastError.map { String($0.prefix(60)) } ?? "",
                ])
            }
            // Whatever a list or a state file put in a name or an error, the terminal gets only
            // text; the colours are added after.
            rows = rows.map { $0.map { TerminalText.removingControls($0) } }
            for index in cleanedLines..<lines.count { lines[index] = TerminalText.removingControls(lines[index]) }
            let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for (number, row) in rows.enumerated() {
                let padded = row.enumerated().map { index, cell in
                    let text = index == row.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[index] - cell.count))
                    guard colour, index == 2, number > 0, let state = TargetState(rawValue: cell) else { return text }
                    return paint(text, for: state)
                }
                var line = "  " + padded.joined(separator: "  ")
                while line.last == " " { line.removeLast() }
                lines.append(line)
            }
            cleanedLines = lines.count
        }
        for index in cleanedLines..<lines.count { lines[index] = TerminalText.removingControls(lines[index]) }
        return lines.joined(separator: "\n")
    }

    private static func paint(_ text: String, for state: TargetState) -> String {
        let code: String
        switch state {
        case .ok: code = "32"
        case .pending, .retrying, .rateLimited: code = "33"
        case .unauthorized, .rejected, .circuitOpen: code = "31"
        case .disabled: code = "2"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// `12m ago`, `just now`, or `in 5m` for a date in the future.
    package static func ago(_ date: Date, now: Date) -> String {
        let delta = now.timeIntervalSince(date)
        if abs(delta) < 1 { return "just now" }
        if delta < 0 { return "in " + DurationText.format(roundedToSeconds: .seconds(-delta)) }
        return DurationText.format(roundedToSeconds: .seconds(delta)) + " ago"
    }
}
