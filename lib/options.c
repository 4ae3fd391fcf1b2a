/* options.c - strict option parsing: whole string, range-checked, named errors. */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only plain decimal is a number here: an optional '-' (so that "-5" is
 * reported as out of range, not as gibberish), digits and, for doubles, one
 * '.' with digits around it. No '+', spaces, hex, exponent, inf or nan:
 * strtol/strtod accept all of those ("0x1p3" is 8). */
static bool opt_is_decimal(const char *text, bool fraction)
{
    const char *c = text;
    size_t digits = 0;
    bool dot = false;
    if (*c == '-')
        c++;
    for (; *c; c++) {
        if (*c >= '0' && *c <= '9')
            digits++;
        else if (*c == '.' && fraction && !dot)
            dot = true;
        else
            return false;
    }
    return digits > 0;
}

bool opt_parse_long(const char *name, const char *text, long min, long max, long *out)
{
    char *end;
    if (!opt_is_decimal(text, false)) {
        fprintf(stderr, "cbench: --%s: \"%s\" is not a whole number\n", name, text);
        return false;
    }
    errno = 0;
    long value = strtol(text, &end, 10);
    /* "-0" is no way to write 0 when no value may be negative */
    if (errno == ERANGE || *end != '\0' || value < min || value > max || (text[0] == '-' && min >= 0)) {
        fprintf(stderr, "cbench: --%s: %s is out of range (%ld..%ld)\n", name, text, min, max);
        return false;
    }
    *out = value;
    return true;
}

bool opt_parse_double(const char *name, const char *text, double min, double max, double *out)
{
    char *end;
    if (!opt_is_decimal(text, true)) {
        fprintf(stderr, "cbench: --%s: \"%s\" is not a number\n", name, text);
        return false;
    }
    errno = 0;
    double value = strtod(text, &end);
    if (errno == ERANGE || *end != '\0' || !isfinite(value) || value < min || value > max ||
        (text[0] == '-' && min >= 0)) {
        fprintf(stderr, "cbench: --%s: %s is out of range (%g..%g)\n", name, text, min, max);
        return false;
    }
    *out = value;
    return true;
}

/* Does `arg` name `spec`? Accepts --name, --name=value and -x. */
static bool opt_matches(const struct opt_spec *spec, const char *arg)
{
    if (arg[0] == '-' && arg[1] == '-') {
        size_t len = strlen(spec->name);
        return strncmp(arg + 2, spec->name, len) == 0 &&
               (arg[2 + len] == '\0' || arg[2 + len] == '=');
    }
    return spec->short_name && arg[0] == '-' && arg[1] == spec->short_name && arg[2] == '\0';
}

const struct opt_spec *opt_find(const struct opt_spec *table, const char *arg)
{
    for (const struct opt_spec *spec = table; spec && spec->name; spec++)
        if (opt_matches(spec, arg))
            return spec;
    return NULL;
}

bool opt_store(const struct opt_spec *spec, void *params, const char *value)
{
    char *field = (char *)params + spec->offset;
    switch (spec->type) {
    case OPT_FLAG:
        *(bool *)field = true;
        return true;
    case OPT_STRING:
        *(const char **)field = value;
        return true;
    case OPT_INT:
        return opt_parse_long(spec->name, value, (long)spec->min, (long)spec->max, (long *)field);
    case OPT_DOUBLE:
        return opt_parse_double(spec->name, value, spec->min, spec->max, (double *)field);
    }
    return false;
}

void opt_print_help(const struct opt_spec *table, const char *indent)
{
    for (const struct opt_spec *spec = table; spec && spec->name; spec++) {
        char left[64];
        const char *arg = spec->type == OPT_FLAG ? "" : spec->type == OPT_STRING ? " S" : " N";
        if (spec->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s", spec->short_name, spec->name, arg);
        else
            snprintf(left, sizeof left, "    --%s%s", spec->name, arg);
        printf("%s%-24s %s\n", indent, left, spec->help);
    }
}
