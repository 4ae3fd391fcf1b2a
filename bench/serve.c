/* serve.c - `cbench serve --model M`: the HTTP/1.1 server written once, as
 * tasks (workloads/http_conn.c: a listener per loop, a task per accepted
 * connection, created at run time with WAIT_SPAWN), driven by any model
 * whose traits say it runs such tasks, with the model's own options.
 *
 * Without --model, `cbench serve` is the libev server of
 * server/http_server.c (one loop per core), which net also starts.
 *
 * Stopping (SIGINT, SIGTERM) is the run's cancellation (model.h): every
 * wait of every model is cancellable, so each connection ends, is released
 * and the model's run() returns; the signals are blocked in every thread
 * but one that waits for them (sigwait) and requests it.
 *
 * The connection limit: each model holds a connection its own way (a
 * process, a thread, a task of a loop: its traits), so the limit is the
 * tightest of what that needs - descriptors in the process holding them,
 * pids, kernel tasks, ulimit -u and memory for a thread or a process each
 * (bench/limits.c) - and -w for a model whose workers are the connections.
 * It is checked at start and printed; past it a new client is turned away
 * at once (503, closed) and the server keeps serving the others. */
#include "serve.h"
#include "limits.h"
#include "run.h"
#include "../server/http_listener.h"
#include "../server/http_server.h"
#include "../workloads/http_conn.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define SERVE_DEFAULT_PORT 8080
/* Descriptors kept back from the connections: listeners, their reserves,
 * the loops' own, stdio, the cancel eventfd. */
#define SERVE_FDS_RESERVE 32

static const struct opt_spec serve_options[] = {
    { "port", 0, OPT_INT, offsetof(struct http_conn_params, port), 0, 65535,
      "TCP port; 0 = ephemeral (default 8080)" },
    { "host", 0, OPT_STRING, offsetof(struct http_conn_params, host), 0, 0,
      "address to listen on (default 127.0.0.1; ::1 for IPv6)" },
    { "idle-timeout", 0, OPT_DOUBLE, offsetof(struct http_conn_params, idle_timeout_s), 0, 86400,
      "close a connection silent this many seconds; 0 = never (default 10)" },
    { "header-timeout", 0, OPT_DOUBLE, offsetof(struct http_conn_params, header_timeout_s), 0, 86400,
      "a request must be complete this many seconds after its first byte; 0 = never (default 10)" },
    OPT_END,
};

struct serve_request {
    const struct model *model;
    struct http_conn_params conn;
    void *model_params;
    long workers;
};

/* ---------------------------------------------------------------- usage */

static void serve_list_models(FILE *f)
{
    const char *sep = "";
    for (const struct model *const *m = models; *m; m++)
        if ((*m)->traits.spawns) {
            fprintf(f, "%s%s", sep, (*m)->name);
            sep = ", ";
        }
}

/* How a model holds a connection, from its traits. */
static const char *serve_holding(const struct model_traits *t)
{
    if (t->nonblocking)
        return "a task of its event loop(s); limit: descriptors (ulimit -n)";
    if (t->worker_processes)
        return "a process per connection; limit: -w, pids, ulimit -u, memory";
    return "a thread per connection; limit: -w, descriptors, kernel tasks, ulimit -u, memory";
}

static void serve_usage(const struct model *m)
{
    printf("usage: cbench serve --model M [options] [model options]\n"
           "\n"
           "The same HTTP/1.1 server as `cbench serve` (GET /?delay_ms=D&bytes=B&cpu_us=C),\n"
           "written once as tasks and driven by model M: ");
    serve_list_models(stdout);
    printf(".\nWithout --model: the libev server, one loop per core.\n\noptions:\n");
    opt_print_help(serve_options, "  ");
    printf("  -w, --workers W          fork, threads: at most W connections at once;\n"
           "                           hybrid: its CPU pool\n"
           "  -h, --help               this help\n\nconnections, per model:\n");
    for (const struct model *const *mm = models; *mm; mm++)
        if ((*mm)->traits.spawns)
            printf("  %-9s %s\n", (*mm)->name, serve_holding(&(*mm)->traits));
    printf("  (the limit is computed at start and printed; past it a new client\n"
           "  is answered 503 and closed at once; so is a client that waited over\n"
           "  %d ms in the backlog to be accepted: a process or a thread per\n"
           "  connection starts at a rate, and a larger crowd is turned away, not\n"
           "  left waiting past its deadline)\n", HTTP_SERVER_MAX_BACKLOG_MS);
    if (m && m->options && m->options[0].name) {
        printf("\n%s options:\n", m->name);
        opt_print_help(m->options, "  ");
    }
    printf("\n");
    http_limits_help();
}

/* ---------------------------------------------------------------- parsing */

static const struct model *serve_find_model(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *name = NULL;
        if (strncmp(argv[i], "--model=", 8) == 0)
            name = argv[i] + 8;
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--model") == 0)
            name = "";
        if (!name)
            continue;
        const struct model *m = model_find(name);
        if (m && m->traits.spawns)
            return m;
        fprintf(stderr, "cbench serve: --model \"%s\": not a model that serves (one of: ", name);
        serve_list_models(stderr);
        fprintf(stderr, ")\n");
        return NULL;
    }
    return NULL;
}

static bool serve_has_model(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--model") == 0 || strncmp(argv[i], "--model=", 8) == 0)
            return true;
    return false;
}

/* One option into whichever table knows it. -1 to go on, else an exit
 * status; *i moves past a value. */
static int serve_parse_one(struct serve_request *req, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--model") == 0) {
        (*i)++;
        return -1;
    }
    if (strncmp(arg, "--model=", 8) == 0)
        return -1;
    void *params = &req->conn;
    const struct opt_spec *spec = opt_find(serve_options, arg);
    if (!spec && req->model->options && (spec = opt_find(req->model->options, arg)))
        params = req->model_params;
    bool workers = !spec && (strcmp(arg, "-w") == 0 || strcmp(arg, "--workers") == 0 ||
                             strncmp(arg, "--workers=", 10) == 0);
    if (!spec && !(workers && req->model->traits.uses_workers)) {
        fprintf(stderr, "cbench serve: unknown option \"%s\" for model %s (see cbench serve "
                "--model %s --help)\n", arg, req->model->name, req->model->name);
        return 2;
    }
    const char *value = strchr(arg, '=');
    if (value)
        value++;
    else if (spec && spec->type == OPT_FLAG)
        value = NULL;
    else if (*i + 1 < argc)
        value = argv[++*i];
    else {
        fprintf(stderr, "cbench serve: %s needs a value\n", arg);
        return 2;
    }
    if (workers)
        return opt_parse_long("workers", value, 1, 1000000, &req->workers) ? -1 : 2;
    return opt_store(spec, params, value) ? -1 : 2;
}

static int serve_parse(struct serve_request *req, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            serve_usage(req->model);
            return 0;
        }
        int status = serve_parse_one(req, argc, argv, &i);
        if (status >= 0)
            return status;
    }
    struct addrinfo *ai;
    int err = http_listener_resolve(req->conn.host, &ai);
    if (err) {
        fprintf(stderr, "cbench: --host: \"%s\": %s\n", req->conn.host, gai_strerror(err));
        return 2;
    }
    freeaddrinfo(ai);
    return -1;
}

/* ---------------------------------------------------------------- limits */

/* --loops L where the model has it: a listener per loop; else one. */
static long serve_listeners(const struct model *m, const void *params)
{
    for (const struct opt_spec *o = m->options; o && o->name; o++)
        if (strcmp(o->name, "loops") == 0 && o->type == OPT_INT)
            return *(const long *)((const char *)params + o->offset);
    return 1;
}

static long serve_fd_room(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return LONG_MAX;
    long room = (long)rl.rlim_cur - run_open_fds() - SERVE_FDS_RESERVE;
    return room > 0 ? room : 0;
}

/* The most connections the model can hold at once here, and why. */
static long serve_limit(const struct run *r, char *why, size_t size)
{
    const struct model_traits *t = &r->model->traits;
    long limit = LONG_MAX;
    if (!t->worker_processes) {   /* one process holds every connection */
        limit = serve_fd_room();
        snprintf(why, size, "descriptors (ulimit -n)");
    }
    if (!t->nonblocking) {        /* a thread or a process each */
        char room_why[200];
        long room = run_worker_room(t->worker_processes, room_why, sizeof room_why);
        if (room >= 0 && room < limit) {
            limit = room;
            snprintf(why, size, "%s", room_why);
        }
        if (r->workers > 0 && r->workers < limit) {
            limit = r->workers;
            snprintf(why, size, "-w %ld", r->workers);
        }
    }
    return limit == LONG_MAX ? 1000000 : limit;
}

/* ---------------------------------------------------------------- stopping */

static void *serve_stopper(void *arg)
{
    struct run *r = arg;
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);   /* the run ended by itself: just leave */
    if (sigwait(&set, &sig) == 0 && sig != SIGUSR1)
        run_cancel_request(r);
    return NULL;
}

/* ---------------------------------------------------------------- running */

static void serve_announce(const struct serve_request *req, const struct run *r, long limit,
                           const char *why)
{
    const struct http_conn_run *cr = r->workload_run;
    bool v6 = strchr(req->conn.host, ':') != NULL;
    /* stdout: stderr is for what went wrong */
    printf("cbench serve: model %s, %ld listener%s, at most %ld connections (%s)\n",
           r->model->name, r->tasks, r->tasks > 1 ? "s" : "", limit, why);
    printf("cbench serve: listening on %s%s%s:%d\n", v6 ? "[" : "", req->conn.host, v6 ? "]" : "",
           cr->port);
    fflush(stdout);
}

/* The listeners open, the signals go to one thread, the model runs. */
static int serve_run_tasks(const struct serve_request *req, struct run *r)
{
    char why[200] = "";
    long limit = serve_limit(r, why, sizeof why);
    r->shared->spawn_limit = limit;
    run_init_tasks(r, NULL, 0);
    struct workload_env env = { .tasks = r->tasks, .nonblocking = r->nonblocking,
                                .model = r->model->name, .concurrency = r->tasks };
    int status = http_conn_workload.setup(&req->conn, r->workload_run, &env);
    if (status != 0)
        return status;
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &stop, &old);   /* every thread and process after inherits it */
    pthread_t stopper;
    struct run_usage usage = { .mem_kib = 0 };
    int err = pthread_create(&stopper, NULL, serve_stopper, r);
    if (err) {
        fprintf(stderr, "cbench serve: cannot start the signal thread: %s\n", strerror(err));
        status = 1;
    } else {
        serve_announce(req, r, limit, why);
        run_usage_reset_peak();
        run_usage_begin(r, &usage);
        status = r->model->run(r);
        run_usage_end(r, &usage);
        pthread_kill(stopper, SIGUSR1);
        pthread_join(stopper, NULL);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    long late = http_conn_late(r->workload_run);
    http_conn_workload.teardown(&req->conn, r->workload_run);
    /* what serving cost, by run.c's one method (for bench.sh's serve
     * experiment: memory per connection, CPU per request) */
    printf("cbench serve: stopped: %ld connections served, %ld turned away "
           "(%ld of them after waiting over %d ms to be accepted); "
           "mem_kib=%ld mem_base_kib=%ld cpu_s=%.6f\n",
           atomic_load(&r->shared->spawned_total), atomic_load(&r->shared->turned_away) + late, late,
           HTTP_SERVER_MAX_BACKLOG_MS, usage.mem_kib, usage.mem_base_kib,
           usage.mem_kib > 0 ? run_usage_cpu_s(&usage) : 0.0);
    return status;
}

/* Set up, announce, run until stopped. The run's memory as run.c maps it. */
static int serve_run(const struct serve_request *req)
{
    struct run r = {
        .model = req->model, .workload = &http_conn_workload, .workload_params = &req->conn,
        .model_params = req->model_params, .workers = req->workers,
        .nonblocking = req->model->traits.nonblocking, .fail_task = LONG_MIN,
        .cancellable = true,   /* stopping cancels it: every wait polls for that */
    };
    r.tasks = serve_listeners(req->model, req->model_params);
    int status = req->model->check ? req->model->check(&r) : 0;
    if (status != 0)
        return status;
    /* The sockets are non-blocking under every model (http_conn.c), so a
     * blocking model tries a call at once and polls on EAGAIN. */
    r.nonblocking = true;
    r.shared = mmap(NULL, sizeof *r.shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    r.task = mmap(NULL, (size_t)r.tasks * sizeof *r.task, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    r.states = calloc((size_t)r.tasks, http_conn_workload.state_size);
    r.workload_run = calloc(1, http_conn_workload.run_size);
    r.cancel = run_cancel_new();
    status = 1;
    if (r.shared == MAP_FAILED || r.task == MAP_FAILED || !r.states || !r.workload_run || !r.cancel)
        fprintf(stderr, "cbench serve: out of memory\n");
    else
        status = serve_run_tasks(req, &r);
    run_cancel_free(r.cancel);
    free(r.workload_run);
    free(r.states);
    if (r.task != MAP_FAILED)
        munmap(r.task, (size_t)r.tasks * sizeof *r.task);
    if (r.shared != MAP_FAILED)
        munmap(r.shared, sizeof *r.shared);
    return status;
}

int serve_main(int argc, char **argv)
{
    if (!serve_has_model(argc, argv))
        return http_server_main(argc, argv);
    struct serve_request req = {
        .conn = { .host = "127.0.0.1", .port = SERVE_DEFAULT_PORT,
                  .idle_timeout_s = HTTP_SERVER_IDLE_TIMEOUT_S,
                  .header_timeout_s = HTTP_SERVER_HEADER_TIMEOUT_S },
    };
    if (!(req.model = serve_find_model(argc, argv)))
        return 2;
    const struct model *m = req.model;
    req.model_params = calloc(1, m->params_size ? m->params_size : 1);
    if (!req.model_params) {
        fprintf(stderr, "cbench serve: out of memory\n");
        return 1;
    }
    if (m->params_default)
        memcpy(req.model_params, m->params_default, m->params_size);
    int status = serve_parse(&req, argc, argv);
    if (status < 0)
        status = serve_run(&req);
    free(req.model_params);
    return status;
}
