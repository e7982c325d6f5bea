import SeatCore

/// Refused acquires in one clock hour (UTC).
public struct HourlyDenials: Sendable, Equatable {
    public var hourStart: Timestamp
    public var count: Int64

    public init(hourStart: Timestamp, count: Int64) {
        self.hourStart = hourStart
        self.count = count
    }
}

/// Denials as an hour-by-weekday heatmap, as SVG: 7 rows (Monday first) of 24 hour
/// cells (UTC), each as dark as its share of the busiest cell, with its total as a
/// tooltip. It shows when people are turned away, week after week.
public enum DenialHeatmap {
    public static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let cell = 24, left = 40, top = 18

    /// Totals per weekday (0 = Monday) and hour of day.
    public static func totals(_ denials: [HourlyDenials]) -> [[Int64]] {
        var grid = Array(repeating: Array(repeating: Int64(0), count: 24), count: 7)
        for denial in denials {
            let hours = UsageHour.hour(of: denial.hourStart)
            let hour = Int(((hours % 24) + 24) % 24)
            let days = (hours - Int64(hour)) / 24
            // 1970-01-01 was a Thursday (weekday 3 counting Monday as 0).
            let weekday = Int((((days + 3) % 7) + 7) % 7)
            grid[weekday][hour] += denial.count
        }
        return grid
    }

    public static func svg(_ denials: [HourlyDenials]) -> String {
        let grid = totals(denials)
        let busiest = max(1, grid.joined().max() ?? 0)
        let width = left + 24 * cell + 4, height = top + 7 * cell + 4
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" class="chart heatmap" viewBox="0 0 \#(width) \#(height)" width="\#(width)" height="\#(height)" role="img" aria-label="denials by weekday and hour (UTC)">"#
        for hour in stride(from: 0, to: 24, by: 3) {
            svg += #"<text class="axis" x="\#(left + hour * cell + 2)" y="12">\#(hour)h</text>"#
        }
        for (weekday, row) in grid.enumerated() {
            svg += #"<text class="axis" x="\#(left - 6)" y="\#(top + weekday * cell + 16)" text-anchor="end">\#(weekdays[weekday])</text>"#
            for (hour, count) in row.enumerated() {
                // Tenths of the busiest cell, so an hour with any denial is visible.
                let shade = count == 0 ? 0 : max(1, Int(count * 10 / busiest))
                svg += #"<rect class="cell shade-\#(shade)" data-count="\#(count)" x="\#(left + hour * cell)" y="\#(top + weekday * cell)" width="\#(cell - 2)" height="\#(cell - 2)">"#
                svg += "<title>\(weekdays[weekday]) \(hour):00 UTC: \(count) denials</title></rect>"
            }
        }
        return svg + "</svg>"
    }
}
