/* options.h - strict command-line option parsing shared by every command.
 *
 * Each model and workload declares a table of its own options; the table
 * says where each value goes (an offset into that module's params struct),
 * its type and its allowed range. One parser serves all tables, so every
 * option gets the same strict checks and the same error messages.
 */
#ifndef CBENCH_OPTIONS_H
#define CBENCH_OPTIONS_H

#include <stddef.h>
#include <stdbool.h>

enum opt_type {
    OPT_INT,      /* long, range-checked */
    OPT_DOUBLE,   /* double, range-checked, finite */
    OPT_STRING,   /* const char *, points into argv */
    OPT_FLAG,     /* bool, takes no value */
};

struct opt_spec {
    const char *name;        /* long name without dashes: "tasks" */
    char short_name;         /* 'n', or 0 for none */
    enum opt_type type;
    size_t offset;           /* where the value goes in the params struct */
    double min, max;         /* inclusive range for OPT_INT / OPT_DOUBLE */
    const char *help;        /* one line for --help */
};

#define OPT_END { .name = NULL }

/* Parse a whole string as a number in [min, max]. On failure print
 * `cbench: --NAME: "TEXT" ...` naming the problem and return false. */
bool opt_parse_long(const char *name, const char *text, long min, long max, long *out);
bool opt_parse_double(const char *name, const char *text, double min, double max, double *out);

/* Find `arg` ("--ms", "--ms=5", "-n") in `table`. Returns the spec or NULL. */
const struct opt_spec *opt_find(const struct opt_spec *table, const char *arg);

/* Store the value for `spec` into `params`. `value` is NULL for flags.
 * Returns false (after printing the error) when the value is invalid. */
bool opt_store(const struct opt_spec *spec, void *params, const char *value);

/* Print one help line per option of `table`, indented. */
void opt_print_help(const struct opt_spec *table, const char *indent);

#endif
