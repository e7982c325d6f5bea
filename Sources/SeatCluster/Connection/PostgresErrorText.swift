import PostgresNIO

/// What went wrong, for messages: postgres-nio's own description hides the server's text.
enum PostgresErrorText {
    static func of(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo {
            let message = info[.message] ?? "server error"
            return info[.sqlState].map { "\(message) (SQLSTATE \($0))" } ?? message
        }
        return error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)"
    }

    static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// True when the server refused the statement and the session is still usable; not
    /// for FATAL errors (e.g. the backend was terminated), after which the server hangs up.
    static func leavesSessionUsable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        let severity = error.serverInfo?[.severity] ?? error.serverInfo?[.localizedSeverity]
        return severity != "FATAL" && severity != "PANIC"
    }

    static let uniqueViolation = "23505"
}
