/* output.h - a result as text: human, csv (header + row) or json (one object). */
#ifndef CBENCH_OUTPUT_H
#define CBENCH_OUTPUT_H

#include <stdio.h>
#include "run.h"

enum output_format { FORMAT_HUMAN, FORMAT_CSV, FORMAT_JSON };

/* Parses "human", "csv" or "json"; false (after a message) otherwise. */
bool output_parse_format(const char *text, enum output_format *out);
void output_print(FILE *f, enum output_format format, const struct result *res);

#endif
