import Foundation
import SeatCore
@testable import SeatServer
import Testing

@Suite struct LicenseFileTests {
    @Test func parsesEveryField() throws {
        let licenses = try LicenseFile.parse(Data("""
            {"licenses": [
              {"key": "A", "seats": 5, "tier": "pro", "features": {"x": "1"}, "expires": "2030-01-01T00:00:00Z", "state": "suspended"},
              {"key": "B", "seats": 0}
            ]}
            """.utf8))
        #expect(licenses == [
            License(key: "A", seats: 5, tier: "pro", features: ["x": "1"], expiresAt: Timestamp(millisecondsSinceEpoch: 1_893_456_000_000), state: .suspended),
            License(key: "B", seats: 0),
        ])
    }

    @Test(arguments: [
        (#"{"licenses": [{"key": "A", "seats": -1}]}"#, "licenses[0].seats"),
        (#"{"licenses": [{"key": "", "seats": 1}]}"#, "licenses[0].key"),
        (#"{"licenses": [{"key": "A", "seats": 1}, {"key": "A", "seats": 2}]}"#, "licenses[1].key"),
        (#"{"licenses": [{"key": "A", "seats": 1, "expires": "tomorrow"}]}"#, "licenses[0].expires"),
        (#"{"licenses": [{"key": "A", "seats": 1, "state": "paused"}]}"#, "licenses[0].state"),
        (#"{"licenses": [{"seats": 1}]}"#, "licenses[0].key"),
        (#"{"licenses": [{"key": "A", "seats": "many"}]}"#, "licenses[0].seats"),
        (#"{"licences": []}"#, "licenses"),
    ])
    func rejectsInvalidFilesNamingTheField(json: String, field: String) {
        do {
            _ = try LicenseFile.parse(Data(json.utf8))
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description.contains(field), "\(error)")
        }
    }
}
