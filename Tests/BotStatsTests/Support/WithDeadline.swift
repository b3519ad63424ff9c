import Testing

/// Runs `body` and returns what it returns, or records an issue and throws when it has not
/// returned within `timeout` of real time.
///
/// For awaits that can only go wrong by never returning (a wait that should end, a heartbeat
/// that should be answered): `body` runs in a task of its own, cancelled and left behind on a
/// timeout, so even a body that ignores cancellation fails the test instead of hanging it.
func withDeadline<T: Sendable>(
    _ what: String, timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let (results, sink) = AsyncStream<Result<T, any Error>?>.makeStream()
    let work = Task {
        do { sink.yield(.success(try await body())) } catch { sink.yield(.failure(error)) }
    }
    let timer = Task {
        try? await Task.sleep(for: timeout)
        sink.yield(nil)
    }
    var iterator = results.makeAsyncIterator()
    let first = await iterator.next() ?? nil
    timer.cancel()
    guard let first else {
        work.cancel()
        Issue.record("\(what) did not happen within \(timeout)", sourceLocation: sourceLocation)
        throw CancellationError()
    }
    return try first.get()
}
