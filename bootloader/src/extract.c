/* onefile extraction: temp mode (private folder removed at exit) and cache mode (per-user,
 * content-addressed, created atomically). */
#include "extract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xxh64.h"

#define FK_TEMP_PREFIX "_MEIfk"
#define FK_ATTEMPTS 8

/* The sibling archive of the last external entry (MERGE), kept open across entries. */
struct fk_sibling {
    char name[FK_PATH_MAX];
    struct fk_archive archive;
};

/* A symlink target must be relative ('/'-separated, like entry names), each part ".", ".." or
 * a plain name (on Windows: no '\' nor ':', which would make "..\x" or "C:\x" out of one
 * part), and, resolved part by part from the link's folder, never leave the top directory nor
 * pass through a folder that is itself a symbolic link of the archive (another link could
 * point anywhere: "d/l -> .." then "m -> d/l/../../x" would climb out). A link to a link
 * (libfoo.so -> libfoo.so.1 -> ...) is fine: each one is checked the same way. */
static int is_safe_link(const struct fk_archive *archive, const char *name,
                        const unsigned char *target, size_t length)
{
    char resolved[FK_PATH_MAX]; /* where the walk is, relative to the top directory */
    const char *slash = strrchr(name, '/');
    size_t used = slash ? (size_t)(slash - name) : 0;
    size_t i, start = 0;
    if (length == 0 || target[0] == '/' || memchr(target, '\0', length) != NULL ||
        used >= sizeof resolved) {
        return 0;
    }
    memcpy(resolved, name, used);
    resolved[used] = '\0';
    for (i = 0; i <= length; i++) {
        size_t part;
        const char *text;
        if (i < length && target[i] != '/') {
            continue;
        }
        part = i - start;
        text = (const char *)target + start;
        start = i + 1;
        if (part == 0 || (part == 1 && text[0] == '.')) {
            continue;
        }
        if (used > 0 && fk_archive_find(archive, resolved, FK_KIND_SYMLINK) != NULL) {
            return 0; /* going through (or up from) a folder that is a link */
        }
        if (part == 2 && text[0] == '.' && text[1] == '.') {
            char *up = strrchr(resolved, '/');
            if (used == 0) {
                return 0; /* above the top directory */
            }
            used = up ? (size_t)(up - resolved) : 0;
            resolved[used] = '\0';
            continue;
        }
        if (!fk_path_is_plain_name(text, part) || used + 1 + part >= sizeof resolved) {
            return 0;
        }
        if (used > 0) {
            resolved[used++] = '/';
        }
        memcpy(resolved + used, text, part);
        used += part;
        resolved[used] = '\0';
    }
    return 1;
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

/* Writes a file entry to `dest`/`relative` as it decompresses through `decoder` (NULL: a
 * fresh one); a failure removes the partial file. `path` is the same file as one path (for
 * messages and the clean-up). */
static fk_status stream_to_file(const struct fk_archive *archive, const struct fk_entry *entry,
                                struct fk_decoder *decoder, const char *dest,
                                const char *relative, const char *path)
{
    struct file_sink sink;
    fk_status status = fk_platform_create_beneath(dest, relative, &sink.file);
    if (FK_FAILED(status)) {
        return status;
    }
    sink.path = path;
    status = fk_archive_decode(archive, entry, NULL, decoder, append_to_file, &sink);
    if (FK_FAILED(status)) {
        fk_platform_finish_file(sink.file, path, entry->mode, 1);
        return status;
    }
    return fk_platform_finish_file(sink.file, path, entry->mode ? entry->mode : 0644, 0);
}

static fk_status write_entry(const struct fk_archive *archive, const struct fk_entry *entry,
                             struct fk_decoder *decoder, const char *dest)
{
    char path[FK_PATH_MAX];
    unsigned char *data = NULL;
    size_t length = 0;
    fk_status status = fk_path_join(path, sizeof path, dest, entry->name);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    if (entry->kind != FK_KIND_SYMLINK) {
        status = stream_to_file(archive, entry, decoder, dest, entry->name, path);
        goto cleanup;
    }
    status = fk_archive_read(archive, entry, &data, &length);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    {
        char target[FK_PATH_MAX];
        if (length >= sizeof target || !is_safe_link(archive, entry->name, data, length)) {
            status = fk_fail(FK_E_ARCHIVE, 0, "symbolic link %s points outside the top "
                             "directory, through another link, or is malformed" FK_DAMAGED,
                             entry->name);
            goto cleanup;
        }
        memcpy(target, data, length);
        target[length] = '\0';
        status = fk_platform_symlink_beneath(target, dest, entry->name);
    }
cleanup:
    free(data);
    return status;
}

/* On demand (the app is running, other processes may share the folder): the file is written
 * under a private name and renamed into place, so nobody ever sees it half-written. */
static fk_status write_entry_atomic(const struct fk_archive *archive,
                                    const struct fk_entry *entry, struct fk_decoder *decoder,
                                    const char *dest)
{
    char path[FK_PATH_MAX];
    char partial[FK_PATH_MAX];
    char partial_name[FK_PATH_MAX];
    int lost = 0;
    int written;
    fk_status status = fk_path_join(path, sizeof path, dest, entry->name);
    if (FK_FAILED(status) || fk_path_exists(path)) {
        return status;
    }
    if (entry->kind == FK_KIND_SYMLINK) {
        return write_entry(archive, entry, decoder, dest);
    }
    written = snprintf(partial_name, sizeof partial_name, "%s.%lu.part", entry->name,
                       fk_platform_process_id());
    if (written < 0 || (size_t)written >= sizeof partial_name) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "entry name %s is too long", entry->name);
    }
    status = fk_path_join(partial, sizeof partial, dest, partial_name);
    if (!FK_FAILED(status)) {
        status = stream_to_file(archive, entry, decoder, dest, partial_name, partial);
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
    if (!fk_path_is_plain_name(name, strlen(name)) || strlen(name) >= sizeof sibling->name) {
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
    return write_entry(&sibling->archive, shared, NULL, dest); /* not under our digest */
}

/* A large file unpacked by several workers at once, one chunk (zstd frame) each: created
 * before the workers start, finished after they all stopped. */
struct split_file {
    const struct fk_entry *entry;
    char path[FK_PATH_MAX];    /* what is written */
    char final[FK_PATH_MAX];   /* where it ends (differs from path when atomic) */
    fk_handle file;
    struct fk_chunk *chunks;
    size_t count;
};

/* One piece of work: a whole entry (chunk == NULL) or one chunk of a split file. */
struct extract_unit {
    size_t entry;
    struct split_file *split;
    const struct fk_chunk *chunk;
    int digest;      /* not an entry: the payload digest (fk_extract_temp) */
    uint64_t weight; /* expected work: unit_weight */
};

/* The expected work of unpacking raw_size bytes from stored_size: decoding costs about 0.4 ns
 * per raw byte plus 2 ns per stored byte (zstd level 19: the two 2.7 MiB frames of libpython,
 * 929 and 639 KB stored, take 3.1 and 2.5 ms; base_library.zip, 0.56 MB from 58 KB, 0.3 ms)
 * and writing 0.2 ns per raw byte: raw bytes + 3 x stored bytes for zstd, raw bytes for
 * stored entries (a copy). */
static uint64_t unit_weight(const struct fk_entry *entry, uint64_t stored_size, uint64_t raw_size)
{
    return entry->compression == FK_COMPRESSION_ZSTD ? raw_size + 3 * stored_size : raw_size;
}

/* The units every worker takes from, heaviest first, one at a time: the work of a unit is
 * known only roughly (libpython's chunks of the same raw size took 4.8 and 4.2 ms), so a
 * worker that is done early takes the next one instead of idling at the end of a fixed plan. */
struct extract_queue {
    struct fk_monitor *monitor;
    struct extract_unit **units;
    size_t count;
    size_t next; /* under the monitor */
    int failed;  /* under the monitor: a worker failed, the others take nothing more */
    int trusted; /* fk_decoder_new */
    int atomic;  /* open_split */
    int keep_pages; /* fk_decoder_keep_pages: the few eager files of temp mode */
    int folder_pending; /* under the monitor: a worker is still making `dest` (extract_folder) */
};

/* fk_extract_temp's new private folder, made by the last worker while the caller's thread
 * checks the digest (a create took 0.1-1.2 ms of CPU here: ext4 without a journal skips the
 * recently freed inodes), instead of before any thread starts. */
struct extract_folder {
    char *dir; /* filled in: the `dest` of the workers */
    size_t size;
    const char *parent;
    const char *prefix;
    fk_handle *lock;
    int made;
};

/* One extraction worker's share of the units, its decoder, and what went wrong, if anything. */
struct extract_share {
    const struct fk_archive *archive;
    struct extract_queue *queue;
    struct fk_decoder *decoder; /* made by the worker on its first unit, freed at its end */
    fk_status (*write)(const struct fk_archive *, const struct fk_entry *, struct fk_decoder *,
                       const char *);
    const char *dest;
    struct extract_unit **units; /* the digest, if it is this share's (plan_shares) */
    size_t count;
    int digest_failed;        /* its digest unit found the payload damaged */
    struct fk_xxh64 *prefix;  /* the digest unit checks only the prefix, leaving its state here */
    const unsigned char *map; /* the file as the decoders read it, or NULL */
    struct extract_folder *folder; /* made first by this share's worker, or NULL */
    fk_status status;
};

struct chunk_sink {
    const struct split_file *split;
    uint64_t offset;
};

static fk_status write_chunk_piece(void *user, const void *data, size_t length)
{
    struct chunk_sink *sink = user;
    fk_status status = fk_platform_write_at(sink->split->file, sink->split->path, sink->offset,
                                            data, length);
    sink->offset += length;
    return status;
}

static void write_stamp(const struct fk_archive *archive, const char *dir);

static fk_status open_split(const struct fk_archive *archive, const char *dest, int atomic,
                            struct split_file *split);

/* The file of a split entry, created by the first worker that takes one of its chunks (not
 * before the workers start: on a filesystem that skips recently freed inodes a create took
 * 0.1-1.3 ms here). */
static fk_status open_split_once(const struct extract_share *share, struct split_file *split)
{
    fk_status status = fk_ok();
    fk_platform_monitor_enter(share->queue->monitor);
    if (split->file == FK_NO_HANDLE) {
        status = open_split(share->archive, share->dest, share->queue->atomic, split);
    }
    fk_platform_monitor_leave(share->queue->monitor);
    return status;
}

static fk_status make_locked_dir(char *out, size_t size, const char *parent, const char *prefix,
                                 fk_handle *lock);

/* Makes the share's folder (extract_folder) and lets the other workers start. */
static fk_status make_folder(struct extract_share *share)
{
    struct extract_folder *folder = share->folder;
    fk_status status = make_locked_dir(folder->dir, folder->size, folder->parent,
                                       folder->prefix, folder->lock);
    fk_platform_monitor_enter(share->queue->monitor);
    folder->made = !FK_FAILED(status);
    share->queue->failed |= FK_FAILED(status);
    share->queue->folder_pending = 0;
    fk_platform_monitor_notify(share->queue->monitor);
    fk_platform_monitor_leave(share->queue->monitor);
    return status;
}

/* Waits until the workers' folder is there: 1, or 0 when a worker failed. */
static int folder_ready(struct extract_queue *queue)
{
    int ready;
    fk_platform_monitor_enter(queue->monitor);
    while (queue->folder_pending && !queue->failed) {
        fk_platform_monitor_wait(queue->monitor);
    }
    ready = !queue->failed;
    fk_platform_monitor_leave(queue->monitor);
    return ready;
}

/* The next unit of the queue, or NULL (none left, or a worker failed); not before the
 * workers' folder is made. */
static const struct extract_unit *take_unit(struct extract_queue *queue, int failed)
{
    const struct extract_unit *unit = NULL;
    fk_platform_monitor_enter(queue->monitor);
    queue->failed |= failed;
    if (failed) {
        fk_platform_monitor_notify(queue->monitor); /* a worker waiting for the folder */
    }
    while (queue->folder_pending && !queue->failed) {
        fk_platform_monitor_wait(queue->monitor);
    }
    if (!queue->failed && queue->next < queue->count) {
        unit = queue->units[queue->next++];
    }
    fk_platform_monitor_leave(queue->monitor);
    return unit;
}

static void extract_share_run(void *user)
{
    struct extract_share *share = user;
    size_t i;
    if (share->folder != NULL) {
        share->status = make_folder(share);
    }
    /* the digest first: a damaged payload is reported as such, not as the decoding error it
     * may cause in a unit of this share; once it matched, this worker writes the verified
     * stamp (fk_extract_temp: the folder is removed anyway if another unit fails), which
     * took 0.25-0.35 ms on the critical path after the workers */
    for (i = 0; i < share->count && !FK_FAILED(share->status); i++) {
        if (share->units[i]->digest && share->prefix != NULL) {
            share->status = fk_archive_verify_prefix(share->archive, share->map, share->prefix);
            share->digest_failed = FK_FAILED(share->status);
        } else if (share->units[i]->digest) { /* the prefix's digest on the way, then all */
            struct fk_xxh64 state;
            share->status = fk_archive_verify_prefix(share->archive, share->map, &state);
            if (!FK_FAILED(share->status)) {
                share->status = fk_archive_verify_rest(share->archive, &state, 0);
            }
            share->digest_failed = FK_FAILED(share->status);
            if (!share->digest_failed && folder_ready(share->queue)) {
                write_stamp(share->archive, share->dest);
            }
        }
    }
    while (!FK_FAILED(share->status)) {
        const struct extract_unit *unit = take_unit(share->queue, 0);
        if (unit == NULL) {
            break;
        }
        if (share->decoder == NULL) { /* on this thread: the two are made at the same time */
            share->status = fk_decoder_new(&share->decoder, share->queue->trusted);
            if (FK_FAILED(share->status)) {
                break;
            }
            fk_decoder_use_map(share->decoder, share->map, share->archive->file_size);
            if (share->queue->keep_pages) { /* the file is unmapped as soon as we end */
                fk_decoder_keep_pages(share->decoder);
            }
        }
        if (unit->chunk == NULL) {
            share->status = share->write(share->archive, &share->archive->entries[unit->entry],
                                         share->decoder, share->dest);
        } else {
            struct chunk_sink sink;
            share->status = open_split_once(share, unit->split);
            if (FK_FAILED(share->status)) {
                break;
            }
            sink.split = unit->split;
            sink.offset = unit->chunk->raw_offset;
            share->status = fk_archive_decode(share->archive, unit->split->entry, unit->chunk,
                                              share->decoder, write_chunk_piece, &sink);
        }
    }
    if (FK_FAILED(share->status)) {
        (void)take_unit(share->queue, 1);
    }
    /* here, beside the other worker, not after both on the launcher's path (0.1-0.2 ms) */
    fk_decoder_free(share->decoder);
    share->decoder = NULL;
}

/* Puts `units` in `queue`, heaviest first, except the digest, which goes to the first share
 * (the caller's thread, while the last one makes the folder if it has to: extract_folder).
 * `order` and each share's list have room for `count` units. */
static void plan_shares(struct extract_unit *units, size_t count, struct extract_share *shares,
                        unsigned workers, struct extract_unit **order, struct extract_queue *queue)
{
    size_t i, j;
    unsigned k;
    for (k = 0; k < workers; k++) {
        shares[k].units = order + (size_t)(k + 1) * count;
        shares[k].queue = queue;
    }
    queue->units = order;
    queue->count = 0;
    for (i = 0; i < count; i++) {
        if (units[i].digest) {
            shares[0].units[shares[0].count++] = &units[i];
            continue;
        }
        /* insertion sort by weight, descending; the TOC is small */
        for (j = queue->count; j > 0 && order[j - 1]->weight < units[i].weight; j--) {
            order[j] = order[j - 1];
        }
        order[j] = &units[i];
        queue->count++;
    }
}

/* Creates the file of a split entry (under a private name when atomic). */
static fk_status open_split(const struct fk_archive *archive, const char *dest, int atomic,
                            struct split_file *split)
{
    fk_status status = fk_path_join(split->final, sizeof split->final, dest, split->entry->name);
    int written;
    if (FK_FAILED(status)) {
        return status;
    }
    char relative[FK_PATH_MAX];
    (void)archive;
    written = atomic ? snprintf(relative, sizeof relative, "%s.%lu.part", split->entry->name,
                                fk_platform_process_id())
                     : snprintf(relative, sizeof relative, "%s", split->entry->name);
    if (written < 0 || (size_t)written >= sizeof relative) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "entry name %s is too long", split->entry->name);
    }
    status = fk_path_join(split->path, sizeof split->path, dest, relative);
    if (!FK_FAILED(status)) {
        status = fk_platform_create_beneath(dest, relative, &split->file);
    }
    return status;
}

/* Closes a split file: sets its mode and, when atomic, renames it into place; on `failed`
 * (or any error) the file is removed. */
static fk_status close_split(struct split_file *split, int atomic, int failed)
{
    unsigned mode = split->entry->mode ? split->entry->mode : 0644;
    fk_status status = fk_platform_finish_file(split->file, split->path, mode, failed);
    int lost = 0;
    split->file = FK_NO_HANDLE;
    if (!failed && !FK_FAILED(status) && atomic) {
        status = fk_platform_rename_file(split->path, split->final, &lost);
    }
    return status;
}

/* The payload digest as a unit of the plan: hashing costs about a fifth of what decoding
 * and writing the same number of raw bytes cost (5.6 MB: 0.75 ms). */
static uint64_t digest_weight(const struct fk_archive *archive, const struct fk_xxh64 *prefix)
{
    return (prefix != NULL ? archive->prefix_length : archive->pkg_length) / 4;
}

/* Writes the entries `indexes[0..count)` below `dest` on one thread per core, at most
 * MAX_WORKERS; large chunked files are shared out chunk by chunk. With `atomic` each file is
 * written under a private name and renamed into place, and files already there are left
 * alone. `trusted`: this process verified the payload digest (see fk_decoder_new). With
 * `verify` the payload digest is one more unit, computed while the others decode (frame
 * checksums are then skipped as if trusted): the call fails with the digest's error when the
 * payload is damaged, and the caller must then use nothing written (fk_extract_temp removes
 * its private folder); when it matches, the digest's worker writes the verified stamp in
 * `dest`. With `prefix` too, that unit checks only the prefix digest and leaves the state
 * to go on from in `prefix` (fk_extract_temp), and writes no stamp. */
static fk_status extract_parallel(const struct fk_archive *archive, const char *dest,
                                  const size_t *indexes, size_t count, int atomic, int trusted,
                                  int verify, struct fk_xxh64 *prefix,
                                  struct extract_folder *folder)
{
    enum { MAX_WORKERS = 4 };
    struct extract_share shares[MAX_WORKERS];
    struct extract_queue queue;
    void *users[MAX_WORKERS];
    unsigned workers = fk_platform_cpu_count(), k;
    struct split_file *splits = NULL;
    struct extract_unit *units = NULL;
    struct extract_unit **order = NULL;
    size_t split_count = 0, unit_count = 0, unit_room = count, i, c;
    const unsigned char *map = NULL;
    fk_status status = fk_ok();
    unit_room += verify != 0;
    if (workers > MAX_WORKERS) {
        workers = MAX_WORKERS;
    }
    for (k = 0; k < MAX_WORKERS; k++) {
        shares[k].decoder = NULL;
    }
    queue.monitor = NULL;
    splits = calloc(count + 1, sizeof *splits);
    if (splits == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the extraction plan");
    }
    /* split files first: their chunk counts size the unit list */
    for (i = 0; i < count && !FK_FAILED(status); i++) {
        const struct fk_entry *entry = &archive->entries[indexes[i]];
        struct split_file *split = &splits[split_count];
        char path[FK_PATH_MAX];
        if (workers < 2 || !fk_archive_is_file_kind(entry->kind) ||
            entry->raw_size < FK_CHUNKED_MIN_SIZE) {
            continue;
        }
        if (atomic && !FK_FAILED(fk_path_join(path, sizeof path, dest, entry->name)) &&
            fk_path_exists(path)) {
            continue;
        }
        split->entry = entry;
        split->file = FK_NO_HANDLE;
        status = fk_archive_chunks(archive, entry, &split->chunks, &split->count);
        if (FK_FAILED(status) || split->count == 0) {
            continue;
        }
        unit_room += split->count;
        split_count++;
    }
    if (!FK_FAILED(status)) {
        units = calloc(unit_room + 1, sizeof *units);
        /* room for the sorted list and one full-length list per share */
        order = calloc((unit_room + 1) * (workers + 1), sizeof *order);
        if (units == NULL || order == NULL) {
            status = fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the extraction plan");
        }
    }
    for (i = 0; i < count && !FK_FAILED(status); i++) {
        const struct fk_entry *entry = &archive->entries[indexes[i]];
        size_t s;
        for (s = 0; s < split_count && splits[s].entry != entry; s++) {
        }
        if (s < split_count) {
            for (c = 0; c < splits[s].count; c++) {
                units[unit_count].entry = indexes[i];
                units[unit_count].split = &splits[s];
                units[unit_count].chunk = &splits[s].chunks[c];
                units[unit_count++].weight = unit_weight(entry, splits[s].chunks[c].stored_size,
                                                         splits[s].chunks[c].raw_size);
            }
        } else {
            units[unit_count].entry = indexes[i];
            units[unit_count++].weight = unit_weight(entry, entry->stored_size, entry->raw_size);
        }
    }
    if (!FK_FAILED(status) && verify) {
        units[unit_count].digest = 1;
        units[unit_count++].weight = digest_weight(archive, prefix);
    }
    if (!FK_FAILED(status) && unit_count > 0) {
        if ((size_t)workers > unit_count) {
            workers = (unsigned)unit_count;
        }
        /* the decoders read the stored bytes from one mapping of the file, unmapped below
         * (its pages would otherwise count in this process's memory while the app runs) */
        if (!fk_platform_map(archive->file, archive->file_size, &map)) {
            map = NULL;
        }
        queue.trusted = trusted || verify;
        queue.atomic = atomic;
        /* not cache mode's first start, which unpacks everything: its mapped pages would add
         * up to the whole payload (17 MB for numpy_app) before they are unmapped */
        queue.keep_pages = folder != NULL;
        queue.next = 0;
        queue.failed = 0;
        queue.folder_pending = folder != NULL;
        status = fk_platform_monitor_new(&queue.monitor);
        for (k = 0; k < workers && !FK_FAILED(status); k++) {
            shares[k].archive = archive;
            shares[k].write = atomic ? write_entry_atomic : write_entry;
            shares[k].dest = dest;
            shares[k].count = 0;
            shares[k].digest_failed = 0;
            shares[k].prefix = prefix;
            shares[k].map = map;
            shares[k].folder = k + 1 == workers ? folder : NULL;
            shares[k].status = fk_ok();
            users[k] = &shares[k];
        }
    }
    if (folder != NULL && !FK_FAILED(status) && unit_count == 0) { /* no worker makes it */
        status = make_locked_dir(folder->dir, folder->size, folder->parent, folder->prefix,
                                 folder->lock);
        folder->made = !FK_FAILED(status);
    }
    if (!FK_FAILED(status) && unit_count > 0) {
        plan_shares(units, unit_count, shares, workers, order, &queue);
        if (workers == 1) {
            extract_share_run(users[0]);
        } else {
            fk_platform_run_parallel(workers, extract_share_run, users);
        }
        for (k = 0; k < workers && !FK_FAILED(status); k++) {
            status = shares[k].status;
        }
        for (k = 0; k < workers; k++) {
            if (shares[k].digest_failed) {
                status = shares[k].status;
            }
        }
    }
    fk_platform_monitor_free(queue.monitor);
    if (map != NULL) {
        fk_platform_unmap(map, archive->file_size);
    }
    for (i = 0; i < split_count; i++) {
        if (splits[i].file != FK_NO_HANDLE) {
            fk_status closed = close_split(&splits[i], atomic, FK_FAILED(status));
            if (!FK_FAILED(status)) {
                status = closed;
            }
        }
    }
    for (i = 0; i <= split_count && i <= count; i++) {
        free(splits[i].chunks);
    }
    free(splits);
    free(units);
    free(order);
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
                                 "of the archive" FK_DAMAGED,
                                 (const char *)table + start);
            } else {
                (*marks)[entry - archive->entries] = 1;
            }
        }
        first = c == '\n';
        start = i + 1;
    }
    if (!FK_FAILED(status) && start != length) {
        status = fk_fail(FK_E_ARCHIVE, 0, "the lazy table does not end a row" FK_DAMAGED);
    }
    free(table);
    if (FK_FAILED(status)) {
        free(*marks);
        *marks = NULL;
    }
    return status;
}

/* The largest rest of the payload hashed after the extraction (extract_all). */
#define FK_DEFER_REST_MAX ((uint64_t)8 << 20)

/* fk_extract_archive; with `verify`, the payload digest is checked while the files decode
 * (extract_parallel) and the call fails if it does not match. With `prefix` too, only the
 * prefix's when everything read here lies in it (*deferred set; the rest is the caller's),
 * else the whole digest. With `folder`, `dest` is made on the way (folder->made). */
static fk_status extract_all(const struct fk_context *ctx, const char *dest, int lazy, int verify,
                             struct fk_xxh64 *prefix, int *deferred,
                             struct extract_folder *folder)
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
    /* a prefix must hold all that is read before the rest is checked (the writer puts it
     * there): else the trailer or the TOC is damaged; no prefix (0): the whole digest. The
     * rest is left to a thread only when it is small: its hash then delays the start-up
     * thread's decoding (fk_prefetch_start), and an app with large lazy libraries waits for
     * them (numpy_app, 15 MB after the prefix: 92.5 -> 93.6 ms; stdlib_app, 5.6 MB:
     * 96.4 -> 95.8; hello, 4.0 MB: 12.65 -> 12.44; whole starts, medians, SCHED_FIFO) */
    *deferred = verify && prefix != NULL && archive->prefix_length > 0 &&
                archive->pkg_length - archive->prefix_length <= FK_DEFER_REST_MAX;
    for (i = 0; i < archive->count + count && verify && archive->prefix_length > 0 &&
                !FK_FAILED(status);
         i++) {
        const struct fk_entry *entry = i < count ? &archive->entries[indexes[i]]
                                                 : &archive->entries[i - count];
        int read_here = i < count || entry->kind == FK_KIND_LAZY ||
                        entry->kind == FK_KIND_EXTERNAL;
        if (read_here && !fk_archive_in_prefix(archive, entry->data_offset, entry->stored_size)) {
            status = fk_fail(FK_E_ARCHIVE, 0, "entry %s lies outside the checked first %llu "
                             "bytes of the payload" FK_DAMAGED, entry->name,
                             (unsigned long long)archive->prefix_length);
        }
    }
    if (FK_FAILED(status)) {
        free(indexes);
        return status;
    }
    status = extract_parallel(archive, dest, indexes, count, 0, ctx->verified, verify,
                              *deferred ? prefix : NULL, folder);
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

fk_status fk_extract_archive(const struct fk_context *ctx, const char *dest, int lazy)
{
    int deferred;
    return extract_all(ctx, dest, lazy, 0, NULL, &deferred, NULL);
}

/* The verified-executable stamp: an empty file ".freezekit-verified-<16 hex>" in the top
 * folder, named by an XXH64 of the executable's path, its size, its change time (POSIX
 * ctime, which no user can set back and which every write, copy over it or rename onto it
 * moves; Windows: last write time) and the trailer's payload digest. A process writes it
 * after the executable's payload digest matched, into the folder it unpacked or checked.
 *
 * Cache mode: a later start of the same, unchanged executable finds it and does not read the
 * whole payload again (1.2 ms of the 11 ms warm start of hello): what it runs comes from the
 * folder, unpacked from a verified payload and checked against its marker; what it still
 * reads from the executable (bootstrap, scripts, PYZ modules) keeps its own checks (CRC-32,
 * zstd checksums, the PYZ index CRC). A copy, a new download or any change to the executable
 * gives another name: it is verified again first.
 * Temp mode: the child the launcher starts (and workers of the app) unpack lazy files from
 * the executable its parent verified, without the zstd frames' checksums. */
#define FK_CACHE_STAMP ".freezekit-verified-"

static int stamp_name(const struct fk_archive *archive, char *out, size_t size)
{
    struct fk_file_info info;
    struct fk_xxh64 hash;
    unsigned char fields[24];
    unsigned i;
    int written;
    fk_platform_file_info(archive->path, &info);
    if (info.kind != FK_FILE_REGULAR) {
        return 0;
    }
    for (i = 0; i < 8; i++) {
        fields[i] = (unsigned char)(info.size >> (8 * i));
        fields[8 + i] = (unsigned char)((uint64_t)info.changed >> (8 * i));
        fields[16 + i] = (unsigned char)(archive->payload_xxh64 >> (8 * i));
    }
    fk_xxh64_init(&hash, 0);
    fk_xxh64_update(&hash, archive->path, strlen(archive->path) + 1);
    fk_xxh64_update(&hash, fields, sizeof fields);
    written = snprintf(out, size, "%s%016llx", FK_CACHE_STAMP,
                       (unsigned long long)fk_xxh64_digest(&hash));
    return written > 0 && (size_t)written < size;
}

static int has_stamp(const struct fk_archive *archive, const char *dir)
{
    char name[64];
    char path[FK_PATH_MAX];
    struct fk_file_info info;
    if (!stamp_name(archive, name, sizeof name) ||
        FK_FAILED(fk_path_join(path, sizeof path, dir, name))) {
        return 0;
    }
    fk_platform_file_info(path, &info);
    return info.kind == FK_FILE_REGULAR;
}

/* Best effort: a folder we cannot write in only costs the next start a payload check. */
static void write_stamp(const struct fk_archive *archive, const char *dir)
{
    char name[64];
    char path[FK_PATH_MAX];
    fk_handle file;
    if (stamp_name(archive, name, sizeof name) &&
        !FK_FAILED(fk_path_join(path, sizeof path, dir, name)) &&
        !FK_FAILED(fk_platform_create_beneath(dir, name, &file))) {
        (void)fk_platform_finish_file(file, path, 0444, 0);
    }
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
        status = extract_parallel(archive, dest, indexes, found, 1, has_stamp(archive, dest), 0,
                                  NULL, NULL);
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

#ifndef _WIN32
static fk_status start_digest(struct fk_context *ctx, const struct fk_xxh64 *prefix);
#endif

/* Temp mode checks the payload digest (when fk_topdir_decide left it) while it unpacks: one
 * more job of the extraction workers, instead of a serial pass before them. This keeps
 * "integrity before anything runs": what is decoded meanwhile only goes into the new private
 * folder (0700, locked, ours), nothing is loaded, run or handed out from it before the digest
 * matched, and a mismatch removes the folder and is the error. The decoders skip the zstd
 * frame checksums as in a checked process: the digest covers every stored byte they read,
 * and zstd decodes any input safely within the sizes given (a damaged frame gives wrong
 * bytes or an error, never a write outside the output). */
fk_status fk_extract_temp(struct fk_context *ctx, const char *tmp_base)
{
    int verify = !ctx->verified;
    int deferred = 0;
#ifndef _WIN32
    struct fk_xxh64 prefix;
#endif
    struct extract_folder folder; /* made by an extraction thread */
    fk_status status;
    folder.dir = ctx->top_dir;
    folder.size = sizeof ctx->top_dir;
    folder.parent = tmp_base;
    folder.prefix = FK_TEMP_PREFIX;
    folder.lock = &ctx->top_lock;
    folder.made = 0;
#ifdef _WIN32
    /* the launcher starts the app as its child, which trusts the checked folder: the whole
     * digest first */
    status = extract_all(ctx, ctx->top_dir, 1, verify, NULL, &deferred, &folder);
#else
    status = extract_all(ctx, ctx->top_dir, 1, verify, &prefix, &deferred, &folder);
    if (!FK_FAILED(status) && deferred) {
        status = start_digest(ctx, &prefix); /* the rest, while Python starts */
        verify = 0; /* ctx->verified once it matched: fk_extract_digest_wait */
    }
#endif
    if (FK_FAILED(status) && verify && status.code == FK_E_ARCHIVE) {
        /* damage found before the digest job ran (the lazy table, a chunk index): reported
         * as the damaged payload it is, the same line as a serial check gives */
        fk_status digest = fk_archive_verify(&ctx->archive);
        if (FK_FAILED(digest)) {
            status = digest;
        }
    }
    if (!FK_FAILED(status) && verify) {
        ctx->verified = 1;
    }
    if (!FK_FAILED(status) && ctx->verified && !verify) { /* else the digest's worker did */
        write_stamp(&ctx->archive, ctx->top_dir);
    }
    if (FK_FAILED(status) && folder.made) {
        fk_platform_remove_tree(ctx->top_dir);
        fk_platform_unlock(ctx->top_lock);
    }
    if (FK_FAILED(status)) {
        ctx->top_lock = FK_NO_HANDLE;
        ctx->top_dir[0] = '\0';
    } else {
        fk_log_debug("extracted into %s", ctx->top_dir);
    }
    return status;
}

/* ---- The payload digest after the prefix (fk_extract_temp, POSIX) ----
 *
 * The extraction threads checked the prefix digest (what they read and what the launcher
 * reads before Python runs: format.py "Prefix"); this thread goes on from the digest's state
 * over the rest (the code and the lazy files: 4.0 of hello's 5.7 MB) while libpython loads
 * and the interpreter initialises, on the core the extraction no longer uses. Nothing from
 * outside the prefix is used before it matched: fk_run waits for it before Python runs
 * anything but its own initialisation (no bootstrap, PYZ, script or lazy file before), and
 * the start-up thread's files are put in place only after it (fk_digest_wait). */
struct fk_digest {
    const struct fk_archive *archive;
    char dest[FK_PATH_MAX];
    struct fk_xxh64 state;
    struct fk_monitor *monitor;
    struct fk_thread thread;
    unsigned long pid; /* the process whose thread it is (a fork's copy has none) */
    int started, joined;
    int done; /* under the monitor */
    fk_status status;
};

#ifndef _WIN32 /* Windows checks the whole payload before its child starts */
static void digest_thread(void *user)
{
    struct fk_digest *digest = user;
    fk_status status = fk_archive_verify_rest(digest->archive, &digest->state, 1);
    if (!FK_FAILED(status)) {
        write_stamp(digest->archive, digest->dest);
    }
    fk_platform_monitor_enter(digest->monitor);
    digest->status = status;
    digest->done = 1;
    fk_platform_monitor_notify(digest->monitor);
    fk_platform_monitor_leave(digest->monitor);
}

static fk_status start_digest(struct fk_context *ctx, const struct fk_xxh64 *prefix)
{
    struct fk_digest *digest = calloc(1, sizeof *digest);
    fk_status status = digest != NULL ? fk_platform_monitor_new(&digest->monitor)
                                      : fk_fail(FK_E_MEMORY, ENOMEM, "out of memory");
    if (FK_FAILED(status)) {
        free(digest);
        return status;
    }
    digest->archive = &ctx->archive;
    memcpy(digest->dest, ctx->top_dir, sizeof digest->dest);
    digest->state = *prefix;
    digest->pid = fk_platform_process_id();
    digest->thread.work = digest_thread;
    digest->thread.user = digest;
    ctx->digest = digest;
    digest->started = fk_platform_thread_start(&digest->thread);
    if (!digest->started) {
        digest_thread(digest); /* no thread: here and now */
    }
    return fk_ok();
}
#endif

fk_status fk_digest_wait(struct fk_digest *digest)
{
    fk_status status;
    if (digest == NULL) {
        return fk_ok();
    }
    fk_platform_monitor_enter(digest->monitor);
    while (!digest->done) {
        fk_platform_monitor_wait(digest->monitor);
    }
    status = digest->status;
    fk_platform_monitor_leave(digest->monitor);
    return status;
}

fk_status fk_extract_digest_wait(struct fk_context *ctx)
{
    struct fk_digest *digest = ctx->digest;
    fk_status status;
    if (digest != NULL && digest->pid != fk_platform_process_id()) {
        return fk_ok(); /* a fork of the app: only made after the wait passed (its copy of the
                         * monitor may have been held by the start-up thread at the fork) */
    }
    status = fk_digest_wait(digest);
    if (digest != NULL && digest->started && !digest->joined &&
        digest->pid == fk_platform_process_id()) {
        fk_platform_thread_join(&digest->thread); /* it has ended: no thread left to the app */
        digest->joined = 1;
    }
    if (digest != NULL && !FK_FAILED(status)) {
        ctx->verified = 1;
    }
    return status;
}

void fk_extract_digest_free(struct fk_context *ctx)
{
    struct fk_digest *digest = ctx->digest;
    if (digest == NULL || digest->pid != fk_platform_process_id()) {
        return; /* none, or a forked copy: the process that made it frees it */
    }
    (void)fk_extract_digest_wait(ctx);
    fk_platform_monitor_free(digest->monitor);
    free(digest);
    ctx->digest = NULL;
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

/* The payload digest, once per process, before anything is unpacked (topdir.c leaves it to
 * cache mode, which may find the stamp instead). */
static fk_status verify_once(struct fk_context *ctx)
{
    fk_status status = fk_ok();
    if (!ctx->verified) {
        status = fk_archive_verify(&ctx->archive);
        ctx->verified = !FK_FAILED(status);
    }
    return status;
}

/* The per-user cache folder (XDG_CACHE_HOME, else the platform's), not created here. */
static fk_status cache_base(char *base, size_t size)
{
    fk_status status = fk_platform_getenv_path("XDG_CACHE_HOME", base, size);
    if (!FK_FAILED(status) && !fk_path_is_absolute(base, NULL)) {
        status = fk_platform_cache_home(base, size);
    }
    return status;
}

/* <base>/freezekit, made private if missing and checked. */
static fk_status cache_root(const char *base, char *root, size_t size)
{
    const char *fix = "remove it or set XDG_CACHE_HOME to a folder of your own";
    fk_status status = fk_path_make_dirs(base);
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

/* Cache mode's completion marker, written last into a fully extracted folder:
 * "freezekit-cache 1 <content id> <entries> <bytes>\n" (the file, link and external entries
 * and the sum of the files' sizes). A folder is reused only when the marker is there and
 * every entry still is what was unpacked: a file of its size, a link, and nothing changed
 * (POSIX: status change time; Windows: write time) after the marker was written. */
#define FK_CACHE_MARKER ".freezekit-complete"

static void marker_text(const struct fk_archive *archive, char *out, size_t size)
{
    uint64_t entries = 0, bytes = 0;
    size_t i;
    for (i = 0; i < archive->count; i++) {
        const struct fk_entry *entry = &archive->entries[i];
        if (fk_archive_is_file_kind(entry->kind)) {
            bytes += entry->raw_size;
        }
        entries += fk_archive_is_file_kind(entry->kind) || entry->kind == FK_KIND_SYMLINK ||
                   entry->kind == FK_KIND_EXTERNAL;
    }
    snprintf(out, size, "freezekit-cache 1 %s %llu %llu\n", archive->content_hex,
             (unsigned long long)entries, (unsigned long long)bytes);
}

static fk_status write_marker(const struct fk_archive *archive, const char *dir)
{
    char text[256];
    char path[FK_PATH_MAX];
    fk_handle file;
    fk_status status = fk_path_join(path, sizeof path, dir, FK_CACHE_MARKER);
    marker_text(archive, text, sizeof text);
    if (!FK_FAILED(status)) {
        status = fk_platform_create_beneath(dir, FK_CACHE_MARKER, &file);
    }
    if (FK_FAILED(status)) {
        return status;
    }
    status = fk_platform_append(file, path, text, strlen(text));
    return fk_platform_finish_file(file, path, 0444, FK_FAILED(status));
}

/* Whether the cache folder `dir` is complete and unchanged; `why` says what is not. */
static int cache_is_intact(const struct fk_archive *archive, const char *dir, char *why,
                           size_t why_size)
{
    char expected[256];
    char found[256];
    char path[FK_PATH_MAX];
    struct fk_file_info marker;
    fk_handle file = FK_NO_HANDLE;
    uint64_t size = 0;
    size_t i;
    marker_text(archive, expected, sizeof expected);
    if (FK_FAILED(fk_path_join(path, sizeof path, dir, FK_CACHE_MARKER))) {
        snprintf(why, why_size, "path too long");
        return 0;
    }
    fk_platform_file_info(path, &marker);
    if (marker.kind != FK_FILE_REGULAR || marker.size != strlen(expected) ||
        FK_FAILED(fk_platform_open_read(path, &file, &size)) ||
        FK_FAILED(fk_platform_read_at(file, path, 0, found, (size_t)marker.size)) ||
        memcmp(found, expected, (size_t)marker.size) != 0) {
        fk_platform_close(file);
        snprintf(why, why_size, "no valid completion marker");
        return 0;
    }
    fk_platform_close(file);
    for (i = 0; i < archive->count; i++) {
        const struct fk_entry *entry = &archive->entries[i];
        struct fk_file_info info;
        int want;
        if (fk_archive_is_file_kind(entry->kind)) {
            want = FK_FILE_REGULAR;
        } else if (entry->kind == FK_KIND_SYMLINK) {
            want = FK_FILE_LINK;
        } else if (entry->kind == FK_KIND_EXTERNAL) {
            want = FK_FILE_MISSING; /* anything but missing */
        } else {
            continue;
        }
        if (FK_FAILED(fk_path_join(path, sizeof path, dir, entry->name))) {
            snprintf(why, why_size, "path too long");
            return 0;
        }
        fk_platform_file_info(path, &info);
        if (want == FK_FILE_MISSING ? info.kind == FK_FILE_MISSING
                                    : (info.kind != want || info.changed > marker.changed ||
                                       (want == FK_FILE_REGULAR &&
                                        info.size != entry->raw_size))) {
            snprintf(why, why_size, "%s is missing or was changed", entry->name);
            return 0;
        }
    }
    return 1;
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
        status = write_marker(&ctx->archive, temp); /* last: the folder is complete */
    }
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

/* Renames the damaged cache folder `dir` to "<dir>.tmpbad<pid>" (a name the pruning
 * sweeps); a folder that cannot be moved is an error naming it. */
static fk_status set_aside(const char *dir, const char *why)
{
    char aside[FK_PATH_MAX];
    int lost = 0;
    fk_status status;
    int written = snprintf(aside, sizeof aside, "%s.tmpbad%lu", dir, fk_platform_process_id());
    if (written < 0 || (size_t)written >= sizeof aside) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "cache folder %s is damaged (%s); delete it",
                       dir, why);
    }
    status = fk_platform_rename_dir(dir, aside, &lost);
    if (FK_FAILED(status) && fk_path_is_dir(dir)) {
        return fk_fail(FK_E_ENV, status.err, "cache folder %s is damaged (%s) and cannot be "
                       "replaced: %s; delete the folder %s", dir, why, status.message, dir);
    }
    return fk_ok(); /* moved, or another process moved it first */
}

fk_status fk_extract_cache(struct fk_context *ctx)
{
    char base[FK_PATH_MAX];
    char root[FK_PATH_MAX];
    char leaf[FK_APP_NAME_MAX + 64];
    char prefix[FK_APP_NAME_MAX + 2];
    char why[FK_PATH_MAX + 64];
    struct fk_prune prune;
    int attempt;
    int busy;
    int lost = 0;
    int written;
    fk_status status = cache_base(base, sizeof base);
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
    /* no folder to reuse: the payload is checked before anything is made */
    status = fk_path_join(root, sizeof root, base, "freezekit");
    if (!FK_FAILED(status)) {
        status = fk_path_join(ctx->top_dir, sizeof ctx->top_dir, root, leaf);
    }
    if (!FK_FAILED(status) && !fk_path_is_dir(ctx->top_dir)) {
        status = verify_once(ctx);
    }
    if (!FK_FAILED(status)) {
        status = cache_root(base, root, sizeof root);
    }
    for (attempt = 0; attempt < FK_ATTEMPTS && !FK_FAILED(status); attempt++) {
        if (fk_path_is_dir(ctx->top_dir)) {
            status = fk_platform_lock_dir(ctx->top_dir, 1, 1, &ctx->top_lock, &busy);
            if (FK_FAILED(status)) {
                status = fk_ok(); /* swept under us: try again */
                continue;
            }
            if (cache_is_intact(&ctx->archive, ctx->top_dir, why, sizeof why)) {
                if (!ctx->verified && has_stamp(&ctx->archive, ctx->top_dir)) {
                    fk_log_debug("cache folder %s: this executable was verified", ctx->top_dir);
                    break;
                }
                status = verify_once(ctx);
                if (FK_FAILED(status)) {
                    fk_platform_unlock(ctx->top_lock);
                    ctx->top_lock = FK_NO_HANDLE;
                    return status;
                }
                write_stamp(&ctx->archive, ctx->top_dir);
                break;
            }
            /* Damaged (a deleted or changed file, an unfinished copy): move it aside, where
             * the pruning below removes it once nobody uses it, and extract again. */
            fk_log_debug("cache folder %s: %s; extracting again", ctx->top_dir, why);
            status = set_aside(ctx->top_dir, why);
            fk_platform_unlock(ctx->top_lock);
            ctx->top_lock = FK_NO_HANDLE;
            continue;
        }
        status = verify_once(ctx);
        if (!FK_FAILED(status)) {
            status = cache_create(ctx, root, ctx->top_dir, leaf, &lost);
        }
        if (!FK_FAILED(status) && !lost) {
            write_stamp(&ctx->archive, ctx->top_dir);
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

/* ---- Prefetch: the start-up set unpacked on a background thread while Python starts ----
 *
 * onefile temp mode unpacks the lazy files (extension modules and the libraries only they
 * need) on first import, while Python waits. The lazy table's "+module" rows (format.py) name
 * the modules the app imports at start, in that order: their files are the start-up set. The
 * process that runs Python unpacks it on one background thread from before libpython is
 * loaded, so the decoding overlaps the interpreter's start on the second core.
 *
 * Every lazy file of the archive has a slot here, and every unpack of the process goes
 * through it (fk_prefetch_unpack; the GIL is released meanwhile, so two Python threads may
 * ask at once): a file is "units" pieces of work (its chunks, or the whole file), claimed one
 * at a time under the monitor and done outside it. A caller asking for a file takes its
 * unclaimed pieces itself and waits for the ones in progress; the background thread takes
 * the pieces of files callers wait for first (so a caller never decodes alone while a core is
 * idle), then the start-up set in order, then ends; a caller with work to share (several files
 * or a chunked one) starts it again, and fk_prefetch_stop stops it between two decoded pieces.
 * A failure is kept with its file and given to whoever needs the file. Files are written
 * under a private name and renamed into place (like fk_extract_entries), so other processes
 * using the folder never see a partial file. */

enum { PF_NEW, PF_STARTED, PF_DONE };
enum { PF_THREAD_NONE, PF_THREAD_RUNNING, PF_THREAD_ENDED };
enum { PF_BY_THREAD = 1, PF_BY_CALLER = 2, PF_PRESENT = 4 };

struct prefetch_file {
    const struct fk_entry *entry;
    int state;                 /* PF_* */
    int by;                    /* PF_BY_* of whoever wrote it */
    size_t wanted;             /* callers waiting for it */
    struct split_file *split;  /* chunked: the file being written, else NULL */
    struct fk_chunk *chunks;
    size_t units, claimed, finished;
    fk_status status;          /* the first failure, else ok */
};

struct fk_prefetch {
    const struct fk_archive *archive;
    char dest[FK_PATH_MAX];
    unsigned long pid; /* the process that made it (a fork's copy of it has no thread) */
    int trusted;
    struct fk_digest *digest; /* the payload digest's rest: matched before a file is in place */
    struct fk_monitor *monitor;
    struct prefetch_file *files; /* one per lazy file, in TOC order */
    size_t count;
    size_t *order; /* the start-up set: indexes into files, in the order the app needs them */
    size_t *rows;  /* for each of them, the "+" row (module) it first appears in */
    size_t order_count;
    size_t cursor;          /* the thread's place in `order` */
    volatile int stopping;  /* set under the monitor; read unlocked between decoded pieces */
    struct fk_thread thread;
    int thread_state; /* PF_THREAD_*; ENDED: it found nothing to do, not joined yet */
    size_t callers;
    struct fk_decoder *spare; /* a caller's decoder kept for the next while the thread runs */
};

static struct prefetch_file *prefetch_slot(struct fk_prefetch *pf, const struct fk_entry *entry)
{
    size_t low = 0, high = pf->count;
    while (low < high) { /* files are in TOC order, as entries are */
        size_t middle = low + (high - low) / 2;
        if (pf->files[middle].entry == entry) {
            return &pf->files[middle];
        }
        if (pf->files[middle].entry < entry) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return NULL;
}

/* Reads the lazy table into pf->files (every file it names) and pf->order (the files of its
 * "+" rows, first appearance first) with pf->rows. */
static fk_status prefetch_read_table(struct fk_prefetch *pf, const struct fk_entry *lazy)
{
    const struct fk_archive *archive = pf->archive;
    unsigned char *table = NULL;
    unsigned char *marks = NULL;
    size_t length = 0, i, start = 0, field = 0;
    int row_startup = 0;
    size_t row = 0; /* "+" rows so far */
    fk_status status = fk_archive_read(archive, lazy, &table, &length);
    if (FK_FAILED(status)) {
        return status;
    }
    marks = calloc(archive->count + 1, 1); /* 1: lazy, 2: lazy and in the start-up set */
    pf->order = malloc((archive->count + 1) * sizeof *pf->order);
    pf->rows = malloc((archive->count + 1) * sizeof *pf->rows);
    if (marks == NULL || pf->order == NULL || pf->rows == NULL) {
        status = fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the lazy table");
    }
    /* which entries are lazy, and the start-up order as entry indexes */
    for (i = 0; i < length && !FK_FAILED(status); i++) {
        const struct fk_entry *entry;
        unsigned char c = table[i];
        size_t index;
        if (c != '\t' && c != '\n') {
            continue;
        }
        if (field == 0) {
            row_startup = table[start] == '+';
            row += row_startup;
        } else {
            table[i] = '\0';
            entry = fk_archive_find(archive, (const char *)table + start, 0);
            if (entry == NULL || !fk_archive_is_file_kind(entry->kind)) {
                status = fk_fail(FK_E_ARCHIVE, 0, "the lazy table names %s, which is not a "
                                 "file of the archive" FK_DAMAGED, (const char *)table + start);
                break;
            }
            index = (size_t)(entry - archive->entries);
            if (row_startup && !(marks[index] & 2)) {
                pf->rows[pf->order_count] = row;
                pf->order[pf->order_count++] = index;
                marks[index] |= 2;
            }
            marks[index] |= 1;
        }
        field = c == '\n' ? 0 : field + 1;
        start = i + 1;
    }
    if (!FK_FAILED(status) && start != length) {
        status = fk_fail(FK_E_ARCHIVE, 0, "the lazy table does not end a row" FK_DAMAGED);
    }
    free(table);
    for (i = 0; i < archive->count && !FK_FAILED(status); i++) {
        pf->count += marks[i] != 0;
    }
    if (!FK_FAILED(status)) {
        pf->files = calloc(pf->count + 1, sizeof *pf->files);
        if (pf->files == NULL) {
            status = fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the lazy table");
        }
    }
    if (!FK_FAILED(status)) {
        size_t n = 0;
        for (i = 0; i < archive->count; i++) {
            if (marks[i]) {
                pf->files[n].entry = &archive->entries[i];
                pf->files[n++].status = fk_ok();
            }
        }
        for (i = 0; i < pf->order_count; i++) { /* entry index -> file index */
            pf->order[i] = (size_t)(prefetch_slot(pf, &archive->entries[pf->order[i]]) -
                                    pf->files);
        }
    }
    free(marks);
    return status;
}

/* Under the monitor, for a PF_NEW file: done if it is there already (another process of the
 * app unpacked it), else its pieces and, when chunked, its file opened under a private
 * name. */
static void prefetch_prepare(struct fk_prefetch *pf, struct prefetch_file *file)
{
    char path[FK_PATH_MAX];
    size_t count = 0;
    fk_status status = fk_path_join(path, sizeof path, pf->dest, file->entry->name);
    file->state = PF_STARTED;
    file->units = 1;
    if (!FK_FAILED(status) && fk_path_exists(path)) {
        file->by = PF_PRESENT;
        file->state = PF_DONE;
        return;
    }
    if (!FK_FAILED(status) && file->entry->raw_size >= FK_CHUNKED_MIN_SIZE) {
        status = fk_archive_chunks(pf->archive, file->entry, &file->chunks, &count);
    }
    if (!FK_FAILED(status) && count > 0) {
        file->split = calloc(1, sizeof *file->split);
        if (file->split == NULL) {
            status = fk_fail(FK_E_MEMORY, ENOMEM, "out of memory");
        } else {
            file->split->entry = file->entry;
            file->split->file = FK_NO_HANDLE;
            status = open_split(pf->archive, pf->dest, 1, file->split);
            file->units = count;
        }
    }
    if (FK_FAILED(status)) {
        free(file->split); /* not created: nothing to remove */
        file->split = NULL;
        file->status = status;
        file->state = PF_DONE;
    }
}

static int prefetch_claimable(const struct prefetch_file *file)
{
    return file->state == PF_NEW || (file->state == PF_STARTED && file->claimed < file->units);
}

struct prefetch_sink {
    struct fk_prefetch *pf;
    const struct prefetch_file *file;
    fk_handle handle;
    const char *path;
    uint64_t offset;
    int append;
};

static fk_status prefetch_write_piece(void *user, const void *data, size_t length)
{
    struct prefetch_sink *sink = user;
    fk_status status;
    if (sink->pf->stopping) {
        return fk_fail(FK_E_IO, 0, "%s was not unpacked: the app was ending",
                       sink->file->entry->name);
    }
    status = sink->append ? fk_platform_append(sink->handle, sink->path, data, length)
                          : fk_platform_write_at(sink->handle, sink->path, sink->offset, data,
                                                 length);
    sink->offset += length;
    return status;
}

/* A whole (unchunked) file: written under a private name, renamed into place. */
static fk_status prefetch_write_whole(struct fk_prefetch *pf, const struct prefetch_file *file,
                                      struct fk_decoder *decoder)
{
    const struct fk_entry *entry = file->entry;
    char path[FK_PATH_MAX];
    char partial[FK_PATH_MAX];
    char partial_name[FK_PATH_MAX];
    struct prefetch_sink sink;
    int lost = 0;
    int written = snprintf(partial_name, sizeof partial_name, "%s.%lu.part", entry->name,
                           pf->pid);
    fk_status status = fk_path_join(path, sizeof path, pf->dest, entry->name);
    if (written < 0 || (size_t)written >= sizeof partial_name) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "entry name %s is too long", entry->name);
    }
    if (!FK_FAILED(status)) {
        status = fk_path_join(partial, sizeof partial, pf->dest, partial_name);
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_create_beneath(pf->dest, partial_name, &sink.handle);
    }
    if (FK_FAILED(status)) {
        return status;
    }
    sink.pf = pf;
    sink.file = file;
    sink.path = partial;
    sink.offset = 0;
    sink.append = 1;
    status = fk_archive_decode(pf->archive, entry, NULL, decoder, prefetch_write_piece, &sink);
    if (FK_FAILED(status)) {
        fk_platform_finish_file(sink.handle, partial, entry->mode, 1);
        return status;
    }
    status = fk_platform_finish_file(sink.handle, partial, entry->mode ? entry->mode : 0644, 0);
    if (!FK_FAILED(status)) {
        status = fk_digest_wait(pf->digest); /* decoded from bytes it covers */
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_rename_file(partial, path, &lost);
    }
    return status;
}

/* The decoders here keep the mapped pages of a piece smaller than this (stored) until the
 * mapping goes (prefetch_unmap: the thread's end, a caller's return), and give back those of a
 * larger one after it. Giving pages back (madvise) while the app runs interrupts its thread on
 * the other core (a TLB shoot-down); stdlib_app's start-up thread decodes ~30 small files while
 * Python imports, together a few hundred KB of stored bytes. */
#define PF_KEEP_MAX (256u << 10)

/* Does piece `unit` of `file` (claimed by this thread), without the monitor. */
static fk_status prefetch_run(struct fk_prefetch *pf, const struct prefetch_file *file,
                              size_t unit, struct fk_decoder *decoder, const unsigned char *map)
{
    struct prefetch_sink sink;
    const struct fk_entry *entry = file->entry;
    uint64_t offset = pf->archive->pkg_offset + entry->data_offset;
    uint64_t stored = entry->stored_size;
    fk_status status;
    if (file->split == NULL) {
        status = prefetch_write_whole(pf, file, decoder);
    } else {
        sink.pf = pf;
        sink.file = file;
        sink.handle = file->split->file;
        sink.path = file->split->path;
        sink.offset = file->chunks[unit].raw_offset;
        sink.append = 0;
        offset += file->chunks[unit].stored_offset;
        stored = file->chunks[unit].stored_size;
        status = fk_archive_decode(pf->archive, entry, &file->chunks[unit], decoder,
                                   prefetch_write_piece, &sink);
    }
    if (map != NULL && stored >= PF_KEEP_MAX && offset + stored <= pf->archive->file_size) {
        fk_platform_release_mapped(map + offset, (size_t)stored);
    }
    return status;
}

/* Claims the next piece of `file` (the monitor held, prefetch_claimable), does it without
 * the monitor and records the result; the last piece finishes the file. */
static void prefetch_work(struct fk_prefetch *pf, struct prefetch_file *file, int by,
                          struct fk_decoder **decoder, const unsigned char *map)
{
    fk_status status = fk_ok();
    size_t unit;
    if (file->state == PF_NEW) {
        prefetch_prepare(pf, file);
        if (file->state == PF_DONE) {
            fk_platform_monitor_notify(pf->monitor);
            return;
        }
    }
    unit = file->claimed++;
    if (!FK_FAILED(file->status)) { /* a failed file's other pieces are only counted */
        fk_platform_monitor_leave(pf->monitor);
        if (*decoder == NULL) {
            status = fk_decoder_new(decoder, pf->trusted);
            if (!FK_FAILED(status)) {
                fk_decoder_use_map(*decoder, map, pf->archive->file_size);
                fk_decoder_keep_pages(*decoder); /* prefetch_run gives back large pieces' */
            }
        }
        if (!FK_FAILED(status)) {
            status = prefetch_run(pf, file, unit, *decoder, map);
        }
        fk_platform_monitor_enter(pf->monitor);
    }
    file->by |= by;
    if (FK_FAILED(status) && !FK_FAILED(file->status)) {
        file->status = status;
    }
    if (++file->finished == file->units) {
        if (file->split != NULL) {
            fk_status closed;
            if (!FK_FAILED(file->status)) {
                file->status = fk_digest_wait(pf->digest); /* as prefetch_write_whole */
            }
            closed = close_split(file->split, 1, FK_FAILED(file->status));
            if (!FK_FAILED(file->status)) {
                file->status = closed;
            }
            free(file->split);
            file->split = NULL;
        }
        free(file->chunks);
        file->chunks = NULL;
        file->state = PF_DONE;
        fk_log_debug("prefetch: %s %s", file->entry->name,
                     FK_FAILED(file->status) ? file->status.message : "unpacked");
        fk_platform_monitor_notify(pf->monitor);
    }
}

/* The raw size of a piece of `file` (the chunks of a file are of equal size, the last one
 * shorter: format.py). */
static uint64_t prefetch_piece_size(const struct prefetch_file *file)
{
    uint64_t size = file->entry->raw_size;
    uint64_t units = file->state == PF_NEW ? 1 : file->units;
    if (file->state == PF_NEW && size >= FK_CHUNKED_MIN_SIZE) { /* not prepared yet */
        units = (size + FK_CHUNK_RAW_SIZE - 1) / FK_CHUNK_RAW_SIZE;
        units = units < 2 ? 2 : units;
    }
    return size / (units > 0 ? units : 1);
}

/* A decoder that did a piece of this size holds a window of 1-2 MiB (populated pages) until
 * it is freed: it is freed before it goes on with smaller pieces, and a caller does not keep
 * it (numpy_app's peak memory was 3 MB higher in the runs where the thread, starved by the
 * app's own threads, still held one when the app's memory peaked). */
#define PF_LARGE_PIECE (1u << 20)

/* `best`, or `file` if it has a piece to claim and its pieces are larger. Files needed at the
 * same time are taken largest piece first, so that two threads sharing them end together (a
 * large piece last would leave one of them waiting for the other: numpy's _multiarray_umath
 * needs two 5 MB and three 8 MB pieces, besides 3 MB of smaller files). */
static struct prefetch_file *prefetch_larger(struct prefetch_file *best,
                                             struct prefetch_file *file)
{
    if (!prefetch_claimable(file)) {
        return best;
    }
    return best == NULL || prefetch_piece_size(file) > prefetch_piece_size(best) ? file : best;
}

/* The next file the thread should work on, or NULL: a wanted one first, then the start-up
 * set in order, row by row (a module's files are needed together). */
static struct prefetch_file *prefetch_next(struct fk_prefetch *pf)
{
    struct prefetch_file *best = NULL;
    size_t i, row = 0;
    for (i = 0; i < pf->count; i++) {
        if (pf->files[i].wanted > 0) {
            best = prefetch_larger(best, &pf->files[i]);
        }
    }
    if (best != NULL) {
        return best;
    }
    while (pf->cursor < pf->order_count && pf->files[pf->order[pf->cursor]].state == PF_DONE) {
        pf->cursor++;
    }
    for (i = pf->cursor; i < pf->order_count && (best == NULL || pf->rows[i] == row); i++) {
        best = prefetch_larger(best, &pf->files[pf->order[i]]);
        row = pf->rows[i];
    }
    return best;
}

/* The decoders read the stored bytes from a mapping of the executable (as extract_parallel's
 * do: no copies, and a frame of up to 4 MiB is decoded in one call), made for one run of the
 * thread or one caller and unmapped after it, so its pages never stay with the app; NULL
 * where the platform does not map (the decoders then read). */
static const unsigned char *prefetch_map(const struct fk_prefetch *pf)
{
    const unsigned char *map = NULL;
    return fk_platform_map(pf->archive->file, pf->archive->file_size, &map) ? map : NULL;
}

static void prefetch_unmap(const struct fk_prefetch *pf, const unsigned char *map)
{
    if (map != NULL) {
        fk_platform_unmap(map, pf->archive->file_size);
    }
}

static void prefetch_thread(void *user)
{
    struct fk_prefetch *pf = user;
    struct fk_decoder *decoder = NULL;
    struct fk_decoder *spare;
    struct prefetch_file *file;
    const unsigned char *map;
    uint64_t held = 0; /* the largest piece `decoder` did */
    /* the rest of the payload digest first, on this core alone: nothing it decodes could be
     * put in place before (fk_digest_wait), and the interpreter waits for it at its end */
    (void)fk_digest_wait(pf->digest);
    map = prefetch_map(pf);
    fk_platform_monitor_enter(pf->monitor);
    while (!pf->stopping && (file = prefetch_next(pf)) != NULL) {
        uint64_t piece = prefetch_piece_size(file);
        if (held >= PF_LARGE_PIECE && piece < PF_LARGE_PIECE) {
            fk_platform_monitor_leave(pf->monitor);
            fk_decoder_free(decoder);
            decoder = NULL;
            held = 0;
            fk_platform_monitor_enter(pf->monitor);
            continue; /* the next file may have changed meanwhile */
        }
        held = piece > held ? piece : held;
        prefetch_work(pf, file, PF_BY_THREAD, &decoder, map);
    }
    /* Nothing left: it ends rather than sleeps, so the app runs with the threads it made
     * itself (Python 3.12+ warns when a process with other threads forks); a caller that
     * wants help later starts another. */
    pf->thread_state = PF_THREAD_ENDED;
    spare = pf->spare; /* and the callers' decoder: its buffers need not stay with the app */
    pf->spare = NULL;
    fk_platform_monitor_notify(pf->monitor);
    fk_platform_monitor_leave(pf->monitor);
    fk_decoder_free(decoder);
    fk_decoder_free(spare);
    prefetch_unmap(pf, map);
}

/* Starts the thread unless it runs (the monitor held); one that could not be started leaves
 * all the work to the callers. */
static void prefetch_start_thread(struct fk_prefetch *pf)
{
    if (pf->thread_state == PF_THREAD_RUNNING || pf->stopping) {
        return;
    }
    if (pf->thread_state == PF_THREAD_ENDED) {
        fk_platform_thread_join(&pf->thread); /* it has left the monitor for good */
        pf->thread_state = PF_THREAD_NONE;
    }
    pf->thread.work = prefetch_thread;
    pf->thread.user = pf;
    pf->thread_state = PF_THREAD_RUNNING; /* before it runs: it may end at once */
    if (!fk_platform_thread_start(&pf->thread)) {
        pf->thread_state = PF_THREAD_NONE;
    }
}

static void prefetch_free(struct fk_prefetch *pf)
{
    size_t i;
    for (i = 0; i < pf->count; i++) {
        if (pf->files[i].split != NULL) { /* stopped half-way: the partial file goes */
            close_split(pf->files[i].split, 1, 1);
            free(pf->files[i].split);
        }
        free(pf->files[i].chunks);
    }
    fk_decoder_free(pf->spare);
    fk_platform_monitor_free(pf->monitor);
    free(pf->files);
    free(pf->order);
    free(pf->rows);
    free(pf);
}

fk_status fk_prefetch_start(const struct fk_context *ctx, struct fk_prefetch **prefetch)
{
    const struct fk_archive *archive = &ctx->archive;
    const struct fk_entry *lazy = NULL;
    struct fk_prefetch *pf;
    fk_status status;
    size_t i;
    *prefetch = NULL;
    for (i = 0; i < archive->count && lazy == NULL; i++) {
        if (archive->entries[i].kind == FK_KIND_LAZY) {
            lazy = &archive->entries[i];
        }
    }
    if (lazy == NULL) {
        return fk_ok(); /* nothing is unpacked on demand */
    }
    pf = calloc(1, sizeof *pf);
    if (pf == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory");
    }
    pf->archive = archive;
    pf->pid = fk_platform_process_id();
    memcpy(pf->dest, ctx->top_dir, sizeof pf->dest); /* both FK_PATH_MAX, NUL-terminated */
    status = prefetch_read_table(pf, lazy);
    if (!FK_FAILED(status)) {
        status = fk_platform_monitor_new(&pf->monitor);
    }
    if (FK_FAILED(status)) {
        fk_platform_monitor_free(pf->monitor);
        pf->monitor = NULL;
        prefetch_free(pf);
        return status;
    }
    /* a digest still running covers the decoded files too: none is put in place before it
     * matched (fk_digest_wait) */
    pf->digest = ctx->digest;
    pf->trusted = ctx->verified || ctx->digest != NULL || has_stamp(archive, pf->dest);
    if (pf->order_count > 0) {
        fk_platform_monitor_enter(pf->monitor);
        prefetch_start_thread(pf);
        fk_platform_monitor_leave(pf->monitor);
    }
    fk_log_debug("prefetch: %lu of %lu lazy files at start", (unsigned long)pf->order_count,
                 (unsigned long)pf->count);
    *prefetch = pf;
    return fk_ok();
}

int fk_prefetch_active(const struct fk_prefetch *prefetch)
{
    return prefetch != NULL && prefetch->pid == fk_platform_process_id();
}

fk_status fk_prefetch_unpack(struct fk_prefetch *pf, const char *const *names, size_t count)
{
    struct prefetch_file **wanted = malloc((count + 1) * sizeof *wanted);
    const char **others = malloc((count + 1) * sizeof *others);
    struct fk_decoder *decoder = NULL;
    const unsigned char *map = NULL;
    size_t i, found = 0, other_count = 0;
    uint64_t held = 0; /* the largest piece this call decoded */
    fk_status status = fk_ok();
    if (wanted == NULL || others == NULL) {
        free(wanted);
        free((void *)others);
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory");
    }
    fk_platform_monitor_enter(pf->monitor);
    pf->callers++;
    decoder = pf->spare;
    pf->spare = NULL;
    for (i = 0; i < count; i++) {
        const struct fk_entry *entry = fk_archive_find(pf->archive, names[i], 0);
        struct prefetch_file *file = entry != NULL ? prefetch_slot(pf, entry) : NULL;
        if (file == NULL) {
            others[other_count++] = names[i]; /* not lazy: fk_extract_entries decides */
        } else if (file->state != PF_DONE) {
            file->wanted++;
            wanted[found++] = file;
        } else if (FK_FAILED(file->status) && !FK_FAILED(status)) {
            status = file->status;
        }
    }
    if (found > 0) {
        map = prefetch_map(pf); /* a syscall under the monitor, once per call with work */
        if (decoder != NULL) {
            fk_decoder_use_map(decoder, map, pf->archive->file_size);
        }
    }
    if (found > 1 || (found == 1 && wanted[0]->entry->raw_size >= FK_CHUNKED_MIN_SIZE)) {
        prefetch_start_thread(pf); /* a helper for work it can share */
    }
    fk_platform_monitor_notify(pf->monitor); /* the thread helps with the wanted files */
    for (;;) { /* their largest piece first, before waiting for the ones in progress */
        struct prefetch_file *next = NULL;
        int pending = 0;
        for (i = 0; i < found; i++) {
            if (wanted[i]->state != PF_DONE) {
                pending = 1;
                next = prefetch_larger(next, wanted[i]);
            }
        }
        if (!pending) {
            break;
        }
        if (next != NULL) {
            uint64_t piece = prefetch_piece_size(next);
            held = piece > held ? piece : held;
            prefetch_work(pf, next, PF_BY_CALLER, &decoder, map);
        } else {
            fk_platform_monitor_wait(pf->monitor);
        }
    }
    for (i = 0; i < found; i++) {
        wanted[i]->wanted--;
        if (FK_FAILED(wanted[i]->status) && !FK_FAILED(status)) {
            status = wanted[i]->status;
        }
    }
    pf->callers--;
    if (decoder != NULL) {
        fk_decoder_use_map(decoder, NULL, 0); /* the mapping goes below */
    }
    /* kept for the next caller while the thread runs (it frees it when it ends); once it
     * ended, a decoder kept here would hold its buffers (a 2 MiB window after a chunk of a large
     * library) until the app exits: numpy_app's peak memory was 2.5 MB higher in the runs
     * where the thread ended while the main thread's call had the spare */
    if (pf->spare == NULL && pf->thread_state == PF_THREAD_RUNNING && held < PF_LARGE_PIECE) {
        pf->spare = decoder;
        decoder = NULL;
    }
    fk_platform_monitor_leave(pf->monitor);
    fk_decoder_free(decoder);
    prefetch_unmap(pf, map);
    if (!FK_FAILED(status) && other_count > 0) {
        status = fk_extract_entries(pf->archive, pf->dest, others, other_count);
    }
    free(wanted);
    free((void *)others);
    return status;
}

size_t fk_prefetch_count(const struct fk_prefetch *pf)
{
    return pf != NULL ? pf->order_count : 0;
}

const char *fk_prefetch_describe(struct fk_prefetch *pf, size_t index, const char **state)
{
    const struct prefetch_file *file;
    fk_platform_monitor_enter(pf->monitor);
    file = &pf->files[pf->order[index]];
    if (file->state == PF_NEW) {
        *state = "waiting";
    } else if (file->state == PF_STARTED) {
        *state = "unpacking";
    } else if (FK_FAILED(file->status)) {
        *state = "failed";
    } else if (file->by == PF_PRESENT) {
        *state = "present";
    } else {
        *state = file->by == PF_BY_THREAD   ? "thread"
                 : file->by == PF_BY_CALLER ? "caller"
                                            : "shared";
    }
    fk_platform_monitor_leave(pf->monitor);
    return file->entry->name;
}

void fk_prefetch_stop(struct fk_prefetch *pf)
{
    int idle, started;
    if (!fk_prefetch_active(pf)) {
        return; /* none, or a forked copy: its thread is not in this process */
    }
    fk_platform_monitor_enter(pf->monitor);
    pf->stopping = 1; /* no thread starts any more */
    fk_platform_monitor_notify(pf->monitor);
    started = pf->thread_state != PF_THREAD_NONE;
    fk_platform_monitor_leave(pf->monitor);
    if (started) {
        fk_platform_thread_join(&pf->thread);
    }
    fk_platform_monitor_enter(pf->monitor);
    idle = pf->callers == 0;
    fk_platform_monitor_leave(pf->monitor);
    if (idle) {
        prefetch_free(pf); /* else a daemon thread still waits in it at exit: left as is */
    }
}
