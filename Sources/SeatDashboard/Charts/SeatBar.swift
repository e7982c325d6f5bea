/// The overview's bar of seats in use out of seats, as SVG (red when every seat is taken).
public enum SeatBar {
    public static let width = 120

    public static func svg(inUse: Int, seats: Int) -> String {
        let filled = seats > 0 ? min(width, max(0, inUse) * width / seats) : 0
        let full = seats > 0 && inUse >= seats ? " full" : ""
        return #"<svg xmlns="http://www.w3.org/2000/svg" class="bar" width="\#(width)" height="12" role="img" aria-label="\#(inUse) of \#(seats) seats in use">"#
            + #"<rect class="track" width="\#(width)" height="12"/><rect class="fill\#(full)" width="\#(filled)" height="12"/></svg>"#
    }
}
