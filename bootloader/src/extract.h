/* onefile: unpacking the archive's files into the top directory (temp and cache modes). */
#ifndef FK_EXTRACT_H
#define FK_EXTRACT_H

#include "context.h"
#include "status.h"

/* Writes every file, symlink and external entry of ctx->archive below `dest`; with `lazy`,
 * not the files the lazy table names (the runtime asks for them on first import). */
fk_status fk_extract_archive(const struct fk_context *ctx, const char *dest, int lazy);
/* Unpacks the named entries below `dest` if they are not there yet, each through a private
 * name renamed into place: safe while the app runs and with other processes doing the same. */
fk_status fk_extract_entries(const struct fk_archive *archive, const char *dest,
                             const char *const *names, size_t count);
/* temp mode: a fresh locked <tmp>/_MEIfkXXXXXX, extracted; sets top_dir and top_lock. */
fk_status fk_extract_temp(struct fk_context *ctx, const char *tmp_base);
/* cache mode: reuse or atomically create <cache>/freezekit/<name>-<content id>. */
fk_status fk_extract_cache(struct fk_context *ctx);
/* Removes _MEIfk* folders of ours under `tmp_base` whose owners are gone. */
void fk_extract_sweep_temp(const char *tmp_base);

#endif /* FK_EXTRACT_H */
