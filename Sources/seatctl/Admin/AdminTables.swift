import Foundation
import SeatClient

/// The tables admin commands print for people (--json prints the server's JSON instead).
enum AdminTables {
    static func licenses(_ licenses: [AdminLicense]) -> TextTable {
        // BORROWED (of IN USE, out on borrow) and WAITING (in the queue) come last, so
        // scripts reading the columns before them keep working.
        var table = TextTable(headers: ["LICENSE", "TENANT", "SEATS", "IN USE", "FREE", "STATE", "STATUS", "TIER", "EXPIRES", "ORIGIN", "BORROWED", "WAITING"])
        for license in licenses {
            table.append([
                license.key, license.tenant, "\(license.seats)", inUse(license), "\(license.free)", license.state, license.status,
                license.tier ?? "", license.expires.map(time) ?? "never", license.origin, license.borrowed.map { "\($0)" } ?? "",
                "\(license.waiting ?? 0)",
            ])
        }
        return table
    }

    /// `12/10 (+2 overage)` while seats past `seats` are in use, so they stand out for a true-up.
    static func inUse(_ license: AdminLicense) -> String {
        guard let overage = license.overageInUse, overage > 0 else { return "\(license.inUse)" }
        return "\(license.inUse)/\(license.seats) (+\(overage) overage)"
    }

    /// This node with storage = postgresql: its role, the epoch, the active node.
    static func cluster(_ cluster: AdminCluster) -> TextTable {
        var table = TextTable(headers: ["NODE", "ROLE", "EPOCH", "ACTIVE NODE", "ACTIVE ADDRESS", "APPLIED"])
        table.append([
            cluster.node, cluster.role, "\(cluster.epoch)", cluster.activeNode.isEmpty ? "none (takeover under way)" : cluster.activeNode,
            cluster.activeAddress, "\(cluster.appliedSequence)",
        ])
        return table
    }

    static func clusterPeers(_ peers: [AdminClusterPeer]) -> TextTable {
        var table = TextTable(headers: ["PEER", "ADDRESS", "ROLE", "APPLIED", "SEEN"])
        for peer in peers {
            table.append([peer.node, peer.address, peer.role, "\(peer.appliedSequence)", time(peer.seen)])
        }
        return table
    }

    static func policy(_ licenses: [AdminPolicyLicense]) -> TextTable {
        var table = TextTable(headers: ["LICENSE", "TENANT", "SEATS", "IN USE", "LINE", "RULE", "HOLDING"])
        for license in licenses {
            for rule in license.rules {
                table.append([license.license, license.tenant, "\(license.seats)", "\(license.inUse)", "\(rule.line)", rule.rule, "\(rule.holding)"])
            }
        }
        return table
    }

    static func sessions(_ sessions: [AdminSession]) -> TextTable {
        // A borrowed seat's EXPIRES is when the borrow ends; it needs no heartbeats.
        var table = TextTable(headers: ["SESSION", "LICENSE", "TENANT", "USER", "HOST", "SEAT", "ADDRESS", "SINCE", "LAST HEARTBEAT", "EXPIRES", "BORROWED"])
        for session in sessions {
            table.append([
                session.id, session.license, session.tenant, session.user, session.host, session.seat ?? "", session.address,
                time(session.since), time(session.lastHeartbeat), time(session.expires), session.borrowLease.map { "lease " + $0 } ?? "",
            ])
        }
        return table
    }

    static func waiters(_ waiters: [AdminWaiter]) -> TextTable {
        var table = TextTable(headers: ["LICENSE", "POSITION", "PRIORITY", "TENANT", "USER", "HOST", "ADDRESS", "SINCE"])
        for waiter in waiters {
            table.append([waiter.license, "\(waiter.position)", "\(waiter.priority)", waiter.tenant, waiter.user, waiter.host, waiter.address, time(waiter.since)])
        }
        return table
    }

    static func tenants(_ tenants: [AdminTenant]) -> TextTable {
        var table = TextTable(headers: ["TENANT", "NAME", "LICENSES", "KEYS", "CREATED"])
        for tenant in tenants {
            table.append([tenant.id, tenant.name ?? "", "\(tenant.licenses)", "\(tenant.keys)", time(tenant.created)])
        }
        return table
    }

    static func keys(_ keys: [AdminKey]) -> TextTable {
        var table = TextTable(headers: ["KEY", "TENANT", "ROLE", "LABEL", "CREATED", "REVOKED"])
        for key in keys {
            table.append([key.id, key.tenant ?? "", key.role.rawValue, key.label ?? "", time(key.created), key.revoked.map(time) ?? ""])
        }
        return table
    }

    static func auditEvents(_ events: [AuditEventRecord]) -> TextTable {
        // COUNT and SEEN (first..last occurrence) are filled for aggregated events only.
        var table = TextTable(headers: ["SEQ", "TIME", "KIND", "COUNT", "TENANT", "LICENSE", "USER", "HOST", "ADDRESS", "DETAIL", "SEEN"])
        for event in events {
            let seen = event.first.map { first in time(first) + ".." + (event.last.map(time) ?? "") } ?? ""
            table.append([
                "\(event.seq)", time(event.time), event.kind, event.count.map { "\($0)" } ?? "", event.tenant ?? "", event.license ?? "",
                event.user ?? "", event.host ?? "", event.address ?? "", event.detail ?? "", seen,
            ])
        }
        return table
    }

    static func time(_ date: Date) -> String {
        AdminJSON.formatTime(date)
    }
}

/// Prints a reply: its JSON as the server sent it with --json, else the table.
func printAdminReply(json: Bool, _ response: AdminResponse<some Sendable>, table: () -> TextTable) {
    print(json ? response.json : table().render())
}
