import Foundation
import Testing

/// What an operator relies on around the state directory: one daemon per store, a
/// `--check-config` that checks what start-up checks, and backups as private as the store.
@Suite struct StateDirectoryTests {
    /// The second daemon must exit, not serve: its run is bounded (60 s, far beyond the
    /// moment it takes to find the lock). No time limit on the whole test, which would
    /// also count the wait for a daemon slot while the rest of the suite runs.
    @Test func aSecondDaemonOnTheSameStateDirectoryExitsNamingTheFirstAndTouchesNothing() async throws {
        try await withDaemon(licenses: [TestLicense(key: "ONE", seats: 3)]) { daemon in
            let client = try await daemon.connect()
            let grant = try await client.acquire(licenseKey: "ONE", user: "ana", hostname: "h", hardwareID: "hw", clientVersion: "1")
            let socket = daemon.stateDirectory + "/admin.sock"
            let inodeBefore = try FileManager.default.attributesOfItem(atPath: socket)[.systemFileNumber] as? Int

            let second = try await ChildCommand.run(DaemonProcess.binary, [
                "-o", "state_directory=\(daemon.stateDirectory)", "-o", "listen_address=127.0.0.1", "-o", "port=0",
                "-o", "metrics_port=0", "-o", "dashboard_port=0", "-o", "development_mode=true", "-o", "licenses_file=\(daemon.stateDirectory)/licenses.json",
            ], timeout: .seconds(60))
            let holder = try String(contentsOfFile: daemon.stateDirectory + "/seatd.lock", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(second.status != 0)
            #expect(second.output.contains("another seatd (pid \(holder))"), "\(second.output)")
            // The first daemon's admin socket is the same file, and it still serves.
            #expect(try FileManager.default.attributesOfItem(atPath: socket)[.systemFileNumber] as? Int == inodeBefore)
            _ = try await client.heartbeat(grant.token)
            #expect(try await client.validate(licenseKey: "ONE").seatsInUse == 1)
            await client.close()
        }
    }

    @Test func checkConfigRefusesWhatStartUpRefuses() async throws {
        let directory = DaemonProcess.makeStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = ["--check-config", "-o", "state_directory=\(directory)"]

        let missingLicenses = try await ChildCommand.run(DaemonProcess.binary, base + ["-o", "licenses_file=\(directory)/nope.json"])
        #expect(missingLicenses.status == 78)
        #expect(missingLicenses.output.contains("cannot read license file \(directory)/nope.json"))

        // Unsigned licenses are refused outside development mode, as at start.
        try TestLicense.write([TestLicense(key: "UNSIGNED", seats: 2)], to: directory + "/licenses.json")
        let unsigned = try await ChildCommand.run(DaemonProcess.binary, base + ["-o", "licenses_file=\(directory)/licenses.json"])
        #expect(unsigned.status == 78)
        #expect(unsigned.output.contains("UNSIGNED"), "\(unsigned.output)")
        let development = try await ChildCommand.run(DaemonProcess.binary, base + ["-o", "licenses_file=\(directory)/licenses.json", "-o", "development_mode=true"])
        #expect(development.status == 0, "\(development.output)")
        #expect(development.output.contains("1 licenses verified"))
        #expect(development.output.contains("configuration ok"))
        // The policy file too, its reservations against the licenses file.
        let withLicenses = base + ["-o", "licenses_file=\(directory)/licenses.json", "-o", "development_mode=true"]
        try "reserve 2 UNSIGNED user alice\n".write(toFile: directory + "/site.policy", atomically: true, encoding: .utf8)
        let policy = try await ChildCommand.run(DaemonProcess.binary, withLicenses + ["-o", "policy_file=\(directory)/site.policy"])
        #expect(policy.status == 0 && policy.output.contains("policy_file \(directory)/site.policy: 1 rule"), "\(policy.output)")
        try "reserve 3 UNSIGNED user alice\n".write(toFile: directory + "/site.policy", atomically: true, encoding: .utf8)
        let overReserved = try await ChildCommand.run(DaemonProcess.binary, withLicenses + ["-o", "policy_file=\(directory)/site.policy"])
        #expect(overReserved.status == 78)
        #expect(overReserved.output.contains("site.policy:1: reserve 3 UNSIGNED user alice: reservations for license UNSIGNED add up to 3, more than its 2 seats"), "\(overReserved.output)")
        // Nothing was written: no CA, no store.
        #expect(!FileManager.default.fileExists(atPath: directory + "/tls"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/data"))

        let missingTLS = try await ChildCommand.run(DaemonProcess.binary, base + [
            "-o", "tls_certificate_file=\(directory)/cert.pem", "-o", "tls_private_key_file=\(directory)/key.pem",
        ])
        #expect(missingTLS.status == 78)
        #expect(missingTLS.output.contains("\(directory)/cert.pem"), "\(missingTLS.output)")

        let configFile = directory + "/seatd.conf"
        try "port = 7420\nlease_seconds = 60\nport = 7430\n".write(toFile: configFile, atomically: true, encoding: .utf8)
        let duplicate = try await ChildCommand.run(DaemonProcess.binary, ["--check-config", "--config", configFile])
        #expect(duplicate.status == 78)
        #expect(duplicate.output.contains("line 3: key 'port' is already set on line 1"))
    }

    @Test func checkConfigRefusesAKeyThatDoesNotBelongToTheCertificate() async throws {
        // Two self-signed certificates: the certificate of one with the key of the other.
        let directory = DaemonProcess.makeStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["a", "b"] {
            let made = try await ChildCommand.run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-keyout", "\(directory)/\(name)-key.pem", "-out", "\(directory)/\(name).pem",
            ])
            #expect(made.status == 0, "\(made.output)")
        }
        let mismatched = try await ChildCommand.run(DaemonProcess.binary, [
            "--check-config", "-o", "state_directory=\(directory)",
            "-o", "tls_certificate_file=\(directory)/a.pem", "-o", "tls_private_key_file=\(directory)/b-key.pem",
        ])
        #expect(mismatched.status == 78)
        #expect(mismatched.output.contains("does not belong to the certificate"), "\(mismatched.output)")
        let matched = try await ChildCommand.run(DaemonProcess.binary, [
            "--check-config", "-o", "state_directory=\(directory)",
            "-o", "tls_certificate_file=\(directory)/a.pem", "-o", "tls_private_key_file=\(directory)/a-key.pem",
        ])
        #expect(matched.status == 0, "\(matched.output)")
    }

    @Test func backupsAreReadableByTheOwnerOnly() async throws {
        try await withDaemon(licenses: [TestLicense(key: "BAK", seats: 1)]) { daemon in
            let target = daemon.stateDirectory + "/copy"
            let result = try await ChildCommand.run(DaemonProcess.binary, ["backup", "-o", "state_directory=\(daemon.stateDirectory)", "--to", target])
            #expect(result.status == 0, "\(result.output)")
            let folderMode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int
            let fileMode = try FileManager.default.attributesOfItem(atPath: target + "/data.mdb")[.posixPermissions] as? Int
            #expect(folderMode == 0o700)
            #expect(fileMode == 0o600)
        }
    }
}
