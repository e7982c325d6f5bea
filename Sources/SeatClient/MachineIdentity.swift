import Foundation

/// Identity of this workstation for the server's idempotency key (user + hardware id).
public enum MachineIdentity {
    /// The systemd/D-Bus machine id when present (stable across reboots), else the host name.
    public static func hardwareID() -> String {
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !id.isEmpty { return id }
            }
        }
        return ProcessInfo.processInfo.hostName
    }
}
