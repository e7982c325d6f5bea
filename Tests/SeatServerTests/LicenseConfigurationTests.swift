import Foundation
@testable import SeatServer
import SeatLicensing
import Testing

/// development_mode and vendor_public_keys: parsed, rendered back, and turned into the
/// verifier the licenses file is checked with.
@Suite struct LicenseConfigurationTests {
    let first = VendorSigningKey.generate().publicKey
    let second = VendorSigningKey.generate().publicKey

    @Test func productionByDefault() {
        let verifier = ServerConfiguration().licenseVerifier
        #expect(verifier == LicenseVerifier(trustedKeys: [], allowUnsigned: false))
    }

    @Test func severalVendorKeysFromTheFileIncludingTheirBase64Padding() throws {
        var configuration = ServerConfiguration()
        try ConfigurationLoader.apply(fileContents: """
            vendor_public_keys = \(first.base64), \(second.base64)
            development_mode = true
            """, to: &configuration)
        #expect(configuration.licenseVerifier == LicenseVerifier(trustedKeys: [first, second], allowUnsigned: true))
        var reparsed = ServerConfiguration()
        try ConfigurationLoader.apply(fileContents: ConfigurationLoader.defaultConfigurationText(), to: &reparsed)
        let rendered = ConfigurationKey.named("vendor_public_keys")!.render(configuration)
        try ConfigurationKey.named("vendor_public_keys")!.apply(&reparsed, rendered)
        #expect(reparsed.vendorPublicKeys == [first, second])
    }

    @Test func invalidValuesNameTheKey() {
        #expect(throws: ConfigurationError.invalidValue(key: "development_mode", value: "yes", expected: "true or false")) {
            try ConfigurationLoader.load(file: nil, overrides: ["development_mode=yes"])
        }
        do {
            _ = try ConfigurationLoader.load(file: nil, overrides: ["vendor_public_keys=\(first.base64),AAAA"])
            Issue.record("accepted a 3-byte public key")
        } catch {
            #expect("\(error)".contains("vendor_public_keys"), "\(error)")
        }
    }
}
