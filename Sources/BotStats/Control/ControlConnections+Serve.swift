import NIOCore

extension ControlConnections {
    /// Serves `channel` in a slot of its own, or refuses it when every slot is taken: the refusal
    /// goes to `refusals` (rate-limited) and the channel is closed. The slot is given back when
    /// `body` returns. Cancelled at the end of a stop, the channel is closed, which also ends a
    /// write that waits on a client that does not read and would otherwise hold the stop open.
    ///
    /// What the control socket, the metrics endpoint and the intake do with each connection.
    func serve(_ channel: any Channel, privileged: Bool = false, refusals: RefusalLog, _ body: (Int) async -> Void) async {
        guard let id = admit(channel, privileged: privileged, now: .now) else {
            refusals.record(now: .now)
            try? await channel.close()
            return
        }
        defer { remove(id) }
        await withTaskCancellationHandler {
            await body(id)
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
