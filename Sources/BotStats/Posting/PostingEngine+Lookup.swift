import BotStatsProtocol

/// Finding and counting bots and targets in place.
///
/// The engine is generic over its clock, and where the compiler does not specialise it,
/// `firstIndex(where:)`, `filter` and a plain `bots[b].targets[t]` read each copy a whole runtime
/// through its value witnesses, retaining every field. With 1,000 bots × 5 lists the lookups and
/// counts made after every post kept the actor so busy that a stop outlasted its grace. These
/// walk the storage through buffer pointers, which reach a field without copying its runtime.
extension PostingEngine {
    /// The index of bot `name` (of worker generation `generation`, when given).
    func indexOfBot(_ name: String, generation: Int? = nil) -> Int? {
        bots.withUnsafeBufferPointer { bots -> Int? in
            for b in bots.indices where bots[b].settings.name == name {
                return generation == nil || bots[b].generation == generation ? b : nil
            }
            return nil
        }
    }

    /// The index of target `name` of bot `b` (of worker generation `generation`, when given).
    func indexOfTarget(_ name: String, inBot b: Int, generation: Int? = nil) -> Int? {
        bots[b].targets.withUnsafeBufferPointer { targets -> Int? in
            for t in targets.indices where targets[t].settings.name == name {
                return generation == nil || targets[t].generation == generation ? t : nil
            }
            return nil
        }
    }

    /// Enabled targets, those of them `ok`, and those with a request in flight, over every bot.
    func targetTally() -> (enabled: Int, ok: Int, inFlight: Int) {
        var tally = (enabled: 0, ok: 0, inFlight: 0)
        bots.withUnsafeBufferPointer { bots in
            for b in bots.indices {
                bots[b].targets.withUnsafeBufferPointer { targets in
                    for t in targets.indices {
                        if targets[t].isSending { tally.inFlight += 1 }
                        guard targets[t].settings.enabled else { continue }
                        tally.enabled += 1
                        if targets[t].machine.state == .ok { tally.ok += 1 }
                    }
                }
            }
        }
        return tally
    }
}
