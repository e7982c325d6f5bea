import SeatCore

/// One period of a license's use: the most seats in use at any moment of it.
public struct SeatPeak: Sendable, Equatable {
    public var start: Timestamp
    public var peak: Int

    public init(start: Timestamp, peak: Int) {
        self.start = start
        self.peak = peak
    }
}

/// A step chart of seats in use against the license's seats, as SVG: one step per period
/// (its peak, held until the next period starts), and the seats as a dashed line. Each
/// step carries a `<title>` (the browser's tooltip) with its period and peak, so the
/// numbers can be read without guessing from pixels.
public enum SeatStepChart {
    public static let width = 720
    public static let height = 240
    static let left = 44, right = 12, top = 12, bottom = 28
    static var plotWidth: Int { width - left - right }
    static var plotHeight: Int { height - top - bottom }

    /// - Parameters:
    ///   - peaks: one per period, oldest first, each starting within `from..<to`.
    ///   - label: how a period's start is written (tooltips and the axis).
    public static func svg(peaks: [SeatPeak], seats: Int, from: Timestamp, to: Timestamp, label: (Timestamp) -> String) -> String {
        let span = max(1, to.millisecondsSinceEpoch - from.millisecondsSinceEpoch)
        let top = max(1, seats, peaks.map(\.peak).max() ?? 0)
        func x(_ time: Timestamp) -> Int {
            let offset = min(max(0, time.millisecondsSinceEpoch - from.millisecondsSinceEpoch), span)
            return left + Int(offset * Int64(plotWidth) / span)
        }
        func y(_ value: Int) -> Int { Self.top + plotHeight - value * plotHeight / top }

        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" class="chart step-chart" viewBox="0 0 \#(width) \#(height)" width="\#(width)" height="\#(height)" role="img" aria-label="seats in use against \#(seats) seats">"#
        svg += #"<rect class="plot" x="\#(left)" y="\#(Self.top)" width="\#(plotWidth)" height="\#(plotHeight)"/>"#
        for (index, peak) in peaks.enumerated() {
            let start = x(peak.start)
            let end = index + 1 < peaks.count ? x(peaks[index + 1].start) : x(to)
            svg += #"<rect class="step" data-peak="\#(peak.peak)" x="\#(start)" y="\#(y(peak.peak))" width="\#(max(0, end - start))" height="\#(y(0) - y(peak.peak))">"#
            svg += "<title>\(HTML.escape(label(peak.start))): \(peak.peak) of \(seats) seats in use</title></rect>"
        }
        svg += #"<line class="seats" data-seats="\#(seats)" x1="\#(left)" y1="\#(y(seats))" x2="\#(left + plotWidth)" y2="\#(y(seats))"/>"#
        svg += #"<text class="axis" x="\#(left - 6)" y="\#(y(top) + 4)" text-anchor="end">\#(top)</text>"#
        svg += #"<text class="axis" x="\#(left - 6)" y="\#(y(0) + 4)" text-anchor="end">0</text>"#
        svg += #"<text class="axis" x="\#(left)" y="\#(height - 8)">\#(HTML.escape(label(from)))</text>"#
        svg += #"<text class="axis" x="\#(left + plotWidth)" y="\#(height - 8)" text-anchor="end">\#(HTML.escape(label(to)))</text>"#
        return svg + "</svg>"
    }
}
