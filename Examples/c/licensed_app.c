/*
 * A licensed C application: holds a seat of a floating license while it runs, prints
 * every state change the library reports, and releases the seat on Ctrl-C or SIGTERM
 * (or after --seconds N). Build against the installed library:
 *
 *     cc -o licensed_app licensed_app.c $(pkg-config --cflags --libs seatclient)
 *
 * Run:  SEATD_SERVER=host[:port][,host2[:port]] SEATD_CA=ca.pem [SEATD_ACCESS_KEY=seatd_…] \
 *       ./licensed_app [--wait SECONDS] [--seconds N] LICENSE_KEY
 * (the same variables seatctl reads). Exit status: 0 released cleanly, 2 usage, 3 no seat
 * free, 4 the seat was lost for good, 1 any other failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <seat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t lost_for_good = 0;

static void on_signal(int number) { (void)number; stop_requested = 1; }

static const char *state_name(seat_state state) {
    switch (state) {
    case SEAT_STATE_HELD: return "held";
    case SEAT_STATE_RECONNECTING: return "reconnecting";
    case SEAT_STATE_REGAINED: return "regained";
    case SEAT_STATE_LOST: return "lost";
    case SEAT_STATE_WAITING_FOR_SEAT: return "waiting for a seat";
    case SEAT_STATE_REVOKED: return "revoked";
    case SEAT_STATE_RELEASED: return "released";
    case SEAT_STATE_CANCELLED: return "cancelled";
    }
    return "unknown";
}

/* Runs on the library's callback thread: keep it short, as an application would (set a
 * flag, post to the UI loop). */
static void on_state(const seat_event *event, void *user_data) {
    (void)user_data;
    switch (event->state) {
    case SEAT_STATE_HELD:
        printf("held: session %.8s…, %u of %u seats in use\n", event->session, event->seats_in_use, event->seats_total);
        break;
    case SEAT_STATE_REGAINED:
        printf("regained %s\n", event->same_session ? "the same session" : "a new seat");
        break;
    case SEAT_STATE_RECONNECTING:
        printf("reconnecting (attempt %d, next in %lld ms): %s\n", event->attempt, (long long)event->retry_in_ms, event->message);
        break;
    case SEAT_STATE_LOST:
    case SEAT_STATE_REVOKED:
        printf("%s (%s): %s%s\n", state_name(event->state), seat_error_name(event->code), event->message,
               event->will_reacquire ? "; acquiring a new seat" : "");
        if (event->is_final) { lost_for_good = 1; stop_requested = 1; }
        break;
    default:
        printf("%s\n", state_name(event->state));
    }
    fflush(stdout);
}

/* "host[:port][,host2[:port]…]" into the config's server list; IPv6 as "[::1]:7420". */
static int add_servers(seat_config *config, const char *list, seat_error *error) {
    char *copy = strdup(list), *saveptr = NULL;
    int code = SEAT_OK;
    for (char *item = strtok_r(copy, ",", &saveptr); item != NULL && code == SEAT_OK; item = strtok_r(NULL, ",", &saveptr)) {
        char *host = item, *port = NULL;
        if (item[0] == '[') {
            host = item + 1;
            char *close = strchr(host, ']');
            if (close != NULL) { *close = '\0'; if (close[1] == ':') port = close + 2; }
        } else if (strchr(item, ':') != NULL && strchr(item, ':') == strrchr(item, ':')) {
            port = strchr(item, ':');
            *port++ = '\0';
        }
        code = seat_config_add_server(config, host, port ? atoi(port) : 0, NULL, error);
    }
    free(copy);
    return code;
}

int main(int argc, char **argv) {
    long wait_seconds = 0, hold_seconds = -1;
    const char *license = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) wait_seconds = atol(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) hold_seconds = atol(argv[++i]);
        else if (argv[i][0] != '-' && license == NULL) license = argv[i];
        else { license = NULL; break; }
    }
    const char *servers = getenv("SEATD_SERVER"), *ca = getenv("SEATD_CA");
    if (license == NULL || servers == NULL || ca == NULL) {
        fprintf(stderr, "usage: SEATD_SERVER=host[:port] SEATD_CA=ca.pem %s [--wait SECONDS] [--seconds N] LICENSE_KEY\n", argv[0]);
        return 2;
    }
    printf("libseatclient %s\n", seat_version());

    seat_error error;
    seat_config *config = seat_config_new();
    if (add_servers(config, servers, &error) != SEAT_OK
        || seat_config_set_ca_file(config, ca, &error) != SEAT_OK
        || seat_config_set_access_key(config, getenv("SEATD_ACCESS_KEY"), &error) != SEAT_OK
        || seat_config_set_client(config, "licensed-app-c", "1.0", &error) != SEAT_OK
        || seat_config_set_state_callback(config, on_state, NULL, &error) != SEAT_OK) {
        fprintf(stderr, "configuration: %s\n", error.message);
        return 1;
    }

    struct sigaction action = { .sa_handler = on_signal };
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    seat_lease *lease = NULL;
    int code = seat_acquire(config, license, wait_seconds * 1000, &lease, &error);
    seat_config_free(config);
    if (code == SEAT_ERR_NO_SEATS) {
        fprintf(stderr, "no seat free: %u of %u in use\n", error.seats_in_use, error.seats_total);
        return 3;
    }
    if (code != SEAT_OK) {
        fprintf(stderr, "cannot acquire %s: %s (%s)\n", license, error.message, seat_error_name(code));
        return 1;
    }

    /* The application's work would run here; the library heartbeats on its own. */
    time_t until = hold_seconds >= 0 ? time(NULL) + hold_seconds : 0;
    while (!stop_requested && (hold_seconds < 0 || time(NULL) < until)) {
        struct timespec tick = { 0, 200 * 1000 * 1000 };
        nanosleep(&tick, NULL);
    }

    int status = 0;
    if (lost_for_good) {
        status = 4;
    } else if (seat_lease_release(lease, &error) != SEAT_OK) {
        fprintf(stderr, "release failed (the seat expires on the server): %s\n", error.message);
        status = 1;
    }
    seat_lease_free(lease);
    return status;
}
