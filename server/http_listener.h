/* http_listener.h - the listening side of `cbench serve`, whichever model
 * drives the connections: the sockets (one, or one per loop sharing the port
 * through SO_REUSEPORT) and turning a client away at once (503, closed) when
 * the server cannot take it: out of descriptors (a reserve descriptor is
 * given up to accept it) or past the model's connection limit. */
#ifndef CBENCH_HTTP_LISTENER_H
#define CBENCH_HTTP_LISTENER_H

#include <netdb.h>
#include <stdbool.h>

/* Resolves a numeric or named host for listening; getaddrinfo's status. */
int http_listener_resolve(const char *host, struct addrinfo **out);
/* n listening sockets on host:port (O_NONBLOCK when `nonblocking`), the
 * first choosing the port (maybe ephemeral), the others joining it through
 * SO_REUSEPORT. Returns the port bound, or -1 after saying why (none left
 * open). */
int http_listener_open(const char *host, int port, int n, bool nonblocking, int *fds);
/* The 503 a client turned away gets, then the close. */
void http_listener_turn_away(int fd);
/* accept() failed with EMFILE: give up the reserve descriptor (a /dev/null
 * the caller keeps open, -1: none), accept one client with it and turn it
 * away, take the reserve again. False when that could not be done (no
 * reserve, or the machine-wide table is full): the caller pauses. */
bool http_listener_refuse_one(int listen_fd, int *reserve_fd);
int http_listener_reserve(void);   /* a new reserve descriptor, or -1 */

#endif
