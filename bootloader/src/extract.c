/* onefile extraction: temp mode (private folder removed at exit) and cache mode (per-user,
 * content-addressed, created atomically). */
#include "extract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FK_TEMP_PREFIX "_MEIfk"
#define FK_ATTEMPTS 8

/* The sibling archive of the last external entry (MERGE), kept open across entries. */
struct fk_sibling {
    char name[FK_PATH_MAX];
    struct fk_archive archive;
};

/* A symlink target must be relative and stay inside the top directory. */
static int is_safe_link(const char *name, const unsigned char *target, size_t length)
{
    long depth = 0;
    size_t i;
    size_t start = 0;
    for (i = 0; name[i] != '\0'; i++) {
        depth += name[i] == '/';
    }
    if (length == 0 || target[0] == '/' || memchr(target, '\0', length) != NULL) {
        return 0;
    }
    for (i = 0; i <= length; i++) {
        if (i == length || target[i] == '/') {
            size_t part = i - start;
            if (part == 2 && target[start] == '.' && target[start + 1] == '.') {
                if (--depth < 0) {
                    return 0;
                }
            } else if (part > 0 && !(part == 1 && target[start] == '.')) {
                depth++;
            }
            start = i + 1;
        }
    }
    return 1;
}

static fk_status make_parent(const char *dest, const char *name)
{
    char parent[FK_PATH_MAX];
    const char *slash = strrchr(name, '/');
    size_t length;
    if (slash == NULL) {
        return fk_ok();
    }
    length = (size_t)(slash - name);
    if (length >= sizeof parent) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "entry name %s is too long", name);
    }
    memcpy(parent, name, length);
    parent[length] = '\0';
    return fk_platform_make_dirs(dest, parent);
}

struct file_sink {
    fk_handle file;
    const char *path;
};

static fk_status append_to_file(void *user, const void *data, size_t length)
{
    struct file_sink *sink = user;
    return fk_platform_append(sink->file, sink->path, data, length);
}

/* Writes a file entry to `path` as it decompresses; a failure removes the partial file. */
static fk_status stream_to_file(const struct fk_archive *archive, const struct fk_entry *entry,
                                const char *path)
{
    struct file_sink sink;
    fk_status status = fk_platform_create_file(path, &sink.file);
    if (FK_FAILED(status)) {
        return status;
    }
    sink.path = path;
    status = fk_archive_stream(archive, entry, append_to_file, &sink);
    if (FK_FAILED(status)) {
        fk_platform_finish_file(sink.file, path, entry->mode, 1);
        return status;
    }
    return fk_platform_finish_file(sink.file, path, entry->mode ? entry->mode : 0644, 0);
}

static fk_status write_entry(const struct fk_archive *archive, const struct fk_entry *entry,
                             const char *dest)
{
    char path[FK_PATH_MAX];
    unsigned char *data = NULL;
    size_t length = 0;
    fk_status status = fk_path_join(path, sizeof path, dest, entry->name);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    status = make_parent(dest, entry->name);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    if (entry->kind != FK_KIND_SYMLINK) {
        status = stream_to_file(archive, entry, path);
        goto cleanup;
    }
    status = fk_archive_read(archive, entry, &data, &length);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    {
        char target[FK_PATH_MAX];
        if (length >= sizeof target || !is_safe_link(entry->name, data, length)) {
            status = fk_fail(FK_E_ARCHIVE, 0, "symbolic link %s points outside the top "
                             "directory or is malformed; refusing it, rebuild the app",
                             entry->name);
            goto cleanup;
        }
        memcpy(target, data, length);
        target[length] = '\0';
        status = fk_platform_symlink(target, path);
    }
cleanup:
    free(data);
    return status;
}

/* On demand (the app is running, other processes may share the folder): the file is written
 * under a private name and renamed into place, so nobody ever sees it half-written. */
static fk_status write_entry_atomic(const struct fk_archive *archive,
                                    const struct fk_entry *entry, const char *dest)
{
    char path[FK_PATH_MAX];
    char partial[FK_PATH_MAX];
    int lost = 0;
    int written;
    fk_status status = fk_path_join(path, sizeof path, dest, entry->name);
    if (FK_FAILED(status) || fk_path_exists(path)) {
        return status;
    }
    if (entry->kind == FK_KIND_SYMLINK) {
        return write_entry(archive, entry, dest);
    }
    written = snprintf(partial, sizeof partial, "%s.%lu.part", path, fk_platform_process_id());
    if (written < 0 || (size_t)written >= sizeof partial) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "entry name %s is too long", entry->name);
    }
    status = make_parent(dest, entry->name);
    if (!FK_FAILED(status)) {
        status = stream_to_file(archive, entry, partial);
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_rename_file(partial, path, &lost);
    }
    return status;
}

static fk_status open_sibling(const struct fk_context *ctx, struct fk_sibling *sibling,
                              const char *name)
{
    char path[FK_PATH_MAX];
    fk_status status;
    if (sibling->archive.file != FK_NO_HANDLE && strcmp(sibling->name, name) == 0) {
        return fk_ok();
    }
    if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, "..") == 0 ||
        strlen(name) >= sizeof sibling->name) {
        return fk_fail(FK_E_ARCHIVE, 0, "external entry names an invalid sibling app '%s'; "
                       "rebuild the apps", name);
    }
    status = fk_path_join(path, sizeof path, ctx->exe_dir, name);
    if (FK_FAILED(status)) {
        return status;
    }
    status = fk_archive_open(&sibling->archive, path);
    if (FK_FAILED(status)) {
        return fk_fail(status.code, status.err, "cannot read the sibling app %s that holds shared "
                       "files (MERGE): %s; keep the apps built together in the same folder",
                       path, status.message);
    }
    memcpy(sibling->name, name, strlen(name) + 1);
    return fk_ok();
}

static fk_status extract_external(const struct fk_context *ctx, struct fk_sibling *sibling,
                                  const struct fk_entry *entry, const char *dest)
{
    const struct fk_entry *shared;
    unsigned char *data = NULL;
    size_t length = 0;
    char name[FK_PATH_MAX];
    fk_status status = fk_archive_read(&ctx->archive, entry, &data, &length);
    if (FK_FAILED(status)) {
        return status;
    }
    if (length >= sizeof name) {
        free(data);
        return fk_fail(FK_E_ARCHIVE, 0, "external entry %s: sibling name too long", entry->name);
    }
    memcpy(name, data, length);
    name[length] = '\0';
    free(data);
    status = open_sibling(ctx, sibling, name);
    if (FK_FAILED(status)) {
        return status;
    }
    shared = fk_archive_find(&sibling->archive, entry->name, 0);
    if (shared == NULL ||
        !(fk_archive_is_file_kind(shared->kind) || shared->kind == FK_KIND_SYMLINK)) {
        return fk_fail(FK_E_ARCHIVE, 0, "file %s is not in the sibling app %s/%s (MERGE); "
                       "rebuild the merged apps together", entry->name, ctx->exe_dir, name);
    }
    return write_entry(&sibling->archive, shared, dest);
}

/* One extraction worker's share of the entries, and what went wrong, if anything. */
struct extract_share {
    const struct fk_archive *archive;
    fk_status (*write)(const struct fk_archive *, const struct fk_entry *, const char *);
    const char *dest;
    size_t *indexes;
    size_t count;
    uint64_t bytes;
    fk_status status;
};

static void extract_share_run(void *user)
{
    struct extract_share *share = user;
    size_t i;
    for (i = 0; i < share->count && !FK_FAILED(share->status); i++) {
        share->status = share->write(share->archive,
                                     &share->archive->entries[share->indexes[i]], share->dest);
    }
}

/* Splits the entries `pool[0..count)` over `workers` shares: each entry, largest first, goes
 * to the share with the fewest bytes so far. `pool` is reordered. */
static void plan_shares(const struct fk_archive *archive, struct extract_share *shares,
                        unsigned workers, size_t *pool, size_t count)
{
    size_t i, j;
    unsigned k;
    for (i = 1; i < count; i++) { /* insertion sort by size, descending; the TOC is small */
        size_t moving = pool[i];
        for (j = i; j > 0 && archive->entries[pool[j - 1]].raw_size <
                                 archive->entries[moving].raw_size; j--) {
            pool[j] = pool[j - 1];
        }
        pool[j] = moving;
    }
    for (k = 0; k < workers; k++) {
        shares[k].indexes = pool + (size_t)(k + 1) * count;
    }
    for (i = 0; i < count; i++) {
        struct extract_share *lightest = &shares[0];
        for (k = 1; k < workers; k++) {
            if (shares[k].bytes < lightest->bytes) {
                lightest = &shares[k];
            }
        }
        lightest->indexes[lightest->count++] = pool[i];
        lightest->bytes += archive->entries[pool[i]].raw_size;
    }
}

/* Writes the entries `indexes[0..count)` below `dest` on up to one thread per core. */
static fk_status extract_parallel(const struct fk_archive *archive, const char *dest,
                                  const size_t *indexes, size_t count, int atomic)
{
    enum { MAX_WORKERS = 4 };
    struct extract_share shares[MAX_WORKERS];
    void *users[MAX_WORKERS];
    unsigned workers = fk_platform_cpu_count(), k;
    size_t *pool;
    fk_status status = fk_ok();
    if (workers > MAX_WORKERS) {
        workers = MAX_WORKERS;
    }
    if ((size_t)workers > count) {
        workers = count > 0 ? (unsigned)count : 1;
    }
    /* room for the sorted list and one full-length list per share */
    pool = malloc((count + 1) * sizeof *pool * (workers + 1));
    if (pool == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the extraction plan");
    }
    memcpy(pool, indexes, count * sizeof *pool);
    for (k = 0; k < workers; k++) {
        shares[k].archive = archive;
        shares[k].write = atomic ? write_entry_atomic : write_entry;
        shares[k].dest = dest;
        shares[k].count = 0;
        shares[k].bytes = 0;
        shares[k].status = fk_ok();
        users[k] = &shares[k];
    }
    plan_shares(archive, shares, workers, pool, count);
    if (workers == 1) {
        extract_share_run(users[0]);
    } else {
        fk_platform_run_parallel(workers, extract_share_run, users);
    }
    for (k = 0; k < workers; k++) {
        if (FK_FAILED(shares[k].status)) {
            status = shares[k].status;
            break;
        }
    }
    free(pool);
    return status;
}

/* marks[i] = 1 for every file entry the lazy table names. Rows are "module\tfile\tfile\n";
 * the module (a row's first field) is the runtime's business. NULL marks: no table. */
static fk_status lazy_marks(const struct fk_archive *archive, unsigned char **marks)
{
    unsigned char *table = NULL;
    size_t length = 0, i, start = 0;
    int first = 1;
    fk_status status = fk_ok();
    const struct fk_entry *lazy = NULL;
    *marks = NULL;
    for (i = 0; i < archive->count && lazy == NULL; i++) {
        if (archive->entries[i].kind == FK_KIND_LAZY) {
            lazy = &archive->entries[i];
        }
    }
    if (lazy == NULL) {
        return status;
    }
    status = fk_archive_read(archive, lazy, &table, &length);
    if (FK_FAILED(status)) {
        return status;
    }
    *marks = calloc(archive->count + 1, 1);
    if (*marks == NULL) {
        free(table);
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the lazy table");
    }
    for (i = 0; i < length && !FK_FAILED(status); i++) {
        unsigned char c = table[i];
        if (c != '\t' && c != '\n') {
            continue;
        }
        table[i] = '\0';
        if (!first) {
            const struct fk_entry *entry = fk_archive_find(archive, (const char *)table + start, 0);
            if (entry == NULL || !fk_archive_is_file_kind(entry->kind)) {
                status = fk_fail(FK_E_ARCHIVE, 0, "the lazy table names %s, which is not a file "
                                 "of the archive; the executable is damaged, rebuild it",
                                 (const char *)table + start);
            } else {
                (*marks)[entry - archive->entries] = 1;
            }
        }
        first = c == '\n';
        start = i + 1;
    }
    if (!FK_FAILED(status) && start != length) {
        status = fk_fail(FK_E_ARCHIVE, 0, "the lazy table does not end a row; the executable "
                         "is damaged, rebuild it");
    }
    free(table);
    if (FK_FAILED(status)) {
        free(*marks);
        *marks = NULL;
    }
    return status;
}

fk_status fk_extract_archive(const struct fk_context *ctx, const char *dest, int lazy)
{
    const struct fk_archive *archive = &ctx->archive;
    struct fk_sibling *sibling;
    unsigned char *marks = NULL;
    size_t *indexes;
    size_t i, count = 0;
    fk_status status = lazy ? lazy_marks(archive, &marks) : fk_ok();
    if (FK_FAILED(status)) {
        return status;
    }
    indexes = malloc((archive->count + 1) * sizeof *indexes);
    if (indexes == NULL) {
        free(marks);
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the extraction plan");
    }
    for (i = 0; i < archive->count; i++) {
        unsigned kind = archive->entries[i].kind;
        if ((fk_archive_is_file_kind(kind) || kind == FK_KIND_SYMLINK) &&
            (marks == NULL || !marks[i])) {
            indexes[count++] = i;
        }
    }
    free(marks);
    status = extract_parallel(archive, dest, indexes, count, 0);
    free(indexes);
    if (FK_FAILED(status)) {
        return status;
    }
    sibling = malloc(sizeof *sibling);
    if (sibling == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory");
    }
    sibling->name[0] = '\0';
    fk_archive_init(&sibling->archive);
    for (i = 0; i < archive->count && !FK_FAILED(status); i++) {
        const struct fk_entry *entry = &archive->entries[i];
        if (entry->kind == FK_KIND_EXTERNAL) {
            status = extract_external(ctx, sibling, entry, dest);
        }
    }
    fk_archive_close(&sibling->archive);
    free(sibling);
    return status;
}

fk_status fk_extract_entries(const struct fk_archive *archive, const char *dest,
                             const char *const *names, size_t count)
{
    size_t *indexes = malloc((count + 1) * sizeof *indexes);
    size_t i, found = 0;
    fk_status status = fk_ok();
    if (indexes == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the extraction plan");
    }
    for (i = 0; i < count; i++) {
        const struct fk_entry *entry = fk_archive_find(archive, names[i], 0);
        if (entry == NULL || !(fk_archive_is_file_kind(entry->kind) ||
                               entry->kind == FK_KIND_SYMLINK)) {
            status = fk_fail(FK_E_ARCHIVE, ENOENT, "%s is not a file of the archive", names[i]);
            break;
        }
        indexes[found++] = (size_t)(entry - archive->entries);
    }
    if (!FK_FAILED(status) && found > 0) {
        status = extract_parallel(archive, dest, indexes, found, 1);
    }
    free(indexes);
    return status;
}

/* Creates and locks a fresh folder <parent>/<prefix>XXXXXX (retrying if a sweeper removed it
 * between its creation and our lock). */
static fk_status make_locked_dir(char *out, size_t size, const char *parent, const char *prefix,
                                 fk_handle *lock)
{
    fk_status status = fk_ok();
    int attempt;
    int busy;
    for (attempt = 0; attempt < FK_ATTEMPTS; attempt++) {
        status = fk_platform_make_temp_dir(out, size, parent, prefix);
        if (FK_FAILED(status)) {
            return status;
        }
        status = fk_platform_lock_dir(out, 1, 1, lock, &busy);
        if (!FK_FAILED(status)) {
            return status;
        }
    }
    return status;
}

fk_status fk_extract_temp(struct fk_context *ctx, const char *tmp_base)
{
    fk_status status = make_locked_dir(ctx->top_dir, sizeof ctx->top_dir, tmp_base,
                                       FK_TEMP_PREFIX, &ctx->top_lock);
    if (FK_FAILED(status)) {
        return status;
    }
    fk_log_debug("extracting into %s", ctx->top_dir);
    status = fk_extract_archive(ctx, ctx->top_dir, 1);
    if (FK_FAILED(status)) {
        fk_platform_remove_tree(ctx->top_dir);
        fk_platform_unlock(ctx->top_lock);
        ctx->top_lock = FK_NO_HANDLE;
        ctx->top_dir[0] = '\0';
    }
    return status;
}

/* Removes `parent/name` if nobody holds a lock on it. */
static void sweep_one(const char *parent, const char *name)
{
    char path[FK_PATH_MAX];
    fk_handle lock;
    int busy = 0;
    if (FK_FAILED(fk_path_join(path, sizeof path, parent, name)) || !fk_platform_is_own_dir(path)) {
        return;
    }
    if (FK_FAILED(fk_platform_lock_dir(path, 0, 0, &lock, &busy)) || busy) {
        return;
    }
    fk_log_debug("sweeping leftover %s", path);
    fk_platform_remove_tree(path); /* still holding the lock: late lockers see it is gone */
    fk_platform_unlock(lock);
}

static void sweep_temp_visitor(void *user, const char *parent, const char *name)
{
    (void)user;
    if (strncmp(name, FK_TEMP_PREFIX, strlen(FK_TEMP_PREFIX)) == 0) {
        sweep_one(parent, name);
    }
}

void fk_extract_sweep_temp(const char *tmp_base)
{
    fk_platform_list_dir(tmp_base, sweep_temp_visitor, NULL);
}

struct fk_prune {
    const char *prefix; /* "<name>-" */
    const char *keep;   /* "<name>-<content id>" */
};

static int is_hex_run(const char *text, size_t length)
{
    size_t i;
    for (i = 0; i < length; i++) {
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static void prune_visitor(void *user, const char *parent, const char *name)
{
    const struct fk_prune *prune = user;
    size_t prefix = strlen(prune->prefix);
    const char *rest = name + prefix;
    size_t id_length = 2 * FK_TRAILER_CONTENT_ID_LEN;
    if (strncmp(name, prune->prefix, prefix) != 0 || strcmp(name, prune->keep) == 0 ||
        strlen(rest) < id_length || !is_hex_run(rest, id_length) ||
        !(rest[id_length] == '\0' || strncmp(rest + id_length, ".tmp", 4) == 0)) {
        return;
    }
    sweep_one(parent, name);
}

static fk_status cache_root(char *root, size_t size)
{
    char base[FK_PATH_MAX];
    const char *xdg = fk_platform_getenv("XDG_CACHE_HOME");
    const char *fix = "remove it or set XDG_CACHE_HOME to a folder of your own";
    fk_status status;
    if (xdg != NULL && xdg[0] == '/') {
        int written = snprintf(base, sizeof base, "%s", xdg);
        if (written < 0 || (size_t)written >= sizeof base) {
            return fk_fail(FK_E_ENV, ENAMETOOLONG, "XDG_CACHE_HOME is too long");
        }
    } else {
        char home[FK_PATH_MAX];
        status = fk_platform_home_dir(home, sizeof home);
        if (!FK_FAILED(status)) {
            status = fk_path_join(base, sizeof base, home, ".cache");
        }
        if (FK_FAILED(status)) {
            return status;
        }
    }
    status = fk_platform_make_dirs("", base + 1);
    if (!FK_FAILED(status)) {
        status = fk_path_join(root, size, base, "freezekit");
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_make_private_dir(root);
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_check_private_dir(root, fix);
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_check_exec_allowed(root, "set XDG_CACHE_HOME to a folder on a "
                                                      "filesystem that allows running programs");
    }
    return status;
}

/* One attempt: extract into a locked temporary sibling and rename it into place. */
static fk_status cache_create(struct fk_context *ctx, const char *root, const char *final,
                              const char *leaf, int *lost)
{
    char temp[FK_PATH_MAX];
    char prefix[FK_APP_NAME_MAX + 80];
    fk_handle lock = FK_NO_HANDLE;
    fk_status status;
    int written = snprintf(prefix, sizeof prefix, "%s.tmp", leaf);
    if (written < 0 || (size_t)written >= sizeof prefix) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "cache folder name %s is too long", leaf);
    }
    status = make_locked_dir(temp, sizeof temp, root, prefix, &lock);
    if (FK_FAILED(status)) {
        return status;
    }
    fk_log_debug("extracting into %s", temp);
    status = fk_extract_archive(ctx, temp, 0);
    if (!FK_FAILED(status)) {
        status = fk_platform_rename_dir(temp, final, lost);
    }
    if (FK_FAILED(status) || *lost) {
        fk_platform_remove_tree(temp); /* never leave a half-written cache behind */
        fk_platform_unlock(lock);
        return status;
    }
    ctx->top_lock = lock; /* the lock follows the folder through the rename */
    return fk_ok();
}

fk_status fk_extract_cache(struct fk_context *ctx)
{
    char root[FK_PATH_MAX];
    char leaf[FK_APP_NAME_MAX + 64];
    char prefix[FK_APP_NAME_MAX + 2];
    struct fk_prune prune;
    int attempt;
    int busy;
    int lost = 0;
    int written;
    fk_status status = cache_root(root, sizeof root);
    if (FK_FAILED(status)) {
        return status;
    }
    written = snprintf(prefix, sizeof prefix, "%s-", ctx->app_name);
    if (written < 0 || (size_t)written >= sizeof prefix) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "app name %s is too long", ctx->app_name);
    }
    written = snprintf(leaf, sizeof leaf, "%s-%s", ctx->app_name, ctx->archive.content_hex);
    if (written < 0 || (size_t)written >= sizeof leaf) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "app name %s is too long", ctx->app_name);
    }
    status = fk_path_join(ctx->top_dir, sizeof ctx->top_dir, root, leaf);
    for (attempt = 0; attempt < FK_ATTEMPTS && !FK_FAILED(status); attempt++) {
        if (fk_path_is_dir(ctx->top_dir)) {
            status = fk_platform_lock_dir(ctx->top_dir, 1, 1, &ctx->top_lock, &busy);
            if (!FK_FAILED(status)) {
                break;
            }
            status = fk_ok(); /* swept under us: try again */
            continue;
        }
        status = cache_create(ctx, root, ctx->top_dir, leaf, &lost);
        if (!FK_FAILED(status) && !lost) {
            break;
        }
    }
    if (!FK_FAILED(status) && ctx->top_lock == FK_NO_HANDLE) {
        status = fk_fail(FK_E_ENV, 0, "could not create or lock the cache folder %s after %d "
                         "attempts; remove it and start again", ctx->top_dir, FK_ATTEMPTS);
    }
    if (FK_FAILED(status)) {
        return status;
    }
    prune.prefix = prefix;
    prune.keep = leaf;
    fk_platform_list_dir(root, prune_visitor, &prune);
    return fk_ok();
}
