import ArgumentParser

/// `seatctl license ...`: the license commands. Vendor side (offline, no server):
/// keygen, sign, verify. Site side, over the admin channel (Admin/LicenseAdminCommands.swift):
/// add, import, list, suspend, resume, revoke, delete.
/// (Named `LicenseCommands` so it does not shadow SeatCore's `License`.)
struct LicenseCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "license",
        abstract: "Create, sign and check license files (docs/license-files.md); manage the server's licenses (admin).",
        subcommands: [
            LicenseKeygen.self, LicenseSign.self, LicenseVerify.self,
            LicenseAdd.self, LicenseImport.self, LicenseList.self, LicenseSuspend.self, LicenseResume.self, LicenseRevoke.self,
            LicenseDelete.self,
        ]
    )
}
