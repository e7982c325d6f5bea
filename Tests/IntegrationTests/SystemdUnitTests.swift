import Foundation
import Testing

private let systemdAnalyzeAvailable = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].contains { FileManager.default.isExecutableFile(atPath: $0) }

/// The shipped unit and the install scripts, checked as CI and an operator would.
@Suite struct SystemdUnitTests {
    @Test(.enabled(if: systemdAnalyzeAvailable, "systemd-analyze is not installed; scripts/install-deps.sh installs the systemd package"))
    func unitVerifiesAndExposureIsAtMostTwo() async throws {
        let result = try await ChildCommand.run(ChildCommand.repositoryRoot + "/scripts/check-systemd.sh", [DaemonProcess.binary])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("verify: ok"))
        let score = result.output.split(separator: "\n").first { $0.hasPrefix("exposure: ") }.flatMap { Double($0.dropFirst("exposure: ".count)) }
        let exposure = try #require(score, "\(result.output)")
        #expect(exposure <= 2.0)
    }

    @Test func installAndUninstallIntoAStagingRoot() async throws {
        let root = DaemonProcess.makeStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let buildDirectory = URL(fileURLWithPath: DaemonProcess.binary).deletingLastPathComponent().path
        let scripts = ChildCommand.repositoryRoot + "/scripts"
        let installed = try await ChildCommand.run(scripts + "/install.sh", [buildDirectory], environment: ["DESTDIR": root, "PREFIX": "/usr/local"])
        #expect(installed.status == 0, "\(installed.output)")
        for file in ["/usr/local/bin/seatd", "/usr/local/bin/seatctl", "/etc/systemd/system/seatd.service", "/usr/local/share/doc/seatd/operations.md", "/etc/seatd/licenses.json"] {
            #expect(FileManager.default.fileExists(atPath: root + file), "\(file) not installed")
        }
        let config = try String(contentsOfFile: root + "/etc/seatd/seatd.conf", encoding: .utf8)
        #expect(config.contains("\nstate_directory = /var/lib/seatd\n"))
        #expect(config.contains("\nlicenses_file = /etc/seatd/licenses.json\n"))
        #expect(config.contains("# Address of the HTTP listener"))

        let removed = try await ChildCommand.run(scripts + "/uninstall.sh", [], environment: ["DESTDIR": root, "PREFIX": "/usr/local"])
        #expect(removed.status == 0, "\(removed.output)")
        #expect(!FileManager.default.fileExists(atPath: root + "/usr/local/bin/seatd"))
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/systemd/system/seatd.service"))
        // Configuration stays unless PURGE=1.
        #expect(FileManager.default.fileExists(atPath: root + "/etc/seatd/seatd.conf"))
    }
}
