/// The work of one sweep, at the clock's current time: reclaim lapsed seats (and retry
/// failed ends), forget ended sessions past retention, write the audit counts of an ended
/// window, apply audit and usage rollup retention. A plain
/// call: the `Sweeper`'s timer runs it in production, tests run it on a `ManualClock`.
struct SweepPass: Sendable {
    let service: SeatService
    let audit: AuditLog
    let auditRetention: AuditRetention
    let usageRetention: UsageRetention
    let metrics: SeatMetrics
    let clock: any ServerClock

    func run() async {
        let expired = await service.sweep(now: clock.now())
        if expired > 0 { metrics.expiries.increment(by: Int64(expired)) }
        audit.flushEndedWindow(at: clock.now())
        await auditRetention.run(now: clock.now())
        await usageRetention.run(now: clock.now())
    }
}
