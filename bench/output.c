/* output.c - the output contract of DESIGN.md. CSV and JSON carry the same
 * keys in the same order, so scripts can use either. */
#include "output.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A failed run has no checksum (run.h): "-" rather than a number. */
static const char *output_checksum(const struct result *r)
{
    return r->checksum[0] ? r->checksum : "-";
}

/* The machine-readable keys, in order. */
#define OUTPUT_KEYS "model,workload,tasks,workers,wall_s,user_s,sys_s,maxrss_kib,ops,ops_per_s," \
                    "lat_p50_us,lat_p90_us,lat_p99_us,lat_max_us,errors,checksum,workers_started,params,note," \
                    "cancelled,cancel_ms,mem_kib,lat_p999_us,lat_p9999_us,metrics"

bool output_parse_format(const char *text, enum output_format *out)
{
    static const char *const names[] = { "human", "csv", "json" };
    for (int i = 0; i < 3; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (enum output_format)i;
            return true;
        }
    }
    fprintf(stderr, "cbench: --format: \"%s\" is not one of human, csv, json\n", text);
    return false;
}

static void output_csv(FILE *f, const struct result *r)
{
    char note[sizeof r->note];
    snprintf(note, sizeof note, "%s", r->note);
    for (char *c = note; *c; c++)   /* a note must not add CSV columns */
        if (*c == ',' || *c == '"' || *c == '\n')
            *c = ';';
    fprintf(f, "%s\n", OUTPUT_KEYS);
    fprintf(f, "%s,%s,%ld,%ld,%.6f,%.6f,%.6f,%ld,%llu,%.3f,%.0f,%.0f,%.0f,%.0f,%llu,%s,%ld,%s,%s",
            r->model, r->workload, r->tasks, r->workers, r->wall_s, r->user_s, r->sys_s,
            r->maxrss_kib, (unsigned long long)r->ops, r->ops_per_s, r->latency.p50_us,
            r->latency.p90_us, r->latency.p99_us, r->latency.max_us,
            (unsigned long long)r->errors, output_checksum(r), r->workers_started, r->params, note);
    /* Keys added later go at the end of the line, so that scripts reading
     * columns by position keep working. */
    char metrics[sizeof r->metrics];
    snprintf(metrics, sizeof metrics, "%s", r->metrics);
    for (char *c = metrics; *c; c++)   /* never a column of its own */
        if (*c == ',' || *c == '"' || *c == '\n')
            *c = '_';
    fprintf(f, ",%ld,%.3f,%ld,%.0f,%.0f,%s\n", r->cancelled, r->cancel_ms, r->mem_kib,
            r->latency.p999_us, r->latency.p9999_us, metrics);
}

/* Strings we print are names, hex, "k=v" lists and notes: escape the two
 * characters JSON requires and drop control characters. */
static void output_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
    fputc('"', f);
}

static void output_json(FILE *f, const struct result *r)
{
    fprintf(f, "{\"model\":");
    output_json_string(f, r->model);
    fprintf(f, ",\"workload\":");
    output_json_string(f, r->workload);
    fprintf(f, ",\"tasks\":%ld,\"workers\":%ld,\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,"
            "\"maxrss_kib\":%ld,\"ops\":%llu,\"ops_per_s\":%.3f,\"lat_p50_us\":%.0f,"
            "\"lat_p90_us\":%.0f,\"lat_p99_us\":%.0f,\"lat_max_us\":%.0f,\"errors\":%llu,",
            r->tasks, r->workers, r->wall_s, r->user_s, r->sys_s, r->maxrss_kib,
            (unsigned long long)r->ops, r->ops_per_s, r->latency.p50_us, r->latency.p90_us,
            r->latency.p99_us, r->latency.max_us, (unsigned long long)r->errors);
    fprintf(f, "\"checksum\":");
    if (r->checksum[0])
        output_json_string(f, r->checksum);
    else
        fputs("null", f);   /* a failed run: no checksum */
    fprintf(f, ",\"workers_started\":%ld,\"params\":", r->workers_started);
    output_json_string(f, r->params);
    fprintf(f, ",\"note\":");
    output_json_string(f, r->note);
    fprintf(f, ",\"cancelled\":%ld,\"cancel_ms\":%.3f,\"mem_kib\":%ld,\"lat_p999_us\":%.0f,"
            "\"lat_p9999_us\":%.0f,\"metrics\":", r->cancelled, r->cancel_ms, r->mem_kib,
            r->latency.p999_us, r->latency.p9999_us);
    output_json_string(f, r->metrics);   /* always the last key */
    fprintf(f, "}\n");
}

/* 1234 µs -> "1.234 ms": latencies span µs to seconds. */
static const char *output_duration(char *buf, size_t size, double us)
{
    if (us >= 1e6)
        snprintf(buf, size, "%.3f s", us / 1e6);
    else if (us >= 1e3)
        snprintf(buf, size, "%.3f ms", us / 1e3);
    else
        snprintf(buf, size, "%.0f µs", us);
    return buf;
}

/* The figure `key` of the metrics "k=v;k=v", or NAN when it is not there. */
static double output_metric(const struct result *r, const char *key)
{
    size_t len = strlen(key);
    for (const char *c = r->metrics; *c; c++) {
        if (strncmp(c, key, len) == 0 && c[len] == '=')
            return strtod(c + len + 1, NULL);
        c = strchr(c, ';');   /* the next pair */
        if (!c)
            break;
    }
    return NAN;
}

/* An open-loop run (net --rate) in words: the offered and achieved rates,
 * and beside the corrected latency line the two distributions that explain
 * it, uncorrected (from the actual send) and the schedule's lag. */
static void output_human_open_loop(FILE *f, const struct result *r)
{
    double offered = output_metric(r, "offered_req_per_s");
    if (isnan(offered))
        return;
    char a[32], b[32], c[32], d[32], e[32];
    fprintf(f, "  open loop   offered %.1f req/s, achieved %.1f req/s%s\n", offered,
            output_metric(r, "achieved_req_per_s"), output_metric(r, "saturated") == 1
            ? ": saturated (below 95 % of offered)" : "");
    fprintf(f, "  uncorrected p50 %s, p90 %s, p99 %s, p99.9 %s, max %s (from the actual send)\n",
            output_duration(a, sizeof a, output_metric(r, "uncorrected_p50_us")),
            output_duration(b, sizeof b, output_metric(r, "uncorrected_p90_us")),
            output_duration(c, sizeof c, output_metric(r, "uncorrected_p99_us")),
            output_duration(d, sizeof d, output_metric(r, "uncorrected_p999_us")),
            output_duration(e, sizeof e, output_metric(r, "uncorrected_max_us")));
    fprintf(f, "  send lag    p50 %s, p99 %s, max %s (actual - intended send time)\n",
            output_duration(a, sizeof a, output_metric(r, "lag_p50_us")),
            output_duration(b, sizeof b, output_metric(r, "lag_p99_us")),
            output_duration(c, sizeof c, output_metric(r, "lag_max_us")));
}

static void output_human(FILE *f, const struct result *r)
{
    char a[32], b[32], c[32], d[32], e[32], g[32];
    fprintf(f, "%s %s: %ld tasks", r->model, r->workload, r->tasks);
    if (r->workers)
        fprintf(f, ", %ld workers", r->workers);
    fprintf(f, "%s%s\n", r->note[0] ? "; " : "", r->note);
    fprintf(f, "  options     %s\n", r->params[0] ? r->params : "(none)");
    if (!r->ran) {   /* nothing was measured: no zeros that look like figures */
        fprintf(f, "  errors      %llu (no task ran: see the message above)\n",
                (unsigned long long)r->errors);
        return;
    }
    fprintf(f, "  wall time   %.3f s\n", r->wall_s);
    fprintf(f, "  cpu time    %.3f s user, %.3f s sys\n", r->user_s, r->sys_s);
    fprintf(f, "  memory      %.1f MiB peak RSS", r->maxrss_kib / 1024.0);
    if (r->tasks >= 1000)   /* below that the process's own baseline dominates */
        fprintf(f, " (%.2f KiB per task)", (double)r->maxrss_kib / (double)r->tasks);
    fprintf(f, "; %.1f MiB with workers' own and kernel memory (mem_kib)\n", r->mem_kib / 1024.0);
    fprintf(f, "  operations  %llu, %.1f ops/s\n", (unsigned long long)r->ops, r->ops_per_s);
    fprintf(f, "  latency     p50 %s, p90 %s, p99 %s, p99.9 %s, p99.99 %s, max %s (%zu samples%s)\n",
            output_duration(a, sizeof a, r->latency.p50_us), output_duration(b, sizeof b, r->latency.p90_us),
            output_duration(c, sizeof c, r->latency.p99_us), output_duration(d, sizeof d, r->latency.p999_us),
            output_duration(e, sizeof e, r->latency.p9999_us), output_duration(g, sizeof g, r->latency.max_us),
            r->latency.count, isnan(output_metric(r, "offered_req_per_s")) ? ""
            : "; corrected: from each request's intended send time");
    output_human_open_loop(f, r);
    fprintf(f, "  errors      %llu\n", (unsigned long long)r->errors);
    fprintf(f, "  checksum    %s\n", output_checksum(r));
    if (r->fail_task >= 0)
        fprintf(f, "  cancelled   %ld tasks, all stopped %.3f ms after task %ld failed\n",
                r->cancelled, r->cancel_ms, r->fail_task);
    if (r->metrics[0]) {   /* "a=1;b=2" -> "a=1, b=2" */
        fprintf(f, "  metrics     ");
        for (const char *c = r->metrics; *c; c++) {
            if (*c == ';')
                fputs(", ", f);
            else
                fputc(*c, f);
        }
        fputc('\n', f);
    }
}

void output_print(FILE *f, enum output_format format, const struct result *res)
{
    switch (format) {
    case FORMAT_HUMAN: output_human(f, res); break;
    case FORMAT_CSV: output_csv(f, res); break;
    case FORMAT_JSON: output_json(f, res); break;
    }
    /* not flushed here: main's close_std_streams writes it and names the
     * error (EPIPE, ENOSPC), which a failed flush here would leave unknown */
}
