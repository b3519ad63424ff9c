/// Checks `condition` every `interval` until it holds, for events that no other wait of the support covers
/// (a file's contents, a count over every path, a number of log lines).
///
/// Prefer the specific waits, whose errors quote what they saw: ``DaemonHarness/waitForStatus(_:timeout:_:)``,
/// ``DaemonHarness/waitForLog(containing:occurrences:timeout:)``, ``FakeBotList/waitForRequests(path:count:timeout:)``
/// and ``NotifySocket/waitFor(_:skipping:timeout:)``.
///
/// - Throws: ``SupportError`` naming `what` when `timeout` passes first; `describe`, when given, adds what was
///   seen last.
func waitUntil(
    _ what: String,
    timeout: Duration,
    interval: Duration = .milliseconds(20),
    describe: () -> String = { "" },
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while true {
        if try await condition() {
            return
        }
        guard ContinuousClock.now < deadline else {
            let seen = describe()
            throw SupportError("waited \(timeout) for \(what)" + (seen.isEmpty ? "" : "; last seen: \(seen)"))
        }
        try await Task.sleep(for: interval)
    }
}
