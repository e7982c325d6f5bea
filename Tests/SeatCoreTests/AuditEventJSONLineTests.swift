import Foundation
import SeatCore
import Testing

@Suite struct AuditEventJSONLineTests {
    /// Pins the export format: key names, key order, time format and escaping.
    @Test func exactLine() {
        let event = AuditEvent(
            sequence: 42, time: Timestamp(millisecondsSinceEpoch: 1_700_000_000_123), kind: .forceRelease,
            tenant: "acme", licenseKey: "ACME-1", user: "zoë", hostname: "ws-1", address: "10.0.0.7:50123",
            detail: "say \"hi\"\n\ttab\\ \u{01}\u{7F}")
        #expect(event.jsonLine == #"{"time":"2023-11-14T22:13:20.123Z","seq":42,"kind":"force_release","tenant":"acme","license":"ACME-1","user":"zoë","host":"ws-1","address":"10.0.0.7:50123","detail":"say \"hi\"\n\ttab\\ \u0001\u007f"}"#)
    }

    @Test func everyLineParsesAsJSONWithTheSameValues() throws {
        let awkward = ["", "plain", "quote\"", "back\\slash", "new\nline", "cr\rlf", "\u{0}\u{1F}", "ünï 山田 🎫", "\u{2028}\u{2029}", "{\"x\":1}"]
        var events: [AuditEvent] = []
        for (index, text) in awkward.enumerated() {
            for kind in AuditKind.allCases {
                events.append(AuditEvent(
                    sequence: UInt64(index) * 1_000_000_007, time: Timestamp(millisecondsSinceEpoch: Int64(index) * 86_399_999 - 50_000),
                    kind: kind, tenant: text, licenseKey: text + "k", user: text, hostname: text, address: text, detail: text))
            }
        }
        let export = events.map(\.jsonLine).joined(separator: "\n")
        let lines = export.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == events.count)
        for (line, event) in zip(lines, events) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object.keys.sorted() == ["address", "detail", "host", "kind", "license", "seq", "tenant", "time", "user"])
            #expect(object["time"] as? String == event.time.iso8601)
            #expect((object["seq"] as? NSNumber)?.uint64Value == event.sequence)
            #expect(object["kind"] as? String == event.kind.rawValue)
            #expect(object["tenant"] as? String == event.tenant)
            #expect(object["license"] as? String == event.licenseKey)
            #expect(object["user"] as? String == event.user)
            #expect(object["host"] as? String == event.hostname)
            #expect(object["address"] as? String == event.address)
            #expect(object["detail"] as? String == event.detail)
        }
    }

    @Test func kindRawValuesAreStable() {
        #expect(AuditKind.allCases.map(\.rawValue) == ["grant", "refusal", "release", "expiry", "force_release", "auth_failure", "admin"])
    }

    @Test func iso8601KnownDates() {
        let cases: [(Int64, String)] = [
            (0, "1970-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
        ]
        for (milliseconds, text) in cases {
            #expect(Timestamp(millisecondsSinceEpoch: milliseconds).iso8601 == text)
        }
    }

    /// Agrees with Foundation's formatter over four centuries of arbitrary instants.
    @Test func iso8601MatchesFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let milliseconds = Int64.random(in: -2_208_988_800_000...10_413_792_000_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            #expect(Timestamp(millisecondsSinceEpoch: milliseconds).iso8601 == formatter.string(from: date), "\(milliseconds)")
        }
    }
}
