import Foundation
import Logging
import Synchronization
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// The intake's answers, refusals first, against a backend that records what reached it.
@Suite struct IntakeRequestHandlerTests {
    final class RecordingBackend: ControlBackend {
        let sets = Mutex<[(String?, CountsUpdate)]>([])
        func status(bot: String?) async throws(ControlError) -> StatusReport {
            guard bot == "main" || bot == "second" else { throw .unknownBot(bot ?? "-", known: ["main", "second"]) }
            return HealthCheckTests.report([(.ok, 60)])
        }
        func set(bot: String?, update: CountsUpdate) async throws(ControlError) -> SetResult {
            sets.withLock { $0.append((bot, update)) }
            return SetResult(
                bot: bot ?? "main", outcome: .accepted,
                counts: BotCounts(servers: update.servers, users: nil, shards: nil, updatedAt: .init(timeIntervalSince1970: 0)), targets: [], message: nil)
        }
        func post(bot: String?, target: String?) async throws(ControlError) -> [PostResult] { [] }
        func reload() async throws(ControlError) -> ReloadResult { ReloadResult(configPath: "", bots: 0, targets: 0) }
        func metrics() async -> String { "" }
    }

    static let settings = IntakeSettings(
        listen: "10.0.0.1:9471", requestsPerMinute: 3,
        clients: [
            IntakeClient(name: "shards-a", token: Secret("token-aaaaaaaaaaaaaaaa"), bots: ["main"]),
            IntakeClient(name: "ops", token: Secret("token-bbbbbbbbbbbbbbbb"), bots: ["*"]),
        ])

    func handler(_ backend: RecordingBackend, clock: ManualClock = ManualClock()) -> IntakeRequestHandler<ManualClock> {
        IntakeRequestHandler(backend: backend, settings: Self.settings, clock: clock, logger: Logger(label: "test"))
    }

    static func post(_ bot: String, _ body: String, token: String? = "token-aaaaaaaaaaaaaaaa") -> IntakeRequest {
        IntakeRequest(method: "POST", path: "/v1/bots/\(bot)/counts", authorization: token.map { "Bearer \($0)" }, body: Array(body.utf8))
    }

    @Test func aShardReportReachesTheEngineAsASet() async throws {
        let backend = RecordingBackend()
        let answer = await handler(backend).respond(to: Self.post("main", #"{"servers":190,"users":11000,"shard_id":3,"shard_count":8}"#))
        #expect(answer.status == 200, "\(answer)")
        #expect(answer.body.hasPrefix(#"{"ok":true"#) || answer.body.contains(#""ok":true"#))
        let sets = backend.sets.withLock { $0 }
        #expect(sets.count == 1)
        #expect(sets.first?.0 == "main")
        #expect(sets.first?.1 == CountsUpdate(servers: 190, users: 11000, shardID: 3, shardCount: 8))
    }

    @Test(arguments: [
        (nil as String?, 401),
        ("token-wrong-aaaaaaaaaa", 401),
        ("token-aaaaaaaaaaaaaaa", 401),
        ("token-aaaaaaaaaaaaaaaaa", 401),
    ])
    func noOrAWrongTokenIs401(token: String?, status: Int) async {
        let answer = await handler(RecordingBackend()).respond(to: Self.post("main", #"{"servers":1}"#, token: token))
        #expect(answer.status == status)
        #expect(answer.headers["WWW-Authenticate"] != nil)
        #expect(!answer.body.contains("token-"))
    }

    @Test func aBotOutsideTheClientsScopeIs403() async {
        let backend = RecordingBackend()
        let answer = await handler(backend).respond(to: Self.post("second", #"{"servers":1}"#))
        #expect(answer.status == 403)
        #expect(backend.sets.withLock { $0 }.isEmpty)
        let ops = await handler(backend).respond(to: Self.post("second", #"{"servers":1}"#, token: "token-bbbbbbbbbbbbbbbb"))
        #expect(ops.status == 200)
    }

    @Test func aBodyOverTheLimitIs413() async {
        var request = Self.post("main", #"{"servers":1}"#)
        request.bodyTooLarge = true
        #expect(await handler(RecordingBackend()).respond(to: request).status == 413)
    }

    @Test func tooManyRequestsAre429WithRetryAfterAndTheBucketRefills() async {
        let clock = ManualClock()
        let intake = handler(RecordingBackend(), clock: clock)
        for _ in 0..<3 { #expect(await intake.respond(to: Self.post("main", #"{"servers":1}"#)).status == 200) }
        let refused = await intake.respond(to: Self.post("main", #"{"servers":1}"#))
        #expect(refused.status == 429)
        #expect(refused.headers["Retry-After"] == "20")
        // Another client has its own allowance.
        #expect(await intake.respond(to: Self.post("main", #"{"servers":1}"#, token: "token-bbbbbbbbbbbbbbbb")).status == 200)
        clock.advance(by: .seconds(20))
        #expect(await intake.respond(to: Self.post("main", #"{"servers":1}"#)).status == 200)
    }

    @Test(arguments: [
        (#"{"servers":-1}"#, 400),
        (#"{"servers":"many"}"#, 400),
        (#"not json"#, 400),
        (#"{"servers":1,"bot":"other"}"#, 400),
        (#"{"servers":1,"shard_id":1}"#, 400),
    ])
    func badBodiesAre400NamingTheField(body: String, status: Int) async {
        let answer = await handler(RecordingBackend()).respond(to: Self.post("main", body))
        #expect(answer.status == status, "\(answer)")
        #expect(answer.body.contains(#""code":"bad_request""#))
    }

    @Test func statusIsReadOnlyAndUnknownPathsAndMethodsAreRefused() async {
        let intake = handler(RecordingBackend())
        let status = await intake.respond(
            to: IntakeRequest(
                method: "GET", path: "/v1/bots/main/status", authorization: "Bearer token-aaaaaaaaaaaaaaaa", body: []))
        #expect(status.status == 200)
        #expect(status.body.contains(#""bots":"#))
        let wrongMethod = await intake.respond(
            to: IntakeRequest(
                method: "POST", path: "/v1/bots/main/status", authorization: "Bearer token-aaaaaaaaaaaaaaaa", body: []))
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["Allow"] == "GET")
        let unknown = await intake.respond(
            to: IntakeRequest(
                method: "GET", path: "/v1/admin", authorization: "Bearer token-aaaaaaaaaaaaaaaa", body: []))
        #expect(unknown.status == 404)
    }
}

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1", true, true), ("::1", true, true), ("localhost", true, true),
        ("10.77.255.1", false, true), ("172.16.0.1", false, true), ("172.31.255.255", false, true),
        ("172.32.0.1", false, false), ("192.168.1.10", false, true), ("100.64.0.1", false, true),
        ("fd00::1", false, true), ("fe80::1", false, true),
        ("0.0.0.0", false, false), ("203.0.113.5", false, false), ("2001:db8::1", false, false),
        ("256.1.1.1", false, false), ("example.org", false, false),
    ])
    func addressKinds(host: String, loopback: Bool, isPrivate: Bool) {
        #expect(ListenAddress.isLoopback(host) == loopback)
        #expect(ListenAddress.isPrivate(host) == isPrivate)
    }

    @Test func splitsHostAndPort() {
        #expect(HostPort.split("10.0.0.1:9471")! == ("10.0.0.1", 9471))
        #expect(HostPort.split("[::1]:80")! == ("::1", 80))
        #expect(HostPort.split("10.0.0.1") == nil)
        #expect(HostPort.split("10.0.0.1:0") == nil)
    }
}
