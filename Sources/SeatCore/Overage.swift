/// Seats a license may grant past its `seats`, as the vendor signed it (Keygen's overage,
/// FlexNet's OVERDRAFT). Grants past `seats` are flagged so the site can report them for
/// a true-up; none is granted past `seats + allowance(seats:)`.
public enum Overage: Sendable, Hashable, CustomStringConvertible {
    /// No seat past `seats` (the default).
    case none
    /// A fixed number of extra seats, written `+N`.
    case seats(Int)
    /// A factor on `seats` in thousandths, written like `1.25x` (1250).
    case factor(thousandths: Int)

    /// Extra seats a factor may add at most, and the largest count: with at most 1,000,000
    /// seats the total always fits the wire's u32.
    public static let maximumFactorThousandths = 10_000
    public static let maximumSeats = 1_000_000

    /// The extra seats for a license of `seats` seats. A factor is rounded down:
    /// `floor(seats × factor) − seats` (10 seats at 1.25x allow 2, at 1.5x allow 5).
    public func allowance(seats: Int) -> Int {
        switch self {
        case .none: 0
        case .seats(let count): count
        case .factor(let thousandths): max(0, seats * thousandths / 1000 - seats)
        }
    }

    /// `none`, `+N` (1...1000000) or a factor `F.FFFx` (at most three decimals, 1 < F ≤ 10).
    public init(text: String) throws(OverageSyntaxError) {
        if text == "none" {
            self = .none
        } else if text.hasPrefix("+") {
            let digits = text.dropFirst()
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), digits.count <= 7,
                  let count = Int(digits), (1...Self.maximumSeats).contains(count) else {
                throw OverageSyntaxError(text: text)
            }
            self = .seats(count)
        } else if text.hasSuffix("x") {
            let parts = text.dropLast().split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.count <= 2,
                  whole.allSatisfy(\.isASCIIDigit) else { throw OverageSyntaxError(text: text) }
            let fraction = parts.count == 2 ? parts[1] : ""
            guard fraction.count <= 3, fraction.allSatisfy(\.isASCIIDigit), parts.count == 1 || !fraction.isEmpty else {
                throw OverageSyntaxError(text: text)
            }
            let thousandths = Int(whole)! * 1000 + Int(fraction + String(repeating: "0", count: 3 - fraction.count))!
            guard thousandths > 1000, thousandths <= Self.maximumFactorThousandths else { throw OverageSyntaxError(text: text) }
            self = .factor(thousandths: thousandths)
        } else {
            throw OverageSyntaxError(text: text)
        }
    }

    /// As a license file writes it; `init(text:)` reads it back.
    public var description: String {
        switch self {
        case .none: return "none"
        case .seats(let count): return "+\(count)"
        case .factor(let thousandths):
            var fraction = String(thousandths % 1000)
            fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            return "\(thousandths / 1000)" + (fraction.isEmpty ? "" : "." + fraction) + "x"
        }
    }
}

public struct OverageSyntaxError: Error, Equatable, CustomStringConvertible {
    public var text: String

    public var description: String {
        "'\(text)' is not an overage: expected none, +N (1...1000000 extra seats) or a factor "
            + "such as 1.25x (above 1, at most 10, at most three decimals)"
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
