/// A response that ``FakeBotList`` serves for a scripted path.
///
/// `content-length` is always set from the body; `content-type: application/json` is added when the body is not
/// empty and the headers do not name a content type. No `Date` header is sent unless scripted, so tests that
/// exercise epoch-based rate-limit resets control it explicitly.
struct FakeResponse: Sendable {
    /// The HTTP status code.
    var status: Int
    /// Extra response headers, sent in this order.
    var headers: [(String, String)]
    /// The response body.
    var body: String
    /// How long to wait before answering; other connections are served meanwhile.
    var delay: Duration
    /// Something other than a plain answer, for fault tests.
    var fault: Fault = .none

    /// A misbehaving list.
    enum Fault: Sendable, Equatable {
        case none
        /// Close the connection instead of answering.
        case resetConnection
        /// Answer 200 with a body of this many bytes, streamed in 64 KiB chunks.
        case hugeBody(bytes: Int)
    }

    /// Creates a response; the defaults are a plain `200 {}`.
    init(status: Int = 200, headers: [(String, String)] = [], body: String = "{}", delay: Duration = .zero, fault: Fault = .none) {
        self.fault = fault
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }

    /// `200` with body `{}`: what is served once a path's script is exhausted.
    static var ok: FakeResponse { FakeResponse() }

    /// A response with `status`, an optional body and headers.
    static func status(_ status: Int, body: String = "{}", headers: [(String, String)] = []) -> FakeResponse {
        FakeResponse(status: status, headers: headers, body: body)
    }

    /// `429 Too Many Requests` with `Retry-After: retryAfter` (any form: `"2"`, `"0.5"`, an HTTP-date).
    static func tooManyRequests(retryAfter: String, body: String = "{}") -> FakeResponse {
        FakeResponse(status: 429, headers: [("Retry-After", retryAfter)], body: body)
    }

    /// This response, answered after `delay`.
    func delayed(by delay: Duration) -> FakeResponse {
        var copy = self
        copy.delay = delay
        return copy
    }

    /// This response with one more header.
    func adding(header name: String, _ value: String) -> FakeResponse {
        var copy = self
        copy.headers.append((name, value))
        return copy
    }
}
