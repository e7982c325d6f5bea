import Foundation
import Testing

/// The daemon's command line: invalid configuration names the key and exits 78.
@Suite struct DaemonConfigurationTests {
    func runSeatd(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await ChildCommand.run(DaemonProcess.binary, arguments)
    }

    @Test func invalidValueNamesTheKey() async throws {
        let result = try await runSeatd(["-o", "lease_seconds=soon", "--check-config"])
        #expect(result.status == 78)
        #expect(result.output.contains("lease_seconds"))
    }

    @Test func unknownKeyInFileNamesKeyAndLine() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-\(UUID().uuidString).conf").path
        try "port = 7420\n# comment\nleese_seconds = 30\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await runSeatd(["--config", path, "--check-config"])
        #expect(result.status == 78)
        #expect(result.output.contains("leese_seconds"))
        #expect(result.output.contains("line 3"))
    }

    @Test func defaultConfigurationIsValidAsAFile() async throws {
        let defaults = try await runSeatd(["--print-default-config"])
        #expect(defaults.status == 0)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-\(UUID().uuidString).conf").path
        try defaults.output.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let check = try await runSeatd(["--config", path, "--check-config"])
        #expect(check.status == 0, "\(check.output)")
    }

    @Test func invalidLicenseFileStopsStartWithTheField() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        try #"{"licenses": [{"key": "A", "seats": -1}]}"#.write(toFile: stateDirectory + "/licenses.json", atomically: true, encoding: .utf8)
        let result = try await runSeatd(["-o", "state_directory=\(stateDirectory)", "-o", "licenses_file=\(stateDirectory)/licenses.json", "-o", "port=0", "-o", "listen_address=127.0.0.1"])
        #expect(result.status == 1)
        #expect(result.output.contains("licenses[0].seats"))
    }
}
