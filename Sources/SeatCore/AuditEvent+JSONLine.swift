extension AuditEvent {
    /// The event as one line of JSON (no trailing newline), the export format of the
    /// audit log. Keys are always present and in this order, so lines diff and grep well:
    /// `time` (ISO 8601, UTC, milliseconds), `seq`, `kind`, `tenant`, `license`, `user`,
    /// `host`, `address`, `detail`; an aggregated event (refusals, authentication failures)
    /// then has `count`, `first` and `last` (ISO 8601, when the first and last were seen).
    public var jsonLine: String {
        var line = "{\"time\":\"" + time.iso8601 + "\",\"seq\":" + String(sequence)
        line += ",\"kind\":" + Self.jsonString(kind.rawValue)
        line += ",\"tenant\":" + Self.jsonString(tenant)
        line += ",\"license\":" + Self.jsonString(licenseKey)
        line += ",\"user\":" + Self.jsonString(user)
        line += ",\"host\":" + Self.jsonString(hostname)
        line += ",\"address\":" + Self.jsonString(address)
        line += ",\"detail\":" + Self.jsonString(detail)
        if let aggregate {
            line += ",\"count\":" + String(aggregate.count)
            line += ",\"first\":\"" + aggregate.firstSeen.iso8601 + "\",\"last\":\"" + aggregate.lastSeen.iso8601 + "\""
        }
        return line + "}"
    }

    /// A JSON string literal (RFC 8259). Control characters are escaped, so a value can
    /// never break the one-event-per-line framing; everything else stays UTF-8.
    static func jsonString(_ value: String) -> String {
        var escaped = "\""
        escaped.unicodeScalars.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: false)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}
