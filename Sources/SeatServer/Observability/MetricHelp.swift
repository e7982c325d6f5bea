import Prometheus

/// The HELP text of every metric seatd exports, by name: one place to read what each
/// series means (docs/operations.md's metrics table says the same).
enum MetricHelp {
    static let texts: [String: String] = [
        "seatd_grants_total": "Seats granted (new sessions).",
        "seatd_reattachments_total": "Acquires answered with the caller's existing session.",
        "seatd_heartbeats_total": "Heartbeats accepted.",
        "seatd_releases_total": "Sessions ended by their holder.",
        "seatd_expiries_total": "Sessions ended by the sweeper when their lease ran out.",
        "seatd_refusals_total": "Requests refused, by reason; license and tenant for refusals of a license the caller may use.",
        "seatd_request_duration_seconds": "Time to answer a seat request, from decoding to the reply (includes the storage commit).",
        "seatd_tls_handshake_failures_total": "TLS handshakes that failed (wrong CA, plaintext on the TLS port, ...).",
        "seatd_connections_refused_total": "Connections closed at accept (limits reached).",
        "seatd_connection_refusals_total": "Connections closed at accept, and accept(2) failures, by reason.",
        "seatd_connections_active": "Client connections open.",
        "seatd_authentications_total": "Authenticate requests, by result.",
        "seatd_admin_requests_total": "Admin requests served.",
        "seatd_reloads_total": "SIGHUP reloads, by result.",
        "seatd_sessions_live": "Sessions holding a seat.",
        "seatd_seats_total": "Seats of a license.",
        "seatd_seats_in_use": "Seats of a license in use (never more than seatd_seats_total plus the license's overage allowance).",
        "seatd_seats_overage_in_use": "Seats of a license in use past seatd_seats_total, from its overage allowance (counted in seatd_seats_in_use too).",
        "seatd_queue_length": "Acquires waiting in a license's queue.",
        "seatd_queue_wait_seconds": "Time a waiter spent in a license's queue, from Queued to its seat.",
        "seatd_license_expiry_timestamp_seconds": "When a license expires (Unix time); absent for licenses that do not expire.",
        "seatd_license_state": "1 for the state a license is in (active, suspended, revoked).",
        "seatd_storage_commit_duration_seconds": "Time of one storage commit (a group-commit batch, fsync included).",
        "seatd_storage_batch_changes": "Changes per group-commit batch.",
        "seatd_storage_map_size_bytes": "The LMDB map size (storage_max_map_mb).",
        "seatd_storage_used_bytes": "Bytes of the LMDB map in use.",
        "seatd_storage_high_water": "1 while grants are refused with storageFull to keep space for releases and expiries.",
        "seatd_cluster_active": "With storage = postgresql: 1 on the active node, 0 on a standby.",
        "seatd_cluster_epoch": "With storage = postgresql: the leadership epoch this node knows (raised by every takeover).",
        "seatd_cluster_applied_sequence": "With storage = postgresql: the last batch of the shared log in this node's copy.",
        "seatd_cluster_takeovers_total": "With storage = postgresql: times this node became the active one.",
        "seatd_build_info": "The running seatd's version and commit (always 1).",
        "process_cpu_seconds_total": "User and system CPU time of the seatd process.",
        "process_resident_memory_bytes": "Resident memory of the seatd process.",
        "process_virtual_memory_bytes": "Virtual memory of the seatd process.",
        "process_open_fds": "Open file descriptors of the seatd process.",
        "process_max_fds": "The process's open-file limit (RLIMIT_NOFILE).",
        "process_start_time_seconds": "When the seatd process started (Unix time).",
    ]

    static func text(_ name: String) -> String {
        guard let text = texts[name] else { preconditionFailure("no HELP text for \(name)") }
        return text
    }

    /// The metric `name` (already complete, unit included) with its HELP text.
    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: text(name))
    }
}
