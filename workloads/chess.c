/* chess.c - a simultaneous exhibition, time-scaled: one expert plays 24
 * boards (-n), 30 move pairs each (--moves). Her move is CPU work of
 * --move-ms; each opponent then thinks --reply-ms (default 11 x her move,
 * the seed's 5 s against 55 s) before the next move pair.
 *
 * Serially she plays one board to the end, then the next: boards x moves x
 * (move + reply), 4.32 s with the defaults. One event loop is her walking
 * from board to board while the opponents think: about boards x moves x
 * move, 0.36 s, twelve times less. In C, threads put the moves of several
 * boards on several cores at once (there is more than one expert). The note
 * gives these theoretical times for the options used.
 *
 * A move is a fixed number of kernel iterations (--move-ms converted with
 * CPU_KERNEL_ITERS_PER_MS, about 0.5 ms on the reference VM), so the
 * checksum never depends on the machine; setup times one move for the
 * note. Latency is one move pair as the board sees it: from the
 * opponent's reply to the next one.
 *
 * Metrics, from this run's own measurements (never constants): move_ms,
 * the mean CPU time of one of her moves (CLOCK_THREAD_CPUTIME_ID around
 * each move, so a thread waiting for a core is not counted), reply_ms, and
 * the theory for one expert: theory_serial_s = boards x moves x (move +
 * reply), theory_async_s = moves x max(boards x move, move + reply) (she
 * walks from board to board; a round is as long as her moves, or as one
 * move and its reply if that is longer), theory_ratio = their ratio. A
 * reply that ends early is an error. */
#include "workload.h"
#include "../lib/cpu_kernel.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define CHESS_REPLY_FACTOR 11.0   /* 55 s of thought per 5 s move */

struct chess_params {
    double move_ms, reply_ms;
    long moves;
};

/* Filled by setup, for the note and the metrics. */
struct chess_run {
    long boards, cores;
    double measured_move_ms;
};

enum chess_phase { CHESS_START, CHESS_MOVE, CHESS_REPLY };

struct chess_state {
    enum chess_phase phase;
    int64_t reply_ns;       /* when the opponent began to think */
    long moves_done;
    struct cpu_kernel kernel;
};

static const struct chess_params chess_defaults = { .move_ms = 0.5, .reply_ms = 0, .moves = 30 };

static const struct opt_spec chess_options[] = {
    { "move-ms", 0, OPT_DOUBLE, offsetof(struct chess_params, move_ms), 0.001, 60e3,
      "the expert's CPU work per move, ms (default 0.5; fixed iterations)" },
    { "reply-ms", 0, OPT_DOUBLE, offsetof(struct chess_params, reply_ms), 0, 3600e3,
      "an opponent's thinking time per move, ms (default 11 x --move-ms)" },
    { "moves", 0, OPT_INT, offsetof(struct chess_params, moves), 1, 1000000,
      "move pairs per board (default 30)" },
    OPT_END,
};

static long chess_default_tasks(void)
{
    return 24;
}

static uint32_t chess_latency_per_task(const void *params, long tasks)
{
    (void)tasks;
    const struct chess_params *p = params;
    return (uint32_t)p->moves;
}

static double chess_reply_ms(const struct chess_params *p)
{
    return p->reply_ms > 0 ? p->reply_ms : CHESS_REPLY_FACTOR * p->move_ms;
}

/* Her move: CPU work, then the opponent thinks. */
static struct wait chess_move(struct task *t, const struct chess_params *p, struct chess_state *s)
{
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    cpu_kernel_run(&s->kernel, cpu_kernel_iters(p->move_ms));
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    t->figure[0] += (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
    t->figure[1] += 1;
    t->checksum = checksum_mix(t->checksum, s->kernel.h);
    s->phase = CHESS_REPLY;
    s->reply_ns = clock_now_ns();
    return wait_timer(chess_reply_ms(p) / 1000);
}

static struct wait chess_step(struct task *t)
{
    const struct chess_params *p = t->params;
    struct chess_state *s = t->state;
    switch (s->phase) {
    case CHESS_START:
        cpu_kernel_seed(&s->kernel, (uint64_t)t->id);
        break;
    case CHESS_MOVE:
        return chess_move(t, p, s);
    case CHESS_REPLY:
        t->errors += wait_ended_early(s->reply_ns, chess_reply_ms(p) / 1000);
        task_op_end(t);
        if (++s->moves_done == p->moves)
            return wait_done();
        break;
    }
    /* The opponent has moved: her turn at this board comes when she can. */
    task_op_begin(t);
    s->phase = CHESS_MOVE;
    return wait_cpu();
}

/* One move, timed, for the note (the best of a few: the machine may be
 * busy). */
static double chess_measure_move_ms(const struct chess_params *p)
{
    struct cpu_kernel k;
    double best = 1e30;
    cpu_kernel_seed(&k, 0);
    for (int i = 0; i < 5; i++) {
        int64_t t0 = clock_now_ns();
        cpu_kernel_run(&k, cpu_kernel_iters(p->move_ms));
        double ms = (double)(clock_now_ns() - t0) / 1e6;
        best = ms < best ? ms : best;
    }
    volatile uint64_t sink = k.h;   /* the result is used: the work is kept */
    (void)sink;
    return best;
}

static int chess_setup(const void *params, void *run, const struct workload_env *env)
{
    struct chess_run *r = run;
    r->boards = env->tasks;
    r->cores = online_cores();
    r->measured_move_ms = chess_measure_move_ms(params);
    return 0;
}

/* Theoretical times: serial plays board after board; one expert moving
 * from board to board is busy all the time unless a round of moves is
 * shorter than a reply; C experts (cores) share the moves. */
static void chess_note(const void *params, const void *run, char *buf, size_t size)
{
    const struct chess_params *p = params;
    const struct chess_run *r = run;
    double move = p->move_ms / 1000, reply = chess_reply_ms(p) / 1000;
    double pairs = (double)r->boards * (double)p->moves;
    double serial = pairs * (move + reply);
    double board = (double)p->moves * (move + reply);   /* one board alone */
    double loop = pairs * move + reply > board ? pairs * move + reply : board;
    double multi = pairs * move / (double)r->cores + reply;
    multi = multi > board ? multi : board;
    snprintf(buf, size, "theory: serial %.3f s, one loop %.3f s (%.1fx), %ld cores %.3f s; "
             "a %.3g ms move took %.3f ms here", serial, loop, serial / loop, r->cores, multi,
             p->move_ms, r->measured_move_ms);
}

static void chess_metrics(const void *params, const void *run, const struct workload_run *info,
                          char *buf, size_t size)
{
    const struct chess_params *p = params;
    const struct chess_run *r = run;
    double cpu_ms = 0, moves = 0;
    for (long i = 0; i < info->tasks; i++) {
        cpu_ms += info->task[i].figure[0];
        moves += info->task[i].figure[1];
    }
    double move = moves > 0 ? cpu_ms / moves / 1e3 : 0, reply = chess_reply_ms(p) / 1e3;
    double boards = (double)r->boards, n = (double)p->moves;
    double serial = boards * n * (move + reply);
    double one = boards * move > move + reply ? boards * move : move + reply;
    double async = n * one;
    metrics_add(buf, size, "boards", boards);
    metrics_add(buf, size, "moves", n);
    metrics_add(buf, size, "move_ms", move * 1e3);
    metrics_add(buf, size, "reply_ms", reply * 1e3);
    metrics_add(buf, size, "theory_serial_s", serial);
    metrics_add(buf, size, "theory_async_s", async);
    metrics_add(buf, size, "theory_ratio", async > 0 ? serial / async : 0);
}

const struct workload workload_chess = {
    .name = "chess",
    .summary = "one expert plays 24 boards at once: moves are CPU work, opponents' replies waits",
    .options = chess_options,
    .params_size = sizeof(struct chess_params),
    .params_default = &chess_defaults,
    .run_size = sizeof(struct chess_run),
    .default_tasks = chess_default_tasks,
    .state_size = sizeof(struct chess_state),
    .independent_tasks = true,
    .latency_per_task = chess_latency_per_task,
    .setup = chess_setup,
    .step = chess_step,
    .note = chess_note,
    .metrics = chess_metrics,
};
