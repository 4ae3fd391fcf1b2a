/* main.c - the cbench command line: run, list, serve, --help, --version. */
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../models/model.h"
#include "../server/http_server.h"
#include "serve.h"
#include "../lib/options.h"
#include "output.h"
#include "run.h"

#define CBENCH_VERSION "0.1.0"

struct common_params {
    long tasks;            /* 0 = the workload's default */
    long workers;          /* 0 = one worker per task */
    const char *format;
    long fail_task;        /* -1 = no task fails */
};

static const struct opt_spec common_options[] = {
    { "tasks", 'n', OPT_INT, offsetof(struct common_params, tasks), 1, 1000000,
      "concurrent tasks (connections for net); default per workload" },
    { "workers", 'w', OPT_INT, offsetof(struct common_params, workers), 1, 1000000,
      "pool size for fork/threads (default: one worker per task)" },
    { "format", 'f', OPT_STRING, offsetof(struct common_params, format), 0, 0,
      "output: human, csv or json (default human)" },
    { "fail-task", 0, OPT_INT, offsetof(struct common_params, fail_task), 0, 999999,
      "task N (0-based) fails at its first step: the others are cancelled, exit 1" },
    OPT_END,
};

static void print_usage(FILE *f)
{
    fprintf(f, "usage: cbench run MODEL WORKLOAD [options]   one measurement\n"
               "       cbench list [--format json]           models and workloads (json: for scripts)\n"
               "       cbench serve [options]                the HTTP server net uses\n"
               "       cbench --help | --version\n");
}

static void print_help(void)
{
    printf("cbench %s - which concurrency model fits which workload?\n\n", CBENCH_VERSION);
    print_usage(stdout);
    printf("\nRuns the same workload under one model and reports wall time, CPU time,\n"
           "memory (one method for every model: mem_kib), operations/s, latency\n"
           "percentiles (from every operation), a checksum that is identical under every\n"
           "model, and the workload's own figures as key=value (metrics).\n\n"
           "Common options:\n");
    opt_print_help(common_options, "  ");
    printf("\nModels:\n");
    for (const struct model *const *m = models; *m; m++) {
        printf("  %-9s %s\n", (*m)->name, (*m)->summary);
        opt_print_help((*m)->options, "      ");
    }
    printf("\nWorkloads:\n");
    for (const struct workload *const *w = workloads; *w; w++) {
        printf("  %-9s %s\n", (*w)->name, (*w)->summary);
        opt_print_help((*w)->options, "      ");
        if ((*w)->min_stack_kib)
            printf("      (a task needs %ld KiB of stack: threads --stack-kib %ld or more)\n",
                   (*w)->min_stack_kib, (*w)->min_stack_kib);
    }
    printf("\nExit status: 0 completed without errors; 1 the run failed (errors, a worker\n"
           "could not be created, a limit was reached); 2 bad usage (nothing was run).\n\n"
           "Examples:\n"
           "  cbench run serial sleep                 3 tasks x 1 s, one after another\n"
           "  cbench run async sleep -n 100000        100,000 concurrent 1 s waits\n"
           "  cbench run threads cpu -f json          CPU work on every core, as JSON\n"
           "  cbench run async net -n 100 --rate 20000 --duration 10\n"
           "                                          open loop: 20,000 requests/s offered for 10 s\n");
}

/* Whether a model can run on this machine; `why` says why not. */
static bool model_available(const struct model *m, char *why, size_t size)
{
    why[0] = '\0';
    return !m->available || m->available(why, size) == 0;
}

/* The Python row (bench/py_cbench.py: CPython's own models, the same
 * workloads and checksums) lives beside this binary's source tree: from
 * build/cbench, ../bench/py_cbench.py. Scripts take its path from
 * `cbench list`, never spell it; false when this build has no tree. */
static bool python_entry(char *path, size_t size)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    char joined[4200], *real;
    int len = snprintf(joined, sizeof joined, "%s/../bench/py_cbench.py", exe);
    if (len <= 0 || (size_t)len >= sizeof joined || access(joined, R_OK) != 0 || !(real = realpath(joined, NULL)))
        return false;
    len = snprintf(path, size, "%s", real);
    free(real);
    return len > 0 && (size_t)len < size;
}

static void list_all(void)
{
    char why[200];
    for (const struct model *const *m = models; *m; m++) {
        bool ok = model_available(*m, why, sizeof why);
        printf("model    %-9s %s%s%s%s\n", (*m)->name, (*m)->summary,
               ok ? "" : " [unavailable: ", why, ok ? "" : "]");
    }
    for (const struct workload *const *w = workloads; *w; w++)
        printf("workload %-9s %s\n", (*w)->name, (*w)->summary);
    char entry[4200];
    if (python_entry(entry, sizeof entry))
        printf("python   entry     %s: CPython's models of the same workloads (python3 %s list)\n", entry, entry);
}

/* A JSON string: names and summaries are plain text, but escape anyway. */
static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        if ((unsigned char)*s >= 0x20)
            putchar(*s);
    }
    putchar('"');
}

static const char *json_bool(bool b)
{
    return b ? "true" : "false";
}

static void json_options(const struct opt_spec *table)
{
    printf(",\"options\":[");
    for (const struct opt_spec *o = table; o && o->name; o++) {
        if (o != table)
            putchar(',');
        json_string(o->name);
    }
    putchar(']');
}

/* `cbench list --format json`: one document for scripts, which choose
 * models by their traits (sequential, workers, event_loop, processes,
 * parallel_cpu, serves: struct model_traits), never by name. */
static void list_json(void)
{
    printf("{\"models\":[");
    for (const struct model *const *m = models; *m; m++) {
        printf("%s{\"name\":", m == models ? "" : ",");
        json_string((*m)->name);
        printf(",\"summary\":");
        json_string((*m)->summary);
        const struct model_traits *t = &(*m)->traits;
        printf(",\"sequential\":%s,\"workers\":%s,\"event_loop\":%s,\"processes\":%s,"
               "\"parallel_cpu\":%s,\"serves\":%s", json_bool(t->runs == RUNS_ONE),
               json_bool(t->uses_workers), json_bool(t->nonblocking), json_bool(t->worker_processes),
               json_bool(t->parallel_cpu), json_bool(t->spawns));
        char why[200];
        bool ok = model_available(*m, why, sizeof why);
        printf(",\"available\":%s", ok ? "true" : "false");
        if (!ok) {
            printf(",\"unavailable\":");
            json_string(why);
        }
        json_options((*m)->options);
        putchar('}');
    }
    printf("],\"workloads\":[");
    for (const struct workload *const *w = workloads; *w; w++) {
        printf("%s{\"name\":", w == workloads ? "" : ",");
        json_string((*w)->name);
        printf(",\"summary\":");
        json_string((*w)->summary);
        json_options((*w)->options);
        putchar('}');
    }
    char entry[4200];
    printf("],\"python\":");
    if (python_entry(entry, sizeof entry)) {
        printf("{\"entry\":");
        json_string(entry);
        putchar('}');
    } else {
        printf("null");
    }
    printf("}\n");
}

/* cbench list [--format human|json] */
static int command_list(int argc, char **argv)
{
    const char *format = "human";
    for (int i = 2; i < argc; i++) {
        if ((strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc)
            format = argv[++i];
        else if (strncmp(argv[i], "--format=", 9) == 0)
            format = argv[i] + 9;
        else {
            fprintf(stderr, "cbench: list: unexpected argument \"%s\" (cbench list [--format human|json])\n", argv[i]);
            return 2;
        }
    }
    if (strcmp(format, "json") == 0)
        list_json();
    else if (strcmp(format, "human") == 0)
        list_all();
    else {
        fprintf(stderr, "cbench: list --format: \"%s\" is not one of human, json\n", format);
        return 2;
    }
    return 0;
}

/* Which module, if any, owns an option we could not place: for the message. */
static const char *option_owner(const char *arg)
{
    for (const struct model *const *m = models; *m; m++)
        if (opt_find((*m)->options, arg))
            return (*m)->name;
    for (const struct workload *const *w = workloads; *w; w++)
        if (opt_find((*w)->options, arg))
            return (*w)->name;
    return NULL;
}

/* libev's own allocator aborts (SIGABRT, no message) when memory runs out,
 * and its callers cannot recover. So an allocation failure inside libev
 * (async, hybrid, serve) ends cbench with exit 1 and a message, before any
 * result is printed. write(2), not stdio: nothing is left to allocate. */
static void *ev_realloc_or_exit(void *ptr, long size) EV_NOEXCEPT
{
    static const char msg[] = "cbench: out of memory (an event loop could not allocate)\n";
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    void *p = realloc(ptr, (size_t)size);
    if (!p) {
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(1);
    }
    return p;
}

static void *params_new(size_t size, const void *defaults)
{
    void *p = calloc(1, size ? size : 1);
    if (p && size)
        memcpy(p, defaults, size);
    return p;
}

/* The value of option argv[*i]: after '=' or the next argument. */
static const char *option_value(int argc, char **argv, int *i, const struct opt_spec *spec)
{
    const char *eq = strchr(argv[*i], '=');
    if (spec->type == OPT_FLAG) {
        if (eq)
            fprintf(stderr, "cbench: --%s takes no value\n", spec->name);
        return eq ? NULL : "";
    }
    if (eq && argv[*i][1] == '-')
        return eq + 1;
    if (*i + 1 >= argc) {
        fprintf(stderr, "cbench: --%s needs a value\n", spec->name);
        return NULL;
    }
    return argv[++*i];
}

/* Place one option into whichever table takes it. Returns false on error. */
static bool parse_one_option(int argc, char **argv, int *i, struct run_request *req,
                             struct common_params *common)
{
    const char *arg = argv[*i];
    const struct opt_spec *tables[] = { common_options, req->model->options, req->workload->options };
    void *targets[] = { common, req->model_params, req->workload_params };
    for (int k = 0; k < 3; k++) {
        const struct opt_spec *spec = opt_find(tables[k], arg);
        if (!spec)
            continue;
        const char *value = option_value(argc, argv, i, spec);
        return value && opt_store(spec, targets[k], spec->type == OPT_FLAG ? NULL : value);
    }
    const char *owner = option_owner(arg);
    if (arg[0] != '-')
        fprintf(stderr, "cbench: unexpected argument \"%s\"\n", arg);
    else if (owner)
        fprintf(stderr, "cbench: %s is an option of %s, not of model %s or workload %s\n",
                arg, owner, req->model->name, req->workload->name);
    else
        fprintf(stderr, "cbench: unknown option \"%s\" (see cbench --help)\n", arg);
    return false;
}

static bool parse_run_options(int argc, char **argv, struct run_request *req,
                              struct common_params *common, enum output_format *format)
{
    for (int i = 4; i < argc; i++)
        if (!parse_one_option(argc, argv, &i, req, common))
            return false;
    if (!output_parse_format(common->format, format))
        return false;
    if (common->workers && !req->model->traits.uses_workers) {
        fprintf(stderr, "cbench: --workers: model %s has no worker pool\n", req->model->name);
        return false;
    }
    req->tasks = common->tasks ? common->tasks : req->workload->default_tasks();
    req->workers = common->workers;
    if (common->fail_task >= req->tasks) {
        fprintf(stderr, "cbench: --fail-task: %ld is not a task (tasks are 0..%ld)\n",
                common->fail_task, req->tasks - 1);
        return false;
    }
    req->fail = common->fail_task >= 0;
    req->fail_task = common->fail_task;
    return true;
}

/* More descriptors let net open 10,000 connections; the hard limit is the
 * most an unprivileged process may ask for. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int command_run(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "cbench: run needs a MODEL and a WORKLOAD (see cbench list)\n");
        print_usage(stderr);
        return 2;
    }
    struct run_request req = { .model = model_find(argv[2]), .workload = workload_find(argv[3]) };
    if (!req.model) {
        fprintf(stderr, "cbench: unknown model \"%s\" (models:", argv[2]);
        for (const struct model *const *m = models; *m; m++)
            fprintf(stderr, "%s %s", m == models ? "" : ",", (*m)->name);
        fprintf(stderr, "; see cbench list)\n");
        return 2;
    }
    if (!req.workload) {
        fprintf(stderr, "cbench: unknown workload \"%s\" (see cbench list)\n", argv[3]);
        return 2;
    }
    struct common_params common = { .format = "human", .fail_task = -1 };
    enum output_format format;
    req.model_params = params_new(req.model->params_size, req.model->params_default);
    req.workload_params = params_new(req.workload->params_size, req.workload->params_default);
    int status = 2;
    if (!req.model_params || !req.workload_params) {
        fprintf(stderr, "cbench: out of memory\n");
        status = 1;
    } else if (parse_run_options(argc, argv, &req, &common, &format)) {
        struct result res;
        raise_fd_limit();
        status = run_measure(&req, &res);
        if (status != 2)
            output_print(stdout, format, &res);
    }
    free(req.model_params);
    free(req.workload_params);
    return status;
}

/* `cbench list extra` is a mistake, not a list: commands that take no
 * arguments say so (exit 2) rather than ignore them. */
static bool no_extra_arguments(int argc, char **argv)
{
    if (argc <= 2)
        return true;
    fprintf(stderr, "cbench: %s takes no arguments (got \"%s\")\n", argv[1], argv[2]);
    print_usage(stderr);
    return false;
}

static int command(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        if (!no_extra_arguments(argc, argv))
            return 2;
        print_help();
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        if (!no_extra_arguments(argc, argv))
            return 2;
        printf("cbench %s\n", CBENCH_VERSION);
        return 0;
    }
    if (strcmp(cmd, "list") == 0)
        return command_list(argc, argv);
    if (strcmp(cmd, "run") == 0) {
        if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            if (!no_extra_arguments(argc - 1, argv + 1))
                return 2;
            print_help();
            return 0;
        }
        return command_run(argc, argv);
    }
    if (strcmp(cmd, "serve") == 0)
        return serve_main(argc - 1, argv + 1);
    fprintf(stderr, "cbench: unknown command \"%s\"\n", cmd);
    print_usage(stderr);
    return 2;
}

/* gnulib's close_stream: a stream failed if a write failed or its close
 * did, except that closing an fd that was never open (`2>&-`) with nothing
 * to write is fine. errno is 0 when the error is an earlier write's. */
static int close_stream(FILE *f)
{
    bool some_pending = __fpending(f) != 0;
    bool prev_fail = ferror(f) != 0;
    errno = 0;
    bool fclose_fail = fclose(f) != 0;
    if (prev_fail || (fclose_fail && (some_pending || errno != EBADF))) {
        if (!fclose_fail)
            errno = 0;
        return EOF;
    }
    return 0;
}

/* A result that could not be written is not a result (coreutils'
 * close_stdout): `cbench run ... > /dev/full` exits 1 with a message. */
static int close_std_streams(int status)
{
    if (close_stream(stdout) != 0) {
        if (errno)
            fprintf(stderr, "cbench: write error on standard output: %s\n", strerror(errno));
        else
            fprintf(stderr, "cbench: write error on standard output\n");
        if (status == 0)
            status = 1;
    }
    if (close_stream(stderr) != 0 && status == 0)
        status = 1;
    return status;
}

int main(int argc, char **argv)
{
    /* A reader that went away (`cbench list | head -c 1`) makes a write to
     * stdout fail with EPIPE, which close_std_streams reports (exit 1, a
     * message), rather than kill cbench with SIGPIPE (exit 141). Workers
     * and the server inherit it: their sockets and pipes get EPIPE too. */
    signal(SIGPIPE, SIG_IGN);
    ev_set_allocator(ev_realloc_or_exit);
    return close_std_streams(command(argc, argv));
}
