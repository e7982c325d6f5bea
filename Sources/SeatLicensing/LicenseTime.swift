import Foundation
import SeatCore

/// The ISO 8601 times of license documents (`2027-12-31T23:59:59Z`, offsets allowed,
/// fractional seconds allowed) as millisecond timestamps, and back.
enum LicenseTime {
    static func parse(_ text: String) -> Timestamp? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions.insert(.withFractionalSeconds)
        guard let date = plain.date(from: text) ?? fractional.date(from: text) else { return nil }
        return Timestamp(millisecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    /// Whole seconds print without a fraction; otherwise milliseconds are kept, so that
    /// parsing the text gives back the same timestamp (and so the same signed bytes).
    static func format(_ time: Timestamp) -> String {
        let formatter = ISO8601DateFormatter()
        if time.millisecondsSinceEpoch % 1000 != 0 { formatter.formatOptions.insert(.withFractionalSeconds) }
        return formatter.string(from: Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000))
    }
}
