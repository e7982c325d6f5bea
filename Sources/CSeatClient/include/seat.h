/*
 * seat.h: the C API of libseatclient, the seatd floating-license client.
 *
 * An application configures where its license server is (seat_config_*), acquires a seat
 * (seat_acquire) and keeps the returned lease until it exits (seat_lease_release, then
 * seat_lease_free). While the lease exists, the library heartbeats, reconnects and
 * re-attaches to the same session on threads it owns, and reports every state change to
 * a callback or to seat_lease_poll.
 *
 * Conventions:
 * - Every function that can fail returns SEAT_OK (0) or an error code, and fills the
 *   caller's seat_error (which may be NULL) with the code and a message.
 * - Strings passed in are UTF-8, copied before the call returns; strings handed out are
 *   copied into the caller's buffers. Nothing the library returns needs to be freed except
 *   the objects made by seat_config_new and seat_acquire.
 * - Every function may be called from any thread. A config may be changed while leases
 *   acquired from it run (they keep the copy they were acquired with).
 * - Times are milliseconds since the Unix epoch (server clock) or durations in ms.
 * - The library installs no signal handlers; SwiftNIO, its network layer, sets SIGPIPE to
 *   ignored for the whole process when it opens its first socket.
 *
 * ABI: the soname is libseatclient.so.1. Structs here only ever grow into their reserved
 * fields; enums and codes only get new values.
 */
#ifndef SEAT_H
#define SEAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEAT_API_VERSION 1

/* ---- Result codes ------------------------------------------------------------------
 * 0 is success. Negative codes are failures on this side; positive codes are the
 * server's refusal codes exactly as protocol-spec.md lists them (a server newer than this
 * header may send others: treat an unknown positive code as "refused, do not retry"). */
#define SEAT_OK 0
#define SEAT_ERR_INVALID_ARGUMENT (-1)  /* a NULL or malformed argument, or a config without server or CA */
#define SEAT_ERR_CA_UNREADABLE (-2)     /* the CA file could not be read or parsed */
#define SEAT_ERR_UNREACHABLE (-3)       /* no configured server could be reached (TCP, TLS or Hello failed) */
#define SEAT_ERR_TIMED_OUT (-4)         /* a server did not answer within the request timeout */
#define SEAT_ERR_CONNECTION_CLOSED (-5) /* the connection closed before the answer arrived */
#define SEAT_ERR_PROTOCOL (-6)          /* the server answered with something that does not fit */
#define SEAT_ERR_CLIENT (-7)            /* any other failure on this side; the message says what */

#define SEAT_ERR_UNKNOWN_LICENSE 100
#define SEAT_ERR_LICENSE_EXPIRED 101
#define SEAT_ERR_LICENSE_SUSPENDED 102
#define SEAT_ERR_LICENSE_REVOKED 103
#define SEAT_ERR_NO_SEATS 104 /* seat_error.seats_total / seats_in_use / next_free_at_ms are set */
#define SEAT_ERR_POLICY_DENIED 105 /* the site policy refuses this user or host; the message says why */
#define SEAT_ERR_UNKNOWN_SESSION 110
#define SEAT_ERR_SESSION_EXPIRED 111
#define SEAT_ERR_SESSION_RELEASED 112
#define SEAT_ERR_SESSION_REVOKED 113
#define SEAT_ERR_AUTHENTICATION_FAILED 120
#define SEAT_ERR_AUTHENTICATION_REQUIRED 121
#define SEAT_ERR_AUTHENTICATION_THROTTLED 122
#define SEAT_ERR_STORAGE_FULL 200
#define SEAT_ERR_STORAGE_FAILURE 201
#define SEAT_ERR_SHUTTING_DOWN 202
#define SEAT_ERR_INTERNAL 203
#define SEAT_ERR_NOT_ACTIVE 204 /* every server reached is a standby (a takeover in progress); the message names the active node if known */

/* A failure: filled by every function that takes one (it may be NULL). */
typedef struct seat_error {
    int code;           /* SEAT_OK or one of the codes above */
    char message[512];  /* a sentence for logs and users, NUL-terminated, possibly truncated */
    /* With SEAT_ERR_NO_SEATS: the license's seats, the seats taken, and the earliest time
     * one may free up (0 if unknown). Zero otherwise. */
    uint32_t seats_total;
    uint32_t seats_in_use;
    int64_t next_free_at_ms;
    uint64_t reserved[4];
} seat_error;

/* The code's name, e.g. "SEAT_ERR_NO_SEATS"; "SEAT_ERR_SERVER" for a positive code this
 * header does not list. Static storage. */
const char *seat_error_name(int code);

/* "0.9.0 (commit 1a2b3c4d5e6f)". Static storage. */
const char *seat_version(void);

/* ---- Configuration ------------------------------------------------------------------ */

typedef struct seat_config seat_config;

/* What a lease does when its session is really gone (expired, released elsewhere,
 * forgotten on the server, or revoked by an administrator). */
typedef enum seat_loss_policy {
    SEAT_LOSS_REACQUIRE = 0,          /* acquire a new seat, except after an administrator's revocation (default) */
    SEAT_LOSS_REACQUIRE_EVEN_IF_REVOKED = 1,
    SEAT_LOSS_STOP = 2                /* never acquire again: report the loss, and the lease ends */
} seat_loss_policy;

struct seat_event;
/* Called on the lease's own callback thread, one event at a time, in order. It may call
 * any function of this API, including seat_lease_release and seat_lease_free of its own
 * lease. The event is valid only during the call. */
typedef void (*seat_state_callback)(const struct seat_event *event, void *user_data);

/* A new configuration: no server, no CA, anonymous, identity of the current user and
 * machine ($USER, the host name, /etc/machine-id), 10 s connect and 15 s request timeouts.
 * NULL only if out of memory. */
seat_config *seat_config_new(void);
/* Frees it; leases acquired with it are not affected. NULL is ignored. */
void seat_config_free(seat_config *config);

/* Adds a server; servers are tried in the order added. port 0 means seatd's 7420.
 * server_name: the name to verify in its certificate if it differs from host, else NULL. */
int seat_config_add_server(seat_config *config, const char *host, int port, const char *server_name, seat_error *error);
/* The PEM file of the CA that signed the servers' certificates. Read on every connection. */
int seat_config_set_ca_file(seat_config *config, const char *path, seat_error *error);
/* The tenant's access key ("seatd_<id>_<secret>"); NULL connects anonymously. */
int seat_config_set_access_key(seat_config *config, const char *access_key, seat_error *error);
/* Who holds the seat. Acquire is idempotent per (license, user, hardware_id): the same
 * triple gets its live session back. NULL keeps the default for that field. */
int seat_config_set_identity(seat_config *config, const char *user, const char *hostname, const char *hardware_id, seat_error *error);
/* The application's name (sent in Hello) and version (shown to administrators); NULL keeps. */
int seat_config_set_client(seat_config *config, const char *name, const char *version, seat_error *error);
/* Timeouts in ms, both > 0. */
int seat_config_set_timeouts(seat_config *config, int64_t connect_ms, int64_t request_ms, seat_error *error);
int seat_config_set_loss_policy(seat_config *config, seat_loss_policy policy, seat_error *error);
/* Where a lease's state changes go: callback (with user_data) or, when callback is NULL
 * (the default), a queue read with seat_lease_poll. */
int seat_config_set_state_callback(seat_config *config, seat_state_callback callback, void *user_data, seat_error *error);

/* ---- Leases ------------------------------------------------------------------------- */

typedef struct seat_lease seat_lease;

typedef enum seat_state {
    SEAT_STATE_HELD = 1,            /* the first acquire succeeded */
    SEAT_STATE_RECONNECTING = 2,    /* connection lost or a request failed; retrying with backoff. The seat is still held */
    SEAT_STATE_REGAINED = 3,        /* held again; same_session says whether it is the same session */
    SEAT_STATE_LOST = 4,            /* the session ended on the server; will_reacquire says whether a new seat is being acquired */
    SEAT_STATE_WAITING_FOR_SEAT = 5,/* re-acquiring, but every seat is taken; retrying */
    SEAT_STATE_REVOKED = 6,         /* an administrator ended the session, or the license is gone/revoked/suspended/expired */
    SEAT_STATE_RELEASED = 7,        /* seat_lease_release freed the seat */
    SEAT_STATE_CANCELLED = 8        /* seat_lease_free without release: the server keeps the seat until its lease runs out */
} seat_state;

/* One state change. */
typedef struct seat_event {
    seat_state state;
    int is_final;           /* 1: no event follows (RELEASED, CANCELLED, and LOST/REVOKED without will_reacquire) */
    int is_held;            /* 1: the seat is held as far as the server last said (HELD, REGAINED, RECONNECTING) */
    int same_session;       /* REGAINED: 1 re-attached to the same session (no second seat), 0 a new seat */
    int will_reacquire;     /* LOST, REVOKED: 1 a new seat is being acquired */
    int code;               /* LOST, REVOKED: the server's code; RECONNECTING: what failed (a SEAT_ERR_ code); else 0 */
    int attempt;            /* RECONNECTING: consecutive failures so far */
    int64_t retry_in_ms;    /* RECONNECTING, WAITING_FOR_SEAT: delay before the next attempt */
    int64_t lease_expires_at_ms; /* HELD, REGAINED: the lease expiry the server confirmed; RECONNECTING: the last one */
    uint32_t seats_total;   /* HELD, REGAINED, WAITING_FOR_SEAT */
    uint32_t seats_in_use;
    char session[33];       /* the session's token in hex ("" if none): HELD, REGAINED, RECONNECTING, LOST, REVOKED */
    char message[512];      /* LOST, REVOKED: the server's message; RECONNECTING: the failure; else "" */
    uint64_t reserved[4];
} seat_event;

/* The grant a lease holds now. */
typedef struct seat_lease_info {
    int is_held;
    char session[33];
    int64_t lease_expires_at_ms;
    int64_t heartbeat_interval_ms;
    int64_t license_expires_at_ms; /* 0: never */
    uint32_t seats_total;
    uint32_t seats_in_use;
    char tier[65];
    uint64_t reserved[4];
} seat_lease_info;

#define SEAT_NO_WAIT 0
#define SEAT_WAIT_FOREVER (-1)

/* Acquires a seat of license_key and starts keeping it. Blocks until a seat is granted or
 * the acquire fails. wait_ms: SEAT_NO_WAIT tries each server once and fails at once with
 * SEAT_ERR_NO_SEATS when every seat is taken; a positive value keeps retrying (with
 * backoff, never later than the server says a seat may free) for that long when seats or
 * servers are unavailable; SEAT_WAIT_FOREVER has no limit. On success *lease is set (free
 * it with seat_lease_free) and the first event is SEAT_STATE_HELD. */
int seat_acquire(const seat_config *config, const char *license_key, int64_t wait_ms, seat_lease **lease, seat_error *error);

/* Stops heartbeating and releases the seat, so another user can take it at once. Blocks
 * until the server answers. The lease's last event is SEAT_STATE_RELEASED. Releasing a
 * lease whose seat is already gone (lost, revoked, released) succeeds and does nothing. */
int seat_lease_release(seat_lease *lease, seat_error *error);

/* Frees the lease. If it was not released, heartbeats stop without releasing (the server
 * reclaims the seat when its lease runs out) and the last event is SEAT_STATE_CANCELLED.
 * After it returns no callback of this lease runs any more (when called from the lease's
 * own callback, after that callback returns). NULL is ignored. */
void seat_lease_free(seat_lease *lease);

/* The lease's current state (never blocks). */
seat_state seat_lease_state(const seat_lease *lease);

/* The grant held now (is_held 0 and the rest zero while none is). */
int seat_lease_get_info(const seat_lease *lease, seat_lease_info *info, seat_error *error);

/* A feature of the license as granted. Copies its value, NUL-terminated, into buffer and
 * returns its length in bytes (as snprintf does: a result >= size means it was truncated);
 * -1 if the license has no such feature or no seat is held. */
int seat_lease_feature(const seat_lease *lease, const char *name, char *buffer, size_t size);

/* Without a state callback: takes the next state change, waiting up to timeout_ms
 * (0: do not wait; SEAT_WAIT_FOREVER: until one comes). Returns 1 and fills *event, or 0
 * when none came in time, or when the final event has already been taken. Up to 64
 * unread events are kept; older ones are dropped first. With a callback it returns 0. */
int seat_lease_poll(seat_lease *lease, seat_event *event, int64_t timeout_ms);

/* ---- Borrowed seats: checking an offline lease ------------------------------------
 * `seatctl borrow acquire` borrows a seat for offline use and writes it to a file (the
 * lease the server signed, and the token that returns the seat); docs/client.md,
 * "Borrowing". An application checks that file at start with no server at all. */

typedef enum seat_borrow_verdict {
    SEAT_BORROW_VALID = 0,          /* signed by the trusted key, for this machine, not expired */
    SEAT_BORROW_EXPIRED = 1,        /* genuine and for this machine, but its time is over */
    SEAT_BORROW_WRONG_MACHINE = 2,  /* genuine, but borrowed for another hardware id */
    SEAT_BORROW_BAD_SIGNATURE = 3,  /* not signed by the trusted key, or changed after signing */
    SEAT_BORROW_UNREADABLE = 4      /* not a lease this library reads (truncated, or a newer layout version) */
} seat_borrow_verdict;

/* What a genuine lease says (VALID, EXPIRED, WRONG_MACHINE; zero otherwise). */
typedef struct seat_borrow_lease {
    char lease_id[17];      /* 16 hex digits, as seatctl sessions shows it */
    char license_key[129];
    char tenant[65];
    char user[257];
    char hardware_id[257];  /* the machine it was borrowed for */
    int64_t issued_at_ms;
    int64_t expires_at_ms;  /* valid while now < expires_at_ms */
    uint64_t reserved[4];
} seat_borrow_lease;

/* Checks the borrowed seat in lease_file with the server's borrow public key in
 * public_key_file (as `seatctl borrow public-key` prints it), at now_ms (0: the current
 * time), for hardware_id (NULL: this machine's, as seat_config_new picks it). On SEAT_OK,
 * *verdict says whether the seat may be used, and *lease (unless NULL) what a genuine lease
 * says. Fails with SEAT_ERR_INVALID_ARGUMENT for a NULL path or verdict, SEAT_ERR_CLIENT
 * when a file cannot be read or is not a borrowed seat or a public key. Pure: it neither
 * contacts a server nor needs a config. */
int seat_borrow_verify(const char *lease_file, const char *public_key_file, int64_t now_ms, const char *hardware_id,
                       seat_borrow_verdict *verdict, seat_borrow_lease *lease, seat_error *error);

#ifdef __cplusplus
}
#endif

#endif /* SEAT_H */
