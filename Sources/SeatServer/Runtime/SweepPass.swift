/// The work of one sweep, at the clock's current time: reclaim lapsed seats (and retry
/// failed ends), forget ended sessions past retention, apply audit retention. A plain
/// call: the `Sweeper`'s timer runs it in production, tests run it on a `ManualClock`.
struct SweepPass: Sendable {
    let service: SeatService
    let auditRetention: AuditRetention
    let metrics: SeatMetrics
    let clock: any ServerClock

    func run() async {
        let expired = await service.sweep(now: clock.now())
        if expired > 0 { metrics.expiries.increment(by: expired) }
        await auditRetention.run(now: clock.now())
    }
}
