/* onefile: unpacking the archive's files into the top directory (temp and cache modes). */
#ifndef FK_EXTRACT_H
#define FK_EXTRACT_H

#include "context.h"
#include "status.h"

/* Writes every file, symlink and external entry of ctx->archive below `dest`. */
fk_status fk_extract_archive(const struct fk_context *ctx, const char *dest);
/* temp mode: a fresh locked <tmp>/_MEIfkXXXXXX, extracted; sets top_dir and top_lock. */
fk_status fk_extract_temp(struct fk_context *ctx, const char *tmp_base);
/* cache mode: reuse or atomically create <cache>/freezekit/<name>-<content id>. */
fk_status fk_extract_cache(struct fk_context *ctx);
/* Removes _MEIfk* folders of ours under `tmp_base` whose owners are gone. */
void fk_extract_sweep_temp(const char *tmp_base);

#endif /* FK_EXTRACT_H */
