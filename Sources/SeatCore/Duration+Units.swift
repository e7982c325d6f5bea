extension Duration {
    /// In seconds, as a floating-point number: for Foundation's `TimeInterval` and for
    /// arithmetic on durations (back-off growth).
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// In whole milliseconds, rounded toward zero: the unit of timestamps and leases.
    public var inMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
