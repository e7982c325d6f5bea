import Foundation
import SeatLoadKit
import XCTest

final class DataSetTests: XCTestCase {
    func testBenchPreloadMatchesThePeers() {
        let bench = BenchDataSet()
        XCTAssertEqual(bench.preloadSessionCount, 27_500)
        XCTAssertEqual(bench.preloadKey(0), AcquireKey(license: "lic-1", user: "p1", hardware: "h1"))
        XCTAssertEqual(bench.preloadKey(4_999), AcquireKey(license: "lic-100", user: "p50", hardware: "h1"))
        XCTAssertEqual(bench.preloadKey(5_000), AcquireKey(license: "lic-101", user: "p1", hardware: "h1"))
        XCTAssertEqual(bench.preloadKey(27_499), AcquireKey(license: "lic-1000", user: "p25", hardware: "h1"))
        var perLicense: [String: Int] = [:]
        var all = Set<AcquireKey>()
        for index in 0..<bench.preloadSessionCount {
            let key = bench.preloadKey(index)
            perLicense[key.license, default: 0] += 1
            all.insert(key)
        }
        XCTAssertEqual(all.count, 27_500, "every preloaded session is distinct")
        XCTAssertEqual(perLicense["lic-100"], 50)
        XCTAssertEqual(perLicense["lic-101"], 25)
        XCTAssertEqual(perLicense.count, 1000)
    }

    func testHoldKeysAreDistinctAndFitTheLicenses() {
        let hold = HoldDataSet(sessions: 2_500, seatsPerLicense: 1000)
        XCTAssertEqual(hold.licenses, 3)
        var perLicense: [String: Int] = [:]
        for index in 0..<2_500 { perLicense[hold.key(index).license, default: 0] += 1 }
        XCTAssertTrue(perLicense.values.allSatisfy { $0 <= 1000 })
        XCTAssertEqual(Set((0..<2_500).map(hold.key)).count, 2_500)
    }

    func testLicenseFileIsValidJSON() throws {
        let text = LicenseFileWriter.json(bench: BenchDataSet(), hold: HoldDataSet(licenses: 2, seats: 1000))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let licenses = try XCTUnwrap(object?["licenses"] as? [[String: Any]])
        XCTAssertEqual(licenses.count, 1002)
        XCTAssertEqual(licenses[0]["key"] as? String, "lic-1")
        XCTAssertEqual(licenses[0]["seats"] as? Int, 50)
        XCTAssertEqual(licenses[1001]["key"] as? String, "hold-2")
        XCTAssertEqual(licenses[1001]["seats"] as? Int, 1000)
    }

    func testRandomIsDeterministicAndInRange() {
        var a = LoadRandom(seed: 42)
        var b = LoadRandom(seed: 42)
        for _ in 0..<1000 {
            let x = a.int(1, 1000)
            XCTAssertEqual(x, b.int(1, 1000))
            XCTAssertTrue((1...1000).contains(x))
        }
    }

    func testOpenLoopScheduleIsFixedRate() {
        var schedule = OpenLoopSchedule(startNanoseconds: 1_000, intervalNanoseconds: 250)
        XCTAssertEqual(schedule.take(), 1_000)
        XCTAssertEqual(schedule.take(), 1_250)
        XCTAssertEqual(schedule.nextDueNanoseconds, 1_500)
    }
}
