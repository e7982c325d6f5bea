import Foundation
import SeatCore

/// The `policy_file`: read at start and on SIGHUP, parsed by `SitePolicyParser`, and its
/// reservations checked against the licenses they would apply to. A file with any error
/// is refused as a whole.
public enum PolicyFile {
    /// The policy at `path`; no policy for an empty path.
    public static func load(path: String, licenses: [License]) throws(PolicyFileErrors) -> SitePolicy {
        guard !path.isEmpty else { return .none }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyFileErrors([PolicyFileError(file: path, line: 0, rule: "", message: "cannot read the policy file")])
        }
        let policy = try SitePolicyParser.parse(String(decoding: data, as: UTF8.self), file: path)
        let errors = policy.reservationErrors(for: licenses)
        guard errors.isEmpty else { throw PolicyFileErrors(errors) }
        return policy
    }
}
