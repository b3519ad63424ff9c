import AsyncHTTPClient
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// Plain words for why a request to a list never got an answer: `connection refused`,
/// `cannot resolve top.gg`, `connection reset by peer`.
///
/// Lower layers describe errors as type dumps (`NIOConnectionError(host: …, connectionErrors:
/// [SingleConnectionFailure(target: [IPv4]…, error: connection reset (error set): Connection
/// refused (errno: 111))])`); an operator reading `status` needs the reason, not the dump.
enum ConnectionFailureReason {
    /// The reason `error` names, in lower case, without addresses or type names.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return describe(first.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve \(error.host)" }
            return "cannot connect to \(error.host)"
        case let error as IOError:
            return SystemErrorReason.text(error.errnoCode)
        case let error as SocketAddressError:
            if case .unknown(let host, _) = error { return "cannot resolve \(host)" }
            return "bad address"
        case let error as ChannelError:
            switch error {
            case .connectTimeout: return "connect timed out"
            case .eof, .outputClosed, .inputClosed, .alreadyClosed, .ioOnClosedChannel:
                return "the list closed the connection"
            default: return "connection failed"
            }
        case let error as HTTPClientError:
            if error == .remoteConnectionClosed { return "the list closed the connection" }
            if error == .connectTimeout { return "connect timed out" }
            if error == .readTimeout { return "read timed out" }
            if error == .invalidURL { return "invalid URL" }
            return "HTTP client error: \(error)"
        default:
            return "\(error)"
        }
    }
}
