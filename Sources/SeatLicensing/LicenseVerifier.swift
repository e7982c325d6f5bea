import Foundation
import SeatCore

/// The site side: turns license entries into `License`s only if a trusted vendor key
/// signed them (or, in development mode, if they are unsigned).
public struct LicenseVerifier: Sendable, Equatable {
    /// The vendor keys seatd trusts (`vendor_public_keys`); several allow key rotation.
    public var trustedKeys: [VendorPublicKey]
    /// Development mode (`development_mode = true`): unsigned entries are accepted too.
    /// A signed entry is checked either way.
    public var allowUnsigned: Bool

    public init(trustedKeys: [VendorPublicKey], allowUnsigned: Bool) {
        self.trustedKeys = trustedKeys
        self.allowUnsigned = allowUnsigned
    }

    /// Whether a license verified earlier (an import kept in the store) is still to be
    /// honoured: its signing key is still trusted, or it is unsigned and unsigned licenses
    /// are accepted. Its signature was checked against that key when it was imported; what
    /// can change since is which keys the site trusts.
    public func stillTrusts(_ provenance: LicenseProvenance) -> Bool {
        guard let keyID = provenance.signingKeyID else { return allowUnsigned }
        return trustedKeys.contains { $0.keyID == keyID }
    }

    /// Verifies every entry; the first one that fails rejects them all.
    public func licenses(from entries: [LicenseEntry], origin: LicenseOrigin) throws(LicenseDocumentError) -> [License] {
        var licenses: [License] = []
        licenses.reserveCapacity(entries.count)
        for entry in entries {
            licenses.append(try license(from: entry, origin: origin))
        }
        return licenses
    }

    public func license(from entry: LicenseEntry, origin: LicenseOrigin) throws(LicenseDocumentError) -> License {
        let signingKeyID = try verifiedKeyID(of: entry)
        return License(
            key: entry.key, tenant: entry.tenant, seats: entry.seats, overage: entry.overage, seatCounting: entry.seatCounting, tier: entry.tier, features: entry.features,
            expiresAt: entry.expiresAt, state: entry.state ?? .active,
            provenance: LicenseProvenance(serial: entry.serial ?? "", issuedAt: entry.issuedAt, signingKeyID: signingKeyID, origin: origin)
        )
    }

    /// The id of the trusted key whose signature verifies, or nil for an accepted unsigned entry.
    private func verifiedKeyID(of entry: LicenseEntry) throws(LicenseDocumentError) -> String? {
        guard let signature = entry.signature else {
            guard allowUnsigned else { throw .unsigned(license: entry.key) }
            return nil
        }
        guard let key = trustedKeys.first(where: { $0.keyID == signature.keyID }) else {
            throw .untrustedKey(license: entry.key, keyID: signature.keyID)
        }
        guard key.isValidSignature(signature.bytes, for: CanonicalLicenseBytes.encode(entry)) else {
            throw .signatureMismatch(license: entry.key, keyID: signature.keyID)
        }
        return signature.keyID
    }
}
