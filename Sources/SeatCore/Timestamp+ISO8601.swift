extension Timestamp {
    /// ISO 8601 in UTC with milliseconds, `2023-11-14T22:13:20.123Z`.
    ///
    /// Computed by hand (proleptic Gregorian calendar) rather than with Foundation's
    /// formatters: SeatCore stays free of Foundation, and the output must be identical on
    /// every platform because exported audit logs are compared and parsed by tools.
    public var iso8601: String {
        let (days, millisecondOfDay) = millisecondsSinceEpoch.floorDividedAndModulo(86_400_000)
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        let second = millisecondOfDay / 1000
        var text = Self.padded(year, 4) + "-" + Self.padded(month, 2) + "-" + Self.padded(day, 2)
        text += "T" + Self.padded(second / 3600, 2) + ":" + Self.padded(second / 60 % 60, 2) + ":" + Self.padded(second % 60, 2)
        text += "." + Self.padded(millisecondOfDay % 1000, 3) + "Z"
        return text
    }

    /// Howard Hinnant's `civil_from_days`: exact for every day an Int64 of milliseconds can reach.
    public static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// Hinnant's `days_from_civil`, the inverse of `civilDate`.
    public static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let zeros = String(repeating: "0", count: max(0, width - digits.count))
        return (value < 0 ? "-" : "") + zeros + digits
    }
}

extension Int64 {
    /// Quotient rounded toward negative infinity and the matching non-negative remainder,
    /// so times before 1970 land on the right day.
    func floorDividedAndModulo(_ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
