/// The watchdog's heartbeat runs on the engine actor, the domain that decides every post.
extension PostingEngine: WatchdogProbe {
    /// Answers as soon as the actor is free: the watchdog's proof that the engine is not wedged.
    package func heartbeat() {}
}
