import Synchronization

@testable import BotStats

/// Records every notification message, as systemd would receive them.
final class RecordingNotifier: ServiceNotifier {
    private let recorded = Mutex<[String]>([])
    var messages: [String] { recorded.withLock { $0 } }
    var count: Int { recorded.withLock { $0.count } }
    func notify(_ message: String) { recorded.withLock { $0.append(message) } }
}
