#define _GNU_SOURCE
#include "tcp_proxy.h"
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 64

struct tcp_proxy {
    int listener;
    int port;
    int target_port;
    pthread_mutex_t lock;
    int accepted;
    /* Open pairs (client fd, server fd); -1 marks a free slot. */
    int pairs[MAX_PAIRS][2];
};

struct relay { tcp_proxy *proxy; int slot; int client; int server; };

/* Copies both ways until either side ends; then closes both and frees the slot. */
static void *relay_run(void *argument) {
    struct relay relay = *(struct relay *)argument;
    free(argument);
    struct pollfd fds[2] = { { .fd = relay.client, .events = POLLIN }, { .fd = relay.server, .events = POLLIN } };
    char buffer[16384];
    for (int open = 1; open;) {
        if (poll(fds, 2, -1) < 0) { if (errno == EINTR) continue; break; }
        for (int side = 0; side < 2 && open; side++) {
            if (!(fds[side].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = read(fds[side].fd, buffer, sizeof buffer);
            if (got <= 0) { open = 0; break; }
            for (ssize_t sent = 0; sent < got;) {
                ssize_t wrote = write(fds[1 - side].fd, buffer + sent, (size_t)(got - sent));
                if (wrote <= 0) { open = 0; break; }
                sent += wrote;
            }
        }
    }
    pthread_mutex_lock(&relay.proxy->lock);
    relay.proxy->pairs[relay.slot][0] = relay.proxy->pairs[relay.slot][1] = -1;
    pthread_mutex_unlock(&relay.proxy->lock);
    close(relay.client);
    close(relay.server);
    return NULL;
}

static int connect_target(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

static void *accept_run(void *argument) {
    tcp_proxy *proxy = argument;
    for (;;) {
        int client = accept4(proxy->listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) { if (errno == EINTR || errno == ECONNABORTED) continue; return NULL; }
        int server = connect_target(proxy->target_port);
        pthread_mutex_lock(&proxy->lock);
        proxy->accepted++;
        int slot = -1;
        for (int i = 0; i < MAX_PAIRS && server >= 0; i++) if (proxy->pairs[i][0] < 0) { slot = i; break; }
        if (slot >= 0) { proxy->pairs[slot][0] = client; proxy->pairs[slot][1] = server; }
        pthread_mutex_unlock(&proxy->lock);
        if (slot < 0) {
            close(client);
            if (server >= 0) close(server);
            continue;
        }
        struct relay *relay = malloc(sizeof *relay);
        CHECK(relay != NULL, "out of memory");
        *relay = (struct relay){ proxy, slot, client, server };
        pthread_t thread;
        CHECK(pthread_create(&thread, NULL, relay_run, relay) == 0, "pthread_create failed");
        pthread_detach(thread);
    }
}

tcp_proxy *tcp_proxy_start(int target_port) {
    tcp_proxy *proxy = calloc(1, sizeof *proxy);
    CHECK(proxy != NULL, "out of memory");
    proxy->target_port = target_port;
    pthread_mutex_init(&proxy->lock, NULL);
    for (int i = 0; i < MAX_PAIRS; i++) proxy->pairs[i][0] = proxy->pairs[i][1] = -1;
    proxy->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = 0 };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    CHECK(proxy->listener >= 0 && bind(proxy->listener, (struct sockaddr *)&address, sizeof address) == 0
              && listen(proxy->listener, 16) == 0 && getsockname(proxy->listener, (struct sockaddr *)&address, &length) == 0,
          "proxy listener: %s", strerror(errno));
    proxy->port = ntohs(address.sin_port);
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, accept_run, proxy) == 0, "pthread_create failed");
    pthread_detach(thread);
    return proxy;
}

int tcp_proxy_port(const tcp_proxy *proxy) { return proxy->port; }

int tcp_proxy_accepted(tcp_proxy *proxy) {
    pthread_mutex_lock(&proxy->lock);
    int accepted = proxy->accepted;
    pthread_mutex_unlock(&proxy->lock);
    return accepted;
}

void tcp_proxy_drop_all(tcp_proxy *proxy) {
    pthread_mutex_lock(&proxy->lock);
    /* shutdown, not close: the relay thread wakes, ends, and closes the descriptors itself. */
    for (int i = 0; i < MAX_PAIRS; i++) {
        if (proxy->pairs[i][0] < 0) continue;
        shutdown(proxy->pairs[i][0], SHUT_RDWR);
        shutdown(proxy->pairs[i][1], SHUT_RDWR);
    }
    pthread_mutex_unlock(&proxy->lock);
}
