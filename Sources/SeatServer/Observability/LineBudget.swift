import SeatCore

/// How many lines of one kind the log takes per second: a client can cause denials and
/// failed authentications as fast as it likes, the log must not follow it. Pure: time is
/// an argument.
struct LineBudget: Sendable {
    enum Decision: Equatable, Sendable {
        /// Log it; `suppressed` lines were left out since the last one logged.
        case log(suppressed: Int)
        case suppress
    }

    let perSecond: Int
    private var windowStart: Int64?
    private var logged = 0
    private var suppressed = 0

    init(perSecond: Int) {
        self.perSecond = perSecond
    }

    mutating func admit(at now: Timestamp) -> Decision {
        if windowStart.map({ now.millisecondsSinceEpoch - $0 >= 1_000 }) ?? true {
            windowStart = now.millisecondsSinceEpoch
            logged = 0
        }
        guard logged < perSecond else {
            suppressed += 1
            return .suppress
        }
        logged += 1
        defer { suppressed = 0 }
        return .log(suppressed: suppressed)
    }
}
