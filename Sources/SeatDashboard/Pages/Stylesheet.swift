/// The dashboard's one stylesheet, served by seatd itself (no CDN, no web fonts).
enum Stylesheet {
    static let css = """
        body { font-family: system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
        header { display: flex; gap: 1.5em; align-items: center; padding: 0.6em 1.5em; background: #1d2430; color: #fff; }
        header nav a { color: #fff; margin-right: 1em; text-decoration: none; font-weight: 600; }
        header .who { margin-left: auto; opacity: 0.8; }
        header form { margin: 0; }
        main { padding: 1em 1.5em; max-width: 1100px; }
        table { border-collapse: collapse; background: #fff; margin-bottom: 1.5em; }
        th, td { text-align: left; padding: 0.35em 0.8em; border-bottom: 1px solid #e2e5ea; }
        th { background: #eef0f3; font-weight: 600; }
        .problem { color: #a11; font-weight: 600; }
        .notice { color: #175; font-weight: 600; }
        .ranges a { margin-right: 0.8em; }
        .ranges a.selected { font-weight: 700; text-decoration: none; color: #1d2430; }
        figure { margin: 0 0 1.5em 0; }
        figcaption { font-size: 0.85em; color: #555; }
        .chart .plot { fill: #fff; stroke: #c9ced6; }
        .chart .step { fill: #6a9fd8; stroke: #2f6db0; stroke-width: 1; }
        .chart .seats { stroke: #c0392b; stroke-width: 2; stroke-dasharray: 6 4; }
        .chart .axis { font-size: 11px; fill: #555; }
        .bar .track { fill: #e2e5ea; }
        .bar .fill { fill: #2f6db0; }
        .bar .fill.full { fill: #c0392b; }
        .heatmap .cell { fill: #c0392b; stroke: #e2e5ea; }
        .heatmap .shade-0 { fill: #fff; }
        .heatmap .shade-1 { fill-opacity: 0.1; } .heatmap .shade-2 { fill-opacity: 0.2; } .heatmap .shade-3 { fill-opacity: 0.3; }
        .heatmap .shade-4 { fill-opacity: 0.4; } .heatmap .shade-5 { fill-opacity: 0.5; } .heatmap .shade-6 { fill-opacity: 0.6; }
        .heatmap .shade-7 { fill-opacity: 0.7; } .heatmap .shade-8 { fill-opacity: 0.8; } .heatmap .shade-9 { fill-opacity: 0.9; }
        .heatmap .shade-10 { fill-opacity: 1; }
        .signin input { display: block; margin: 0.4em 0 0.8em; padding: 0.4em; width: 24em; }
        .report-form label { margin-right: 1em; }
        """
}
