// A licensed application in miniature: takes a seat from seatd, prints every change of
// the lease while it "works", and releases the seat on Ctrl-C (SIGINT) or SIGTERM.
//
//   SEATD_ACCESS_KEY=seatd_... swift run licensed-app-example --server localhost:7420 --ca ./state/tls/ca.pem DEMO-CAD-5
import Dispatch
import Foundation
import SeatClient
import SeatProtocol

let arguments = ExampleArguments.parse(CommandLine.arguments.dropFirst())
// The tenant's access key comes from the environment, not the command line, where other
// users could read it.
let configuration = SeatClientConfiguration(
    servers: arguments.servers, trustRootsFile: arguments.caFile, clientName: "licensed-app-example",
    accessKey: ProcessInfo.processInfo.environment["SEATD_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
)

let lease: SeatLease
do {
    lease = try await SeatLease.acquire(SeatRequest(licenseKey: arguments.licenseKey, clientVersion: "1.0"), configuration: configuration)
} catch let reply as ErrorReply {
    print("no seat: \(reply.message)")
    exit(3)
}

// Ctrl-C and SIGTERM end the work; the seat is released before the program exits.
let (stop, stopContinuation) = AsyncStream.makeStream(of: Int32.self)
let signalSources = catchStopSignals { stopContinuation.yield($0) }

let watcher = Task {
    for await state in lease.states {
        print("lease: \(ExampleArguments.describe(state))")
        if ExampleArguments.isLostForGood(state) { print("the seat is gone; a real application would save work and stop here") }
    }
}

for await signalNumber in stop {
    print("signal \(signalNumber): releasing the seat")
    break
}
do {
    if let result = try await lease.release() {
        print("released; \(result.seatsInUse) of \(result.seatsTotal) seats in use")
    }
} catch {
    print("release failed (the seat expires on its own): \(error)")
}
await watcher.value
