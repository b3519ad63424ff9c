extension Duration {
    /// The duration in seconds as a `Double`.
    package var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }

    /// The duration in whole nanoseconds, what's finer dropped (for NIO's `TimeAmount`).
    ///
    /// Overflows past about 292 years; callers pass timeouts and timers, far below that.
    package var wholeNanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
