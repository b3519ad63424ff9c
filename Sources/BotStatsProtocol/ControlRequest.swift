import FoundationEssentials

/// One request line of the control protocol (SPEC §7), validated.
package enum ControlRequest: Sendable, Equatable {
    case status(bot: String?)
    case set(bot: String?, update: CountsUpdate)
    case post(bot: String?, target: String?)
    case reload
    case metrics

    /// Whether the command changes the daemon (and so needs a trusted peer).
    package var isMutating: Bool {
        switch self {
        case .status, .metrics: return false
        case .set, .post, .reload: return true
        }
    }

    /// The wire name of the command.
    package var name: String {
        switch self {
        case .status: return "status"
        case .set: return "set"
        case .post: return "post"
        case .reload: return "reload"
        case .metrics: return "metrics"
        }
    }

    /// Largest count accepted: more servers than that is a bug in the caller, not a bot.
    package static let maxCount = 1_000_000_000_000

    /// Protocol version this daemon speaks.
    package static let protocolVersion = 1

    /// Parses one line; the error names the field that is wrong.
    package static func parse(_ line: some Collection<UInt8>) throws(ControlError) -> ControlRequest {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            throw .badRequest("request is not valid JSON: \(error.reason) at byte \(error.offset)")
        }
        guard case .object(let object) = value else {
            throw .badRequest("request must be a JSON object, got \(value.typeName)")
        }
        return try parse(object: object)
    }

    /// The request an already parsed JSON object holds (the network intake builds a `set` from
    /// an HTTP body this way, so both ways in validate alike).
    package static func parse(object: [String: JSONValue]) throws(ControlError) -> ControlRequest {
        if let version = object["v"] {
            guard case .number(let number) = version, number == Double(protocolVersion) else {
                throw ControlError(.unsupportedVersion, "v: this daemon speaks protocol version \(protocolVersion)")
            }
        }
        guard let commandValue = object["cmd"] else { throw .badRequest("cmd: missing") }
        guard case .string(let command) = commandValue else {
            throw .badRequest("cmd: expected a string, got \(commandValue.typeName)")
        }
        let allowed: [String]
        let request: ControlRequest
        switch command {
        case "status":
            allowed = ["bot"]
            request = .status(bot: try string("bot", in: object))
        case "reload":
            allowed = []
            request = .reload
        case "metrics":
            allowed = []
            request = .metrics
        case "set":
            allowed = ["servers", "users", "shards", "bot", "shard_id", "shard_count", "force"]
            guard let servers = try count("servers", in: object) else { throw .badRequest("servers: missing") }
            let shardID = try count("shard_id", in: object)
            let shardCount = try count("shard_count", in: object)
            guard (shardID == nil) == (shardCount == nil) else {
                throw .badRequest("shard_id and shard_count go together")
            }
            var force = false
            if let value = object["force"], value != .null {
                guard case .bool(let flag) = value else { throw .badRequest("force: expected true or false, got \(value.typeName)") }
                force = flag
            }
            request = .set(
                bot: try string("bot", in: object),
                update: CountsUpdate(
                    servers: servers, users: try count("users", in: object), shards: try count("shards", in: object),
                    shardID: shardID, shardCount: shardCount, force: force))
        case "post":
            allowed = ["bot", "target"]
            request = .post(bot: try string("bot", in: object), target: try string("target", in: object))
        default:
            throw ControlError(.unknownCommand, "cmd: unknown command '\(command.prefix(64))'; expected status, set, post, reload or metrics")
        }
        if let extra = object.keys.lazy.filter({ !allowed.contains($0) && $0 != "v" && $0 != "cmd" }).min() {
            throw .badRequest("\(extra.prefix(64)): unknown field for \(command)")
        }
        return request
    }

    private static func count(_ key: String, in object: [String: JSONValue]) throws(ControlError) -> Int? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let number) = value else {
            throw .badRequest("\(key): expected a non-negative integer, got \(value.typeName)")
        }
        guard number.isFinite, number.rounded() == number else {
            throw .badRequest("\(key): expected a non-negative integer, got \(number)")
        }
        guard number >= 0 else { throw .badRequest("\(key): must not be negative") }
        guard number <= Double(maxCount) else { throw .badRequest("\(key): above the limit of 10^12") }
        return Int(number)
    }

    private static func string(_ key: String, in object: [String: JSONValue]) throws(ControlError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard case .string(let text) = value else {
            throw .badRequest("\(key): expected a string, got \(value.typeName)")
        }
        guard !text.isEmpty, text.count <= 200 else { throw .badRequest("\(key): must be 1 to 200 characters") }
        return text
    }
}
