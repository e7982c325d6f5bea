/* A loopback TCP proxy between a client and the daemon, to break the network on demand
 * (the C tests' counterpart of Tests/IntegrationTests/Support/TCPProxy.swift). */
#ifndef SEAT_TEST_TCP_PROXY_H
#define SEAT_TEST_TCP_PROXY_H

typedef struct tcp_proxy tcp_proxy;

/* Listens on 127.0.0.1 (a free port) and forwards every connection to 127.0.0.1:target_port. */
tcp_proxy *tcp_proxy_start(int target_port);
int tcp_proxy_port(const tcp_proxy *proxy);
/* Connections accepted so far. */
int tcp_proxy_accepted(tcp_proxy *proxy);
/* Cuts every open connection at once, as a network failure would; new ones still work. */
void tcp_proxy_drop_all(tcp_proxy *proxy);

#endif
