/// Why a seatload run could not go ahead.
enum LoadError: Error, CustomStringConvertible {
    case usage(String)
    case connect(String)

    var description: String {
        switch self {
        case .usage(let text): text
        case .connect(let text): text
        }
    }
}
