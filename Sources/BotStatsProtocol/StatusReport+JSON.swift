import FoundationEssentials

// How the status object of SPEC §7 is written on the control socket. Keys are listed in sorted
// order and every field is written, null or not; `StatusJSONTests` holds this to what
// `JSONEncoder` with `.sortedKeys` would produce and to what `botstatsctl` decodes.

extension StatusReport: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("bots", bots)
            json.field("config_loaded_at", configLoadedAt)
            json.field("config_path", configPath)
            json.field("dry_run", dryRun)
            json.field("last_reload_error", lastReloadError)
            json.field("pid", pid)
            json.field("uptime_seconds", uptimeSeconds)
            json.field("version", version)
        }
    }
}

extension BotStatus: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("counts", counts)
            json.field("held", held)
            json.field("id", id)
            json.field("last_posted_at", lastPostedAt)
            json.field("name", name)
            json.field("next_repost_at", nextRepostAt)
            json.field("next_repost_in_seconds", nextRepostInSeconds)
            json.field("repost_interval_seconds", repostIntervalSeconds)
            json.field("shards", shards)
            json.field("source", source)
            json.field("targets", targets)
        }
    }
}

extension CountsStatus: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("servers", servers)
            json.field("shards", shards)
            json.field("updated_at", updatedAt)
            json.field("users", users)
        }
    }
}

extension TargetStatus: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("consecutive_failures", consecutiveFailures)
            json.field("failures_by_class", failuresByClass)
            json.field("failures_total", failuresTotal)
            json.field("last_attempt_at", lastAttemptAt)
            json.field("last_error", lastError)
            json.field("last_status", lastStatus)
            json.field("last_success_at", lastSuccessAt)
            json.field("name", name)
            json.field("next_attempt_at", nextAttemptAt)
            json.field("posts_total", postsTotal)
            json.field("provider", provider)
            json.field("rate_limit", rateLimit)
            json.field("retries_total", retriesTotal)
            json.field("state", state.rawValue)
        }
    }
}

extension RateLimitStatus: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("limit", limit)
            json.field("remaining", remaining)
            json.field("reset_at", resetAt)
            json.field("reset_in_seconds", resetInSeconds)
        }
    }
}

extension HeldStatus: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("reason", reason)
            json.field("servers", servers)
            json.field("shards", shards)
            json.field("users", users)
        }
    }
}

extension ShardsStatus: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("count", count)
            json.field("missing", missing)
            json.field("reported", reported)
            json.field("stale", stale)
            json.field("stale_count", staleCount)
        }
    }
}

extension SourceStatus: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("kind", kind)
            json.field("last_error", lastError)
            json.field("last_fetch_at", lastFetchAt)
        }
    }
}
