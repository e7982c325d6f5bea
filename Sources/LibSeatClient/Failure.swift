import CSeatClient
import SeatClient
import SeatCore
import SeatProtocol

/// A failure as the C API reports it: a code from seat.h and a message. Built from whatever
/// SeatClient threw, so no Swift error crosses the boundary.
struct Failure: Error {
    var code: Int32
    var message: String
    /// With `noSeats`: the counts and the earliest time a seat may free up.
    var shortage: (total: UInt32, inUse: UInt32, nextFreeAt: Timestamp)?

    init(code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }

    static func invalidArgument(_ message: String) -> Failure {
        Failure(code: SEAT_ERR_INVALID_ARGUMENT, message)
    }

    init(_ error: any Error) {
        switch error {
        case let failure as Failure:
            self = failure
        case let reply as ErrorReply:
            self.init(code: Int32(reply.rawCode), reply.message)
            if case .noSeats(let total, let inUse, let nextFreeAt) = reply.detail {
                shortage = (total, inUse, nextFreeAt)
            }
        case let client as SeatClientError:
            self.init(code: Self.code(of: client), client.description)
        default:
            // NIOSSL (a CA file that is not PEM), NIO and system errors: their text names the cause.
            self.init(code: SEAT_ERR_CLIENT, String(describing: error))
        }
    }

    private static func code(of error: SeatClientError) -> Int32 {
        switch error {
        case .trustRootsUnreadable: SEAT_ERR_CA_UNREADABLE
        case .connectionClosed: SEAT_ERR_CONNECTION_CLOSED
        case .timedOut: SEAT_ERR_TIMED_OUT
        case .unexpectedReply: SEAT_ERR_PROTOCOL
        case .unreachable: SEAT_ERR_UNREACHABLE
        case .unreadableBorrowedSeat: SEAT_ERR_CLIENT
        }
    }

    /// Fills the caller's `seat_error` (if any) and returns the code.
    @discardableResult
    func report(to error: UnsafeMutablePointer<seat_error>?) -> Int32 {
        if let error {
            error.pointee = seat_error()
            error.pointee.code = code
            CStrings.copy(message, into: &error.pointee.message)
            if let shortage {
                error.pointee.seats_total = shortage.total
                error.pointee.seats_in_use = shortage.inUse
                error.pointee.next_free_at_ms = shortage.nextFreeAt.millisecondsSinceEpoch
            }
        }
        return code
    }

    /// Marks the caller's `seat_error` (if any) as success and returns SEAT_OK.
    static func succeed(_ error: UnsafeMutablePointer<seat_error>?) -> Int32 {
        if let error { error.pointee = seat_error() }
        return SEAT_OK
    }
}

/// Runs `body`, turning what it throws into a code and message in `error`.
func reportingFailures(_ report: UnsafeMutablePointer<seat_error>?, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return Failure.succeed(report)
    } catch {
        return Failure(error).report(to: report)
    }
}
