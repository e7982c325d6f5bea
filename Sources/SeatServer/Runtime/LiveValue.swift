import Synchronization

/// A setting that SIGHUP may replace while the daemon runs. Readers take the current
/// value under a short lock (uncontended: tens of nanoseconds), so a reload never
/// needs to stop or rebuild the parts that read it.
final class LiveValue<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    init(_ value: Value) {
        storage = Mutex(value)
    }

    var value: Value {
        storage.withLock { $0 }
    }

    func set(_ value: Value) {
        storage.withLock { $0 = value }
    }
}
