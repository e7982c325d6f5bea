import NIOCore

/// Runs a task's jobs on one NIO event loop. A connection's task is started with this as
/// its executor preference, so reading a request, the license actor's work (default actors
/// run on the calling task's preferred executor) and writing the reply all happen on the
/// connection's own event loop thread instead of hopping to the global pool and back
/// for every request. Only the storage commit still leaves the thread (the writer thread).
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `eventLoop` is immutable and itself thread-safe.
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
