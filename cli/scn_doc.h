/* A scenario file as an editable YAML document (libyaml's yaml_document_t): `swarm` and
 * `shrink` load a base file, replace or remove values by key path and emit a complete,
 * ordinary scenario file that `ftsim run` loads alone. Key order and flow/block styles of
 * the base are kept; comments are not. Paths are keys joined by '.', with 0-based
 * indices into sequences ("faults.2.at", "source.rate"). Values are YAML text: a scalar
 * ("1224ms"), or a flow collection ("{ crash: broker, at: 2s }", "[[source], [sink]]"). */
#ifndef FTSIM_SCN_DOC_H
#define FTSIM_SCN_DOC_H

#include <stddef.h>

#include "err.h"

struct scn_doc;

/* Parses text (one YAML document); FT_EPARSE with err naming `name` on a syntax error. */
int scn_doc_parse(const char *name, const char *text, size_t len, struct scn_doc **out,
                  struct ft_error *err);
void scn_doc_free(struct scn_doc *d);
/* The text of the scalar at path, or NULL (missing, or not a scalar). */
const char *scn_doc_scalar(struct scn_doc *d, const char *path);
/* Items of the sequence / pairs of the mapping at path; -1 when missing or a scalar. */
int scn_doc_len(struct scn_doc *d, const char *path);
/* The key of pair i of the mapping at path ("" for the root), or NULL. */
const char *scn_doc_key(struct scn_doc *d, const char *path, int i);
/* Sets path to the value `yaml`, replacing it, or adding the key at the end of its
 * mapping (a missing parent mapping is added too, in flow style but for `expect`, which
 * is block style: a protocol a line). 0, FT_EINVAL (a bad path or value)
 * or FT_ENOMEM. */
int scn_doc_set(struct scn_doc *d, const char *path, const char *yaml);
/* Removes the key (or the sequence item) at path: 0, or FT_ENOENT when missing. */
int scn_doc_remove(struct scn_doc *d, const char *path);
/* Appends the value `yaml` to the sequence at path, adding a block sequence there when
 * missing. 0, FT_EINVAL or FT_ENOMEM. */
int scn_doc_append(struct scn_doc *d, const char *path, const char *yaml);
/* The document as YAML text (NUL-terminated, the caller frees it); d is unchanged. */
int scn_doc_emit(struct scn_doc *d, char **text, size_t *len);

#endif
