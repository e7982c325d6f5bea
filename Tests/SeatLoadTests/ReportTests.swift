import Foundation
import SeatLoadKit
import XCTest

final class ReportTests: XCTestCase {
    func testPercentilesAndJSONRecord() throws {
        var recorder = LoadRecorder()
        for us in 1...1000 { recorder.recordOperation(.heartbeat, microseconds: UInt64(us * 10)) }
        recorder.recordOperation(.acquire, microseconds: 500)
        recorder.recordReply(.refused(code: 104), to: .acquire)
        recorder.recordReply(.refused(code: 112), to: .heartbeat)
        recorder.recordReply(.refused(code: 201), to: .acquire)
        recorder.recordReply(.granted(.init(high: 1, low: 1), reattached: true), to: .reacquire)
        for _ in 0..<1001 { recorder.recordTransaction(microseconds: 100) }
        var other = LoadRecorder()
        other.recordError("timeout", detail: "no reply")
        recorder.merge(other)

        let report = LoadReport(scenario: .steady, clients: 4, run: 2, durationSeconds: 10, elapsedSeconds: 10, connectSeconds: 0.5, targetRate: nil, recorder: recorder)
        let heartbeat = report.summary(.heartbeat)
        XCTAssertEqual(heartbeat.count, 1000)
        XCTAssertEqual(heartbeat.p50, 5.0, accuracy: 0.01)
        XCTAssertEqual(heartbeat.p90, 9.0, accuracy: 0.01)
        XCTAssertEqual(heartbeat.p99, 9.9, accuracy: 0.01)
        XCTAssertEqual(heartbeat.max, 10.0, accuracy: 0.01)
        XCTAssertEqual(report.operationsPerSecond, 100.1, accuracy: 0.001)
        // noSeats on acquire and sessionReleased on a heartbeat are expected refusals;
        // storageFailure and the timeout are failures.
        XCTAssertEqual(report.failedCount, 2)
        XCTAssertEqual(report.refusalsByReason, ["acquire.noSeats": 1, "acquire.storageFailure": 1, "heartbeat.sessionReleased": 1])
        XCTAssertEqual(report.heartbeatNotLive, 1)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.jsonRecord().utf8)) as? [String: Any])
        XCTAssertEqual(json["peer"] as? String, "seatd")
        XCTAssertEqual(json["mix"] as? String, "steady")
        XCTAssertEqual(json["clients"] as? Int, 4)
        XCTAssertEqual(json["failed"] as? Int, 2)
        XCTAssertEqual(json["ops_per_s"] as? Double, 100.1)
        let counts = try XCTUnwrap(json["op_counts"] as? [String: Any])
        XCTAssertEqual(counts["refused"] as? Int, 2)
        XCTAssertEqual(counts["existing"] as? Int, 1)
        let percentiles = try XCTUnwrap(json["op_percentiles_ms"] as? [String: [String: Double]])
        XCTAssertEqual(percentiles["heartbeat"]?["p99"] ?? 0, 9.9, accuracy: 0.01)
        XCTAssertTrue(report.table().contains("heartbeat"))
    }
}
