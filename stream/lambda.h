/* The lambda architecture's layers (lambda.c), for pipeline.c, which makes them over the
 * sink's row store: lambda_new hooks lambda_row and lambda_free into struct sinks, so
 * the row store below never calls up into this module. Internal to stream/. */
#ifndef FTSIM_LAMBDA_H
#define FTSIM_LAMBDA_H

#include "sinks.h"

struct lambda;
struct sim;
/* The layers fed by sinks_row (cfg.lambda.enabled; else nothing), their jobs and
 * samples scheduled on s. 0 or FT_ENOMEM. */
int lambda_new(struct sim *s, struct sinks *k, struct ft_error *err);
int lambda_schedule(struct sim *s, struct lambda *l, struct ft_error *err);
void lambda_free(struct lambda *l);
/* A row the sink kept, in commit order. */
void lambda_row(struct lambda *l, const struct sink_row *r);

#endif
