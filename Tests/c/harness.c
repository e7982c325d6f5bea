#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void harness_fail(const char *file, int line, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    exit(1);
}

const char *harness_env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || *value == '\0') harness_fail(__FILE__, __LINE__, "%s is not set (run the tests with Tests/c/run.sh)", name);
    return value;
}

seat_config *harness_config(const char *user, int port) {
    seat_error error;
    seat_config *config = seat_config_new();
    CHECK(config != NULL, "seat_config_new returned NULL");
    int daemon_port = atoi(harness_env("SEAT_TEST_PORT"));
    CHECK_OK(seat_config_add_server(config, "127.0.0.1", port ? port : daemon_port, NULL, &error), error);
    CHECK_OK(seat_config_set_ca_file(config, harness_env("SEAT_TEST_CA"), &error), error);
    CHECK_OK(seat_config_set_identity(config, user, "c-test-host", user, &error), error);
    CHECK_OK(seat_config_set_client(config, "c-tests", "1.0", &error), error);
    CHECK_OK(seat_config_set_timeouts(config, 5000, 10000, &error), error);
    return config;
}

int64_t harness_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

const char *harness_state_name(seat_state state) {
    switch (state) {
    case SEAT_STATE_HELD: return "held";
    case SEAT_STATE_RECONNECTING: return "reconnecting";
    case SEAT_STATE_REGAINED: return "regained";
    case SEAT_STATE_LOST: return "lost";
    case SEAT_STATE_WAITING_FOR_SEAT: return "waiting for seat";
    case SEAT_STATE_REVOKED: return "revoked";
    case SEAT_STATE_RELEASED: return "released";
    case SEAT_STATE_CANCELLED: return "cancelled";
    }
    return "?";
}

void harness_expect_event(seat_lease *lease, seat_state state, seat_event *event) {
    int64_t deadline = harness_now_ms() + EVENT_TIMEOUT_MS;
    for (;;) {
        int64_t left = deadline - harness_now_ms();
        CHECK(left > 0, "no %s event within %d ms", harness_state_name(state), EVENT_TIMEOUT_MS);
        if (!seat_lease_poll(lease, event, left)) continue;
        if (event->state == state) return;
        printf("  (event on the way: %s %s)\n", harness_state_name(event->state), event->message);
        CHECK(!event->is_final, "final event %s (code %d: %s) instead of %s",
              harness_state_name(event->state), event->code, event->message, harness_state_name(state));
    }
}

int harness_seatctl(char *output, size_t size, const char *first, ...) {
    const char *arguments[32];
    int count = 0;
    arguments[count++] = harness_env("SEATCTL");
    va_list list;
    va_start(list, first);
    for (const char *argument = first; argument != NULL && count < 28; argument = va_arg(list, const char *)) arguments[count++] = argument;
    va_end(list);
    arguments[count++] = "--admin-socket";
    arguments[count++] = harness_env("SEAT_TEST_ADMIN_SOCKET");
    arguments[count] = NULL;
    return harness_run(arguments, output, size);
}

int harness_run(const char *const *arguments, char *output, size_t size) {
    int pipe_fds[2];
    CHECK(pipe(pipe_fds) == 0, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    pid_t pid;
    int spawned = posix_spawn(&pid, arguments[0], &actions, NULL, (char *const *)arguments, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    CHECK(spawned == 0, "cannot run %s: %s", arguments[0], strerror(spawned));

    size_t used = 0;
    char scratch[4096];
    ssize_t got;
    while ((got = read(pipe_fds[0], scratch, sizeof scratch)) > 0) {
        if (output != NULL && used + 1 < size) {
            size_t room = size - 1 - used;
            size_t take = (size_t)got < room ? (size_t)got : room;
            memcpy(output + used, scratch, take);
            used += take;
        }
    }
    close(pipe_fds[0]);
    if (output != NULL && size > 0) output[used] = '\0';
    int status;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
