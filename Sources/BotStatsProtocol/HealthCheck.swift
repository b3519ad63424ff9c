import FoundationEssentials

/// `botstatsctl check`: a monitoring-plugin verdict over the status object.
///
/// OK (0) when every enabled target posted successfully within twice its bot's repost interval;
/// WARNING (1) when one is retrying, rate limited or pending its first post; CRITICAL (2) when one
/// is unauthorized, rejected, circuit-open or has not posted for longer than that, whatever its
/// state (retrying or rate limited included).
package enum HealthCheck {
    /// The plugin exit code and its one summary line.
    package struct Verdict: Sendable, Equatable {
        package var code: Int32
        package var line: String
    }

    /// Judges `report` at `now`, using each bot's `repost_interval_seconds` from the status object.
    package static func verdict(_ report: StatusReport, now: Date) -> Verdict {
        if report.dryRun {
            let lists = report.bots.flatMap(\.targets).filter { $0.state != .disabled }.count
            return Verdict(code: 1, line: "BOTSTATSD WARNING - dry run: nothing is posted to any of \(lists) lists")
        }
        var critical: [String] = []
        var warning: [String] = []
        var ok = 0
        for bot in report.bots {
            let allowed = Double(bot.repostIntervalSeconds ?? 3600) * 2
            for target in bot.targets where target.state != .disabled {
                let name = "\(bot.name)/\(target.name)"
                switch target.state {
                case .unauthorized, .rejected, .circuitOpen:
                    critical.append("\(name) \(target.state.rawValue)")
                    continue
                case .retrying, .rateLimited:
                    // Waiting is normal for a while; not posting for two repost intervals is not.
                    let since = target.lastSuccessAt ?? bot.counts.updatedAt
                    if let since, now.timeIntervalSince(since) > allowed {
                        let last =
                            target.lastSuccessAt == nil
                            ? "never posted" : "last posted \(DurationText.format(roundedToSeconds: .seconds(now.timeIntervalSince(since)))) ago"
                        critical.append("\(name) \(target.state.rawValue), \(last)")
                    } else {
                        warning.append("\(name) \(target.state.rawValue)")
                    }
                    continue
                default:
                    break
                }
                if let success = target.lastSuccessAt {
                    let age = now.timeIntervalSince(success)
                    if age > allowed {
                        critical.append("\(name) last posted \(DurationText.format(roundedToSeconds: .seconds(age))) ago")
                    } else {
                        ok += 1
                    }
                } else if bot.counts.servers == nil {
                    warning.append("\(name) has no counts yet")
                } else if target.state == .pending {
                    warning.append("\(name) pending its first post")
                } else {
                    critical.append("\(name) never posted")
                }
            }
        }
        let total = ok + warning.count + critical.count
        if !critical.isEmpty {
            return Verdict(code: 2, line: "BOTSTATSD CRITICAL - \(critical.joined(separator: ", "))" + tail(ok, total))
        }
        if !warning.isEmpty {
            return Verdict(code: 1, line: "BOTSTATSD WARNING - \(warning.joined(separator: ", "))" + tail(ok, total))
        }
        return Verdict(code: 0, line: "BOTSTATSD OK - \(ok)/\(total) lists posted on time")
    }

    private static func tail(_ ok: Int, _ total: Int) -> String { "; \(ok)/\(total) lists ok" }
}
