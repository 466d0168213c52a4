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
/* The payload digest after the prefix (onefile temp mode on POSIX, docs/hardening.md):
 * fk_extract_temp checks the prefix while it unpacks and leaves the rest of the payload to a
 * thread (ctx->digest), which writes the verified stamp once the whole digest matched.
 * fk_extract_digest_wait waits for it (and sets ctx->verified): call it before Python runs
 * anything but its own initialisation; fk_digest_wait, before any file unpacked from
 * outside the prefix is put in place; fk_extract_digest_free, before the folder goes. */
fk_status fk_extract_digest_wait(struct fk_context *ctx);
fk_status fk_digest_wait(struct fk_digest *digest);
void fk_extract_digest_free(struct fk_context *ctx);
/* cache mode: reuse or atomically create <cache>/freezekit/<name>-<content id>. */
fk_status fk_extract_cache(struct fk_context *ctx);
/* Removes _MEIfk* folders of ours under `tmp_base` whose owners are gone. */
void fk_extract_sweep_temp(const char *tmp_base);

/* Prefetch (onefile temp mode, in the process that runs Python): a background thread unpacks
 * the lazy table's start-up set while the interpreter starts, and fk_prefetch_unpack, which
 * every on-demand unpack of the process goes through, waits for or takes over what it needs.
 * *prefetch stays NULL when the archive has no lazy table. */
struct fk_prefetch;
fk_status fk_prefetch_start(const struct fk_context *ctx, struct fk_prefetch **prefetch);
/* Whether `prefetch` was started by this process (not a copy in a forked child). */
int fk_prefetch_active(const struct fk_prefetch *prefetch);
/* Like fk_extract_entries into the top directory; any thread, without the GIL. */
fk_status fk_prefetch_unpack(struct fk_prefetch *prefetch, const char *const *names,
                             size_t count);
/* The start-up set: its size, and the name and state of its file `index` ("waiting",
 * "unpacking", "thread", "caller", "shared", "present" or "failed"). */
size_t fk_prefetch_count(const struct fk_prefetch *prefetch);
const char *fk_prefetch_describe(struct fk_prefetch *prefetch, size_t index, const char **state);
/* Ends the thread (between two decoded pieces) and frees it all; NULL and a forked copy are
 * left alone. Call before the top directory is removed. */
void fk_prefetch_stop(struct fk_prefetch *prefetch);

#endif /* FK_EXTRACT_H */
