extension ControlRequest {
    /// The request as one line of the control protocol (without the newline), what
    /// `ControlRequest.parse` reads back: `{"bot":"main","cmd":"set","servers":1520,"v":1}`.
    package var line: String {
        var json = JSONWriter(capacity: 128)
        json.object { json in
            switch self {
            case .status(let bot):
                if let bot { json.field("bot", bot) }
                json.field("cmd", "status")
            case .set(let bot, let update):
                if let bot { json.field("bot", bot) }
                json.field("cmd", "set")
                update.writeFields(to: &json)
            case .post(let bot, let target):
                if let bot { json.field("bot", bot) }
                json.field("cmd", "post")
                if let target { json.field("target", target) }
            case .reload:
                json.field("cmd", "reload")
            case .metrics:
                json.field("cmd", "metrics")
            }
            json.field("v", Self.protocolVersion)
        }
        return json.text
    }
}

extension CountsUpdate {
    /// The update as the body the network intake takes: the `set` fields without `cmd` and `bot`.
    package var intakeBody: String {
        var json = JSONWriter(capacity: 128)
        json.object { json in writeFields(to: &json) }
        return json.text
    }

    /// `servers`, `users`, `shards`, `shard_id`, `shard_count` and `force`, each only when given.
    func writeFields(to json: inout JSONWriter) {
        if force { json.field("force", true) }
        json.field("servers", servers)
        if let shardCount { json.field("shard_count", shardCount) }
        if let shardID { json.field("shard_id", shardID) }
        if let shards { json.field("shards", shards) }
        if let users { json.field("users", users) }
    }
}
