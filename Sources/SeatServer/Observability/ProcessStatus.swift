/// What `/proc/self/stat` says of the process, parsed without I/O (proc(5)).
struct ProcessStatus: Equatable {
    /// User plus system time, in clock ticks.
    var cpuTicks: Int64
    /// Start time, in clock ticks after boot.
    var startTicks: Int64
    var virtualBytes: Int64
    var residentPages: Int64

    init(cpuTicks: Int64, startTicks: Int64, virtualBytes: Int64, residentPages: Int64) {
        self.cpuTicks = cpuTicks
        self.startTicks = startTicks
        self.virtualBytes = virtualBytes
        self.residentPages = residentPages
    }

    /// `stat` is the file's one line. The command name (field 2) is in parentheses and may
    /// itself contain spaces and parentheses, so fields are counted from the last ")".
    init?(stat: String) {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // Fields 3... (state, ppid, ...): utime is field 14, stime 15, starttime 22,
        // vsize 23, rss 24, so at offsets 11, 12, 19, 20, 21 after the name.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 21,
              let user = Int64(fields[11]), let system = Int64(fields[12]),
              let start = Int64(fields[19]), let virtual = Int64(fields[20]), let resident = Int64(fields[21])
        else { return nil }
        cpuTicks = user + system
        startTicks = start
        virtualBytes = virtual
        residentPages = resident
    }

    /// The boot time (`btime`, Unix seconds) from `/proc/stat`.
    static func bootTime(procStat: String) -> Int64? {
        for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int64(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
