/* serve.h - `cbench serve`: without --model the libev server
 * (server/http_server.c), with --model M the server's tasks driven by
 * model M (see serve.c). Returns the exit status. */
#ifndef CBENCH_SERVE_H
#define CBENCH_SERVE_H

int serve_main(int argc, char **argv);

#endif
