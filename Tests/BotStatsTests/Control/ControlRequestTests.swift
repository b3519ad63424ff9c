import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct ControlRequestTests {
    func parse(_ line: String) throws(ControlError) -> ControlRequest {
        try ControlRequest.parse(Array(line.utf8))
    }

    @Test func validRequestsParse() throws {
        #expect(try parse(#"{"v":1,"cmd":"status"}"#) == .status(bot: nil))
        #expect(try parse(#"{"v":1,"cmd":"status","bot":"b"}"#) == .status(bot: "b"))
        #expect(
            try parse(#"{"cmd":"set","servers":1520,"users":88000,"shards":2}"#) == .set(bot: nil, update: CountsUpdate(servers: 1520, users: 88000, shards: 2))
        )
        #expect(try parse(#"{"v":1,"cmd":"set","servers":0,"bot":"main","force":true}"#) == .set(bot: "main", update: CountsUpdate(servers: 0, force: true)))
        #expect(
            try parse(#"{"v":1,"cmd":"set","servers":7,"shard_id":3,"shard_count":8}"#)
                == .set(bot: nil, update: CountsUpdate(servers: 7, shardID: 3, shardCount: 8)))
        #expect(try parse(#"{"v":1,"cmd":"post","target":"topgg"}"#) == .post(bot: nil, target: "topgg"))
        #expect(try parse(#"{"v":1,"cmd":"set","servers":1e3}"#) == .set(bot: nil, update: CountsUpdate(servers: 1000)))
    }

    @Test(arguments: [
        ("not json", "bad_request", "not valid JSON"),
        ("[1,2]", "bad_request", "must be a JSON object"),
        (#"{"v":1}"#, "bad_request", "cmd: missing"),
        (#"{"v":1,"cmd":7}"#, "bad_request", "cmd: expected a string"),
        (#"{"v":1,"cmd":"explode"}"#, "unknown_command", "unknown command"),
        (#"{"v":2,"cmd":"status"}"#, "unsupported_version", "version 1"),
        (#"{"v":1,"cmd":"set"}"#, "bad_request", "servers: missing"),
        (#"{"v":1,"cmd":"set","servers":"1520"}"#, "bad_request", "servers: expected a non-negative integer, got string"),
        (#"{"v":1,"cmd":"set","servers":-1}"#, "bad_request", "servers: must not be negative"),
        (#"{"v":1,"cmd":"set","servers":1.5}"#, "bad_request", "servers: expected a non-negative integer"),
        (#"{"v":1,"cmd":"set","servers":1000000000001}"#, "bad_request", "servers: above the limit"),
        (#"{"v":1,"cmd":"set","servers":1e300}"#, "bad_request", "servers: above the limit"),
        (#"{"v":1,"cmd":"set","servers":true}"#, "bad_request", "got boolean"),
        (#"{"v":1,"cmd":"set","servers":1,"users":[1]}"#, "bad_request", "users: expected a non-negative integer, got array"),
        (#"{"v":1,"cmd":"set","servers":1,"bot":5}"#, "bad_request", "bot: expected a string"),
        (#"{"v":1,"cmd":"set","servers":1,"colour":"red"}"#, "bad_request", "colour: unknown field"),
        (#"{"v":1,"cmd":"post","target":""}"#, "bad_request", "target: must be 1 to 200"),
        (#"{"v":1,"cmd":"status","extra":1}"#, "bad_request", "extra: unknown field"),
        (#"{"v":1,"cmd":"set","servers":1,"shard_id":1}"#, "bad_request", "shard_id and shard_count go together"),
        (#"{"v":1,"cmd":"set","servers":1,"force":"yes"}"#, "bad_request", "force: expected true or false"),
    ])
    func badRequestsAreAnsweredWithACodeAndTheField(line: String, code: String, message: String) {
        #expect {
            _ = try parse(line)
        } throws: { error in
            guard let error = error as? ControlError else { return false }
            return error.code.rawValue == code && error.message.contains(message)
        }
    }

    @Test func errorResponseHasTheWireShape() {
        let line = ControlResponse.failure(ControlError(.badRequest, "servers: missing"))
        #expect(line == #"{"error":{"code":"bad_request","message":"servers: missing"},"ok":false,"v":1}"#)
    }
}
