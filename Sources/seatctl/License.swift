import ArgumentParser

/// `seatctl license ...`: the license commands. Vendor side (offline, no server):
/// keygen, sign, verify. Site-side commands that talk to seatd join this group.
/// (Named `LicenseCommands` so it does not shadow SeatCore's `License`.)
struct LicenseCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "license",
        abstract: "Create, sign and check license files (docs/license-files.md).",
        subcommands: [LicenseKeygen.self, LicenseSign.self, LicenseVerify.self]
    )
}
