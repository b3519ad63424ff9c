import Logging
import BotStatsProtocol

/// One HTTP request to the intake, reduced to what deciding the answer needs.
package struct IntakeRequest: Sendable {
    package var method: String
    /// The request target, e.g. `/v1/bots/main/counts`.
    package var path: String
    package var authorization: String?
    package var body: [UInt8]
    /// The body was longer than the intake accepts (what arrived is cut off).
    package var bodyTooLarge: Bool
    /// Who sent it, for logs.
    package var peer: String

    package init(method: String, path: String, authorization: String?, body: [UInt8], bodyTooLarge: Bool = false, peer: String = "-") {
        self.method = method
        self.path = path
        self.authorization = authorization
        self.body = body
        self.bodyTooLarge = bodyTooLarge
        self.peer = peer
    }
}

/// The intake's answer: an HTTP status, extra headers, and a body in the control protocol's
/// response format (`{"v":1,"ok":…}`).
package struct IntakeResponse: Sendable, Equatable {
    package var status: Int
    package var headers: [String: String]
    package var body: String

    package init(status: Int, headers: [String: String] = [:], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func error(_ status: Int, _ code: ControlError.Code, _ message: String, headers: [String: String] = [:]) -> IntakeResponse {
        IntakeResponse(status: status, headers: headers, body: ControlResponse.failure(ControlError(code, message)))
    }
}

/// Answers intake requests: `POST /v1/bots/{bot}/counts` (a `set`) and
/// `GET /v1/bots/{bot}/status` (read-only), for clients with a token, within their bots and
/// their rate. NIO-free, so tests call it directly.
///
/// Refusals: no or unknown token 401, a bot outside the client's scope 403, a body over 64 KiB
/// 413, more than the allowed requests per minute 429 with `Retry-After` (the header we ask lists
/// to send us), an unknown path 404, another method 405.
package struct IntakeRequestHandler<C: Clock>: Sendable where C.Duration == Duration {
    /// Longest body accepted.
    package static var maximumBodyBytes: Int { 64 * 1024 }

    let backend: any ControlBackend
    let authenticator: IntakeAuthenticator
    let rateLimiter: IntakeRateLimiter<C>
    let logger: Logger
    let refusals: RefusalLog

    package init(backend: any ControlBackend, settings: IntakeSettings, clock: C, logger: Logger) {
        self.backend = backend
        self.authenticator = IntakeAuthenticator(clients: settings.clients)
        self.rateLimiter = IntakeRateLimiter(perMinute: settings.requestsPerMinute, clock: clock)
        self.logger = logger
        self.refusals = RefusalLog(logger: logger, message: "intake request refused")
    }

    package func respond(to request: IntakeRequest) async -> IntakeResponse {
        guard let client = authenticator.client(forAuthorization: request.authorization) else {
            refusals.record(now: .now, metadata: ["peer": "\(request.peer)", "reason": "no or unknown token"])
            return .error(
                401, .unauthorized, "send a client's token as Authorization: Bearer <token>",
                headers: ["WWW-Authenticate": #"Bearer realm="botstatsd""#])
        }
        if request.bodyTooLarge {
            return .error(413, .badRequest, "the body is larger than \(Self.maximumBodyBytes / 1024) KiB")
        }
        if let wait = rateLimiter.admit(client.name) {
            refusals.record(now: .now, metadata: ["intake.client": "\(client.name)", "reason": "rate limited"])
            return .error(
                429, .rateLimited, "more than the allowed requests per minute; retry in \(wait) s",
                headers: ["Retry-After": "\(wait)"])
        }
        let parts = request.path.split(separator: "?", maxSplits: 1)[0].split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "v1", parts[2] == "bots", let action = Action(rawValue: String(parts[4])),
            Self.isBotName(parts[3])
        else {
            return .error(404, .notFound, "no such resource; try POST /v1/bots/BOT/counts or GET /v1/bots/BOT/status")
        }
        let bot = String(parts[3])
        guard request.method == action.method else {
            return .error(405, .badRequest, "use \(action.method) for \(action.rawValue)", headers: ["Allow": action.method])
        }
        guard client.mayUse(bot: bot) else {
            refusals.record(now: .now, metadata: ["intake.client": "\(client.name)", "reason": "bot \(bot) not in scope"])
            return .error(403, .forbidden, "this client may not use bot '\(bot)'")
        }
        do throws(ControlError) {
            switch action {
            case .status:
                return IntakeResponse(status: 200, body: ControlResponse.success(try await backend.status(bot: bot)))
            case .counts:
                let value: JSONValue
                do {
                    value = try JSONParser.parse(request.body)
                } catch {
                    throw ControlError.badRequest("body is not valid JSON: \(error.reason) at byte \(error.offset)")
                }
                guard case .object(var object) = value else { throw ControlError.badRequest("body must be a JSON object") }
                guard object["bot"] == nil, object["cmd"] == nil else {
                    throw ControlError.badRequest("the bot is named in the path; bot and cmd do not belong in the body")
                }
                object["cmd"] = .string("set")
                object["bot"] = .string(bot)
                guard case .set(_, let update) = try ControlRequest.parse(object: object) else {
                    throw ControlError(.`internal`, "not a set")
                }
                let result = try await backend.set(bot: bot, update: update)
                logger.debug("intake set", metadata: ["intake.client": "\(client.name)", "bot.name": "\(bot)"])
                return IntakeResponse(status: 200, body: ControlResponse.success(result))
            }
        } catch {
            return IntakeResponse(status: Self.httpStatus(for: error), body: ControlResponse.failure(error))
        }
    }

    enum Action: String {
        case counts
        case status

        var method: String { self == .counts ? "POST" : "GET" }
    }

    /// The HTTP status for an error the daemon answers a request with.
    static func httpStatus(for error: ControlError) -> Int {
        switch error.code {
        case .badRequest, .unsupportedVersion, .unknownCommand: return 400
        case .forbidden: return 403
        case .unknownBot, .unknownTarget, .notFound: return 404
        case .noCounts: return 409
        case .shuttingDown: return 503
        default: return 500
        }
    }

    private static func isBotName(_ name: Substring) -> Bool {
        !name.isEmpty && name.count <= 200
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
    }
}
