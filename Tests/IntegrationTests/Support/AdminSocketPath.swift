extension DaemonProcess {
    /// The admin socket's path, once seatd has logged that it listens there (it is bound
    /// alongside the client port, and its mode is set right after).
    func adminSocket() async throws -> String {
        _ = try await waitForLog(containing: "msg=\"admin socket listening\"")
        return stateDirectory + "/admin.sock"
    }
}
