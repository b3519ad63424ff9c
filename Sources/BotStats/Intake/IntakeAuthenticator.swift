import BotStatsProtocol

/// Finds the intake client a request's `Authorization: Bearer <token>` belongs to.
///
/// Every configured token is compared, each in time that depends only on the lengths, so how
/// long an answer takes says nothing about which token, or how much of one, was right.
package struct IntakeAuthenticator: Sendable {
    private let clients: [IntakeClient]

    package init(clients: [IntakeClient]) {
        self.clients = clients
    }

    /// The client whose token `authorization` carries, or nil (missing, malformed or unknown).
    package func client(forAuthorization authorization: String?) -> IntakeClient? {
        guard let authorization else { return nil }
        let prefix = "Bearer "
        guard authorization.count > prefix.count,
            authorization.prefix(prefix.count).lowercased() == prefix.lowercased()
        else { return nil }
        let presented = Array(authorization.utf8.dropFirst(prefix.utf8.count))
        var found: IntakeClient?
        for client in clients where Self.constantTimeEqual(presented, Array(client.token.revealed.utf8)) {
            found = found ?? client
        }
        return found
    }

    /// Whether `a` and `b` are equal, looking at every byte of both whatever they hold.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt(a.count ^ b.count)
        let length = max(a.count, b.count)
        for index in 0..<length {
            let left = index < a.count ? a[index] : 0
            let right = index < b.count ? b[index] : 0
            difference |= UInt(left ^ right)
        }
        return difference == 0
    }
}
