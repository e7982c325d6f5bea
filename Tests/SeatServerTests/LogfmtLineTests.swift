import Logging
import SeatCore
import Testing

@testable import SeatServer

@Suite struct LogfmtLineTests {
    private func line(_ message: String, _ metadata: Logger.Metadata = [:], at milliseconds: Int64 = 1_764_660_239_824) -> String {
        String(decoding: LogfmtLine.render(millisecondsSinceEpoch: milliseconds, level: .info, message: message, metadata: metadata), as: UTF8.self)
    }

    @Test func aLineHasTimeLevelMessageAndSortedMetadata() {
        #expect(line("listening", ["port": "7420", "address": "127.0.0.1"])
            == "time=2025-12-02T07:23:59.824Z level=info msg=listening address=127.0.0.1 port=7420\n")
    }

    @Test func valuesThatCouldForgeAFieldOrEndTheLineAreQuotedAndEscaped() {
        #expect(line("seat granted") == "time=2025-12-02T07:23:59.824Z level=info msg=\"seat granted\"\n")
        #expect(line("m", ["user": ""]).hasSuffix(" user=\"\"\n"))
        #expect(line("m", ["user": "a=b"]).hasSuffix(" user=\"a=b\"\n"))
        #expect(line("m", ["user": "say \"hi\""]).hasSuffix(" user=\"say \\\"hi\\\"\"\n"))
        #expect(line("m", ["user": "back\\slash"]).hasSuffix(" user=\"back\\\\slash\"\n"))
        #expect(line("m", ["user": "two\nlines\r\nthree"]).hasSuffix(" user=\"two\\nlines\\r\\nthree\"\n"))
        #expect(line("m", ["user": "tab\there"]).hasSuffix(" user=\"tab\there\"\n"))
        #expect(line("m", ["user": "next\u{85}line"]).hasSuffix(" user=\"next\u{85}line\"\n"))
        #expect(line("m", ["user": "para\u{2029}graph"]).hasSuffix(" user=\"para\u{2029}graph\"\n"))
        #expect(line("m", ["user": "zoë-müller"]).hasSuffix(" user=zoë-müller\n"))
        // One line per event, whatever the values hold.
        let forged = line("a\nlevel=critical msg=forged", ["k": "v\nlevel=critical"])
        #expect(forged.filter { $0 == "\n" }.count == 1)
    }

    @Test func nonStringMetadataIsWrittenAsItsDescription() {
        #expect(line("m", ["count": .stringConvertible(42)]).hasSuffix(" count=42\n"))
        #expect(line("m", ["keys": .array(["a", "b"])]).hasSuffix(#" keys="[\"a\", \"b\"]""# + "\n"))
    }

    @Test func timestampsAreTheAuditLogsISO8601() {
        var generator = SystemRandomNumberGenerator()
        // Leap days, year and month ends, the epoch, times before it, far ahead.
        var samples: [Int64] = [0, -1, -86_400_000, 951_782_400_000, 951_868_799_999, 1_709_164_800_000, 4_102_444_799_999, 253_402_300_799_999]
        for _ in 0..<2_000 { samples.append(Int64.random(in: -2_208_988_800_000...253_402_300_799_999, using: &generator)) }
        for milliseconds in samples {
            var rendered: [UInt8] = []
            LogfmtLine.appendTimestamp(milliseconds, to: &rendered)
            #expect(String(decoding: rendered, as: UTF8.self) == Timestamp(millisecondsSinceEpoch: milliseconds).iso8601, "\(milliseconds)")
        }
    }
}
