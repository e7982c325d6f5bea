import Foundation
import Glibc
import Prometheus
import Synchronization

/// The standard `process_*` series, read from /proc at each scrape.
final class ProcessMetrics: Sendable {
    private let cpuSeconds: Counter
    /// Ticks already added to `cpuSeconds`: the counter grows by what the kernel added since.
    private let countedTicks = Mutex<Int64>(0)
    private let residentBytes: Gauge
    private let virtualBytes: Gauge
    private let openDescriptors: Gauge
    private let maximumDescriptors: Gauge
    private let startTime: Gauge
    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))

    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String) -> Gauge { registry.makeGauge(descriptor: MetricHelp.descriptor(name)) }
        cpuSeconds = registry.makeCounter(descriptor: MetricHelp.descriptor("process_cpu_seconds_total"))
        residentBytes = gauge("process_resident_memory_bytes")
        virtualBytes = gauge("process_virtual_memory_bytes")
        openDescriptors = gauge("process_open_fds")
        maximumDescriptors = gauge("process_max_fds")
        startTime = gauge("process_start_time_seconds")
    }

    func update() {
        if let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let status = ProcessStatus(stat: text) {
            let added = countedTicks.withLock { counted in
                defer { counted = max(counted, status.cpuTicks) }
                return max(0, status.cpuTicks - counted)
            }
            if added > 0 { cpuSeconds.increment(by: Double(added) / ticksPerSecond) }
            residentBytes.set(status.residentPages * pageSize)
            virtualBytes.set(status.virtualBytes)
            if let procStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let boot = ProcessStatus.bootTime(procStat: procStat) {
                startTime.set(Double(boot) + Double(status.startTicks) / ticksPerSecond)
            }
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openDescriptors.set(Int64(descriptors.count))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            maximumDescriptors.set(Int64(clamping: limit.rlim_cur))
        }
    }
}
