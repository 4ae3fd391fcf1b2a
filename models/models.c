/* models.c - the registry of concurrency models. */
#include <string.h>
#include "model.h"

extern const struct model model_serial, model_fork, model_threads, model_async, model_hybrid, model_uring;

const struct model *const models[] = {
    &model_serial,
    &model_fork,
    &model_threads,
    &model_async,
    &model_hybrid,
    &model_uring,
    NULL,
};

const struct model *model_find(const char *name)
{
    for (const struct model *const *m = models; *m; m++)
        if (strcmp((*m)->name, name) == 0)
            return *m;
    return NULL;
}
