import Foundation
import SeatCore

/// `seatd --check-config`: everything start-up would refuse, checked without starting:
/// the configuration itself (already parsed), the licenses file with its signatures, and
/// the TLS files (readable, a certificate, a key that belongs to it). Nothing is written;
/// a development CA that does not exist yet is reported as to be generated.
public enum ConfigurationCheck {
    /// One line per thing checked; throws the first problem, worded as start-up words it.
    public static func run(_ configuration: ServerConfiguration) throws -> [String] {
        var report: [String] = []
        var licenses: [License] = []
        if configuration.licensesFile.isEmpty {
            report.append("licenses_file: none (licenses come from seatctl license import/add)")
        } else {
            licenses = try LicenseFile.load(path: configuration.licensesFile, verifier: configuration.licenseVerifier)
            report.append("licenses_file \(configuration.licensesFile): \(licenses.count) licenses verified")
        }
        if configuration.policyFile.isEmpty {
            report.append("policy_file: none")
        } else {
            // Reservations are checked against the licenses file only: stored licenses are
            // not read without starting.
            let policy = try PolicyFile.load(path: configuration.policyFile, licenses: licenses)
            report.append("policy_file \(configuration.policyFile): \(policy.ruleCount) \(policy.ruleCount == 1 ? "rule" : "rules")")
        }
        if !configuration.tlsCertificateFile.isEmpty {
            _ = try ServerTLS.makeContext(certificateChainFile: configuration.tlsCertificateFile, privateKeyFile: configuration.tlsPrivateKeyFile)
            report.append("tls: \(configuration.tlsCertificateFile) with key \(configuration.tlsPrivateKeyFile)")
        } else {
            let ca = DevelopmentCA(directory: configuration.tlsDirectory)
            if FileManager.default.fileExists(atPath: ca.serverCertificatePath) {
                _ = try ServerTLS.makeContext(certificateChainFile: ca.serverCertificatePath, privateKeyFile: ca.serverPrivateKeyPath)
                report.append("tls: development CA in \(configuration.tlsDirectory)")
            } else {
                report.append("tls: a development CA will be generated in \(configuration.tlsDirectory) on first start")
            }
        }
        return report
    }
}
