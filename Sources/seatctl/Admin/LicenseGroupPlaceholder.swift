import ArgumentParser

// PLACEHOLDER for the issue-4-client branch only. The `license` command group proper is
// LicenseCommand (keygen/sign/verify, Sources/seatctl/LicenseCommand*.swift, another
// branch). At merge, the lead adds the subcommands below to LicenseCommand's list and
// deletes this file and its entry in Seatctl.subcommands.
struct LicenseAdminGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "license",
        abstract: "Manage licenses (admin).",
        subcommands: [LicenseAdd.self, LicenseImport.self, LicenseList.self, LicenseSuspend.self, LicenseResume.self, LicenseRevoke.self, LicenseDelete.self]
    )
}
