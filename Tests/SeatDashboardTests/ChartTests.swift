import SeatCore
import SeatDashboard
import Testing

/// The SVG charts: geometry and the numbers their tooltips state.
@Suite struct ChartTests {
    static let hour = UsageHour.milliseconds
    let start = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000 / UsageHour.milliseconds * UsageHour.milliseconds)

    /// The values of `attribute` on elements of `class`, in order.
    static func attribute(_ attribute: String, ofClass className: String, in svg: String) -> [String] {
        svg.split(separator: "<").filter { $0.contains("class=\"\(className)") }.compactMap { element in
            guard let range = element.range(of: " \(attribute)=\"") else { return nil }
            return String(element[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test func eachPeriodIsAStepAsHighAsItsPeak() {
        let peaks = [SeatPeak(start: start, peak: 0), SeatPeak(start: start.adding(milliseconds: Self.hour), peak: 2), SeatPeak(start: start.adding(milliseconds: 2 * Self.hour), peak: 4)]
        let svg = SeatStepChart.svg(peaks: peaks, seats: 4, from: start, to: start.adding(milliseconds: 4 * Self.hour), label: { $0.iso8601 })
        #expect(Self.attribute("data-peak", ofClass: "step", in: svg) == ["0", "2", "4"])
        let heights = Self.attribute("height", ofClass: "step", in: svg).compactMap(Int.init)
        #expect(heights.count == 3 && heights[0] == 0 && heights[1] * 2 == heights[2], "steps are proportional to their peaks")
        let widths = Self.attribute("width", ofClass: "step", in: svg).compactMap(Int.init)
        #expect(widths[0] == widths[1] && widths[2] == 2 * widths[0], "the last step is held until the end of the range")
        // The seats line is at the top: the highest peak equals the seats.
        let seatsY = Self.attribute("y1", ofClass: "seats", in: svg).first.flatMap(Int.init)
        let topStepY = Self.attribute("y", ofClass: "step", in: svg).last.flatMap(Int.init)
        #expect(seatsY != nil && seatsY == topStepY)
        #expect(svg.contains("<title>\(start.adding(milliseconds: Self.hour).iso8601): 2 of 4 seats in use</title>"))
    }

    @Test func aPeakAboveTheSeatsStillFits() {
        let svg = SeatStepChart.svg(peaks: [SeatPeak(start: start, peak: 6)], seats: 3, from: start, to: start.adding(milliseconds: Self.hour), label: { $0.iso8601 })
        let stepY = Self.attribute("y", ofClass: "step", in: svg).compactMap(Int.init)
        let seatsY = Self.attribute("y1", ofClass: "seats", in: svg).compactMap(Int.init)
        #expect(stepY.first! >= 0 && stepY.first! < seatsY.first!, "the axis grows to the peak; the seats line sits below it")
    }

    @Test func labelsAreEscaped() {
        let svg = SeatStepChart.svg(peaks: [SeatPeak(start: start, peak: 1)], seats: 1, from: start, to: start.adding(milliseconds: Self.hour), label: { _ in "<b>&" })
        #expect(!svg.contains("<b>") && svg.contains("&lt;b&gt;&amp;"))
    }

    @Test func denialsLandOnTheirWeekdayAndHour() {
        // 2026-11-30 is a Monday.
        let monday = Timestamp(millisecondsSinceEpoch: Timestamp.daysSinceEpoch(year: 2026, month: 11, day: 30) * 86_400_000)
        let denials = [
            HourlyDenials(hourStart: monday.adding(milliseconds: 9 * Self.hour), count: 3),
            HourlyDenials(hourStart: monday.adding(milliseconds: (7 * 24 + 9) * Self.hour), count: 2),  // the next Monday 09:00
            HourlyDenials(hourStart: monday.adding(milliseconds: (6 * 24 + 23) * Self.hour), count: 1),  // Sunday 23:00
        ]
        let grid = DenialHeatmap.totals(denials)
        #expect(grid[0][9] == 5)
        #expect(grid[6][23] == 1)
        #expect(grid.joined().reduce(0, +) == 6)
        let svg = DenialHeatmap.svg(denials)
        #expect(Self.attribute("data-count", ofClass: "cell", in: svg).count == 7 * 24)
        #expect(svg.contains("<title>Mon 9:00 UTC: 5 denials</title>"))
        #expect(svg.contains(#"class="cell shade-10" data-count="5""#))
        #expect(svg.contains(#"class="cell shade-2" data-count="1""#))
    }

    @Test func theBarFillsItsShareAndTurnsRedWhenFull() {
        #expect(SeatBar.svg(inUse: 1, seats: 4).contains(#"<rect class="fill" width="30""#))
        #expect(SeatBar.svg(inUse: 4, seats: 4).contains(#"<rect class="fill full" width="120""#))
        #expect(SeatBar.svg(inUse: 0, seats: 0).contains(#"<rect class="fill" width="0""#))
    }

    @Test func seriesAreReadFromTheReportsOfOneLicense() {
        func summary(_ license: String, peak: Int) -> UsageSummary {
            var summary = UsageSummary(licenseKey: license, tenant: "t", periodStart: start, periodEnd: start.adding(milliseconds: Self.hour))
            summary.peakInUse = peak
            return summary
        }
        let report = UsageReport(.usage, [summary("A", peak: 2), summary("B", peak: 5)], seats: ["A": 3, "B": 5])
        #expect(ReportSeries.peaks(report, license: "A") == [SeatPeak(start: start, peak: 2)])
    }

    @Test func rangesStartWholePeriodsBack() {
        let now = Timestamp(millisecondsSinceEpoch: Timestamp.daysSinceEpoch(year: 2026, month: 3, day: 15) * 86_400_000 + 5 * Self.hour + 1234)
        #expect(ChartRange.day.start(endingAt: now).iso8601 == "2026-03-14T06:00:00.000Z")
        #expect(ChartRange.month.start(endingAt: now).iso8601 == "2026-02-14T00:00:00.000Z")
        #expect(ChartRange.year.start(endingAt: now).iso8601 == "2025-04-01T00:00:00.000Z")
    }
}

@Suite struct ReportTextTests {
    @Test func numbersAndCSVAreWrittenAsSeatctlWritesThem() {
        #expect(ReportText.number(hundredths: 150) == "1.50")
        #expect(ReportText.number(hundredths: 200) == "2")
        #expect(ReportText.number(hundredths: 5) == "0.05")
        #expect(ReportText.number(hundredths: -133) == "-1.33")
        #expect(ReportText.csv(columns: ["a", "b"], rows: [["x,y", "say \"hi\""], ["1", ""]]) == "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n1,\r\n")
    }
}
