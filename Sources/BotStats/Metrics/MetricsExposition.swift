import FoundationEssentials
import Prometheus
import BotStatsProtocol

/// The Prometheus text exposition of the daemon, derived from its status object at scrape time.
///
/// Counters come from the persisted per-target totals, so they survive restarts and reloads, and
/// nothing here keeps global metrics state: each scrape fills a fresh swift-prometheus registry.
///
/// ## Metrics
/// - `botstatsd_posts_total{bot,target}` requests sent; `botstatsd_post_failures_total{bot,target,class}`
///   failed requests by class (`429`, `4xx`, `5xx`, `timeout`, `network`, `other`);
///   `botstatsd_retries_total{bot,target}` retries scheduled.
/// - `botstatsd_target_state{bot,target,state}` 1 for the current state, 0 for the others;
///   `botstatsd_target_consecutive_failures`, `botstatsd_target_last_success_timestamp_seconds`,
///   `botstatsd_target_rate_limit_remaining` (absent while unknown).
/// - `botstatsd_bot_servers`, `botstatsd_bot_users`, `botstatsd_bot_shards`,
///   `botstatsd_bot_last_posted_timestamp_seconds` `{bot}`.
/// - `botstatsd_uptime_seconds`, `botstatsd_info{version}`.
package enum MetricsExposition {
    /// The exposition text for `report`.
    package static func render(_ report: StatusReport) -> String {
        let registry = PrometheusCollectorRegistry()
        func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "botstatsd", metricName: name, unitName: unit, helpText: help)
        }
        func gauge(_ name: String, unit: String = "", labels: [(String, String)] = [], help: String, _ value: Double) {
            registry.makeGauge(descriptor: descriptor(name, unit, help), labels: labels).set(to: value)
        }
        func counter(_ name: String, labels: [(String, String)], help: String, _ value: Int) {
            registry.makeCounter(descriptor: descriptor(name, "total", help), labels: labels).increment(by: Int64(value))
        }
        gauge("info", labels: [("version", report.version)], help: "Build information.", 1)
        gauge("uptime", unit: "seconds", help: "Seconds since the daemon started.", Double(report.uptimeSeconds))
        for bot in report.bots {
            let botLabel = [("bot", bot.name)]
            func botGauge(_ name: String, unit: String = "", _ help: String, _ value: Double?) {
                guard let value else { return }
                gauge(name, unit: unit, labels: botLabel, help: help, value)
            }
            botGauge("bot_servers", "Servers in the cached counts.", bot.counts.servers.map(Double.init))
            botGauge("bot_users", "Users in the cached counts.", bot.counts.users.map(Double.init))
            botGauge("bot_shards", "Shards in the cached counts.", bot.counts.shards.map(Double.init))
            botGauge(
                "bot_last_posted_timestamp", unit: "seconds", "When any list last accepted the counts.",
                bot.lastPostedAt?.timeIntervalSince1970)
            for target in bot.targets {
                let labels = [("bot", bot.name), ("target", target.name)]
                counter("posts", labels: labels, help: "Requests sent to the list.", target.postsTotal)
                counter("retries", labels: labels, help: "Retries scheduled.", target.retriesTotal)
                for failureClass in ["429", "4xx", "5xx", "timeout", "network", "other"] {
                    counter(
                        "post_failures", labels: labels + [("class", failureClass)], help: "Failed requests by class.",
                        target.failuresByClass[failureClass] ?? 0)
                }
                for state in TargetState.allCases {
                    gauge(
                        "target_state", labels: labels + [("state", state.rawValue)],
                        help: "1 for the target's current state.", state == target.state ? 1 : 0)
                }
                gauge(
                    "target_consecutive_failures", labels: labels, help: "Failed posts in a row.",
                    Double(target.consecutiveFailures))
                if let success = target.lastSuccessAt {
                    gauge(
                        "target_last_success_timestamp", unit: "seconds", labels: labels,
                        help: "When the list last accepted a post.", success.timeIntervalSince1970)
                }
                if let remaining = target.rateLimit.remaining {
                    gauge(
                        "target_rate_limit_remaining", labels: labels,
                        help: "Requests left in the list's current rate-limit window.", Double(remaining))
                }
            }
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return inStableOrder(String(decoding: buffer, as: UTF8.self))
    }

    /// `text` with its metric families sorted by name and the samples of each sorted, after
    /// each family's `# HELP` and `# TYPE` lines.
    ///
    /// The registry emits in hash order, different on every scrape; a stable order makes
    /// scrapes diffable and keeps `botstatsctl metrics` readable.
    static func inStableOrder(_ text: String) -> String {
        var comments: [String: [Substring]] = [:]
        var samples: [String: [Substring]] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", maxSplits: 3)
                guard words.count >= 3 else { continue }
                comments[String(words[2]), default: []].append(line)
            } else {
                let name = line.prefix { $0 != "{" && $0 != " " }
                samples[String(name), default: []].append(line)
            }
        }
        var lines: [Substring] = []
        for family in Set(comments.keys).union(samples.keys).sorted() {
            lines += (comments[family] ?? []).sorted { $0.hasPrefix("# HELP") && !$1.hasPrefix("# HELP") }
            lines += (samples[family] ?? []).sorted()
        }
        return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }
}
