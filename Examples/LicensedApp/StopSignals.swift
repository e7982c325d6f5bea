import Dispatch
import Foundation

/// Catches SIGINT and SIGTERM and calls `onSignal` instead of ending the process, so the
/// seat can be released first. Keep the returned sources alive for as long as the signals
/// should be caught.
///
/// Defined outside main.swift on purpose: a closure written in top-level code is isolated
/// to the main actor, and Dispatch would run it on another queue (a runtime trap).
func catchStopSignals(_ onSignal: @escaping @Sendable (Int32) -> Void) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber)
        source.setEventHandler { onSignal(signalNumber) }
        source.resume()
        return source
    }
}
