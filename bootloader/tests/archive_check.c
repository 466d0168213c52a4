/* archive_check FILE...: runs the bootloader's reader on each file: trailer, TOC, the lookup
 * of every entry by name, the data of every entry and every module of the PYZ. Exit 0 when all are good; otherwise one line per
 * bad file on stderr and exit 1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "archive.h"
#include "lookup_check.h"
#include "xxh64.h"

static fk_status check_pyz(const struct fk_archive *archive, const struct fk_entry *entry)
{
    struct fk_pyz pyz;
    size_t i;
    fk_status status;
    fk_pyz_init(&pyz);
    status = fk_pyz_open(&pyz, archive, entry);
    for (i = 0; !FK_FAILED(status) && i < pyz.count; i++) {
        unsigned char *data = NULL;
        size_t length = 0;
        status = fk_pyz_read(&pyz, i, &data, &length);
        free(data);
    }
    fk_pyz_close(&pyz);
    return status;
}

static fk_status count_bytes(void *user, const void *data, size_t length)
{
    (void)data;
    *(uint64_t *)user += length;
    return fk_ok();
}

/* A file entry streams to exactly its size, whole and (when chunked) chunk by chunk. */
static fk_status check_stream(const struct fk_archive *archive, const struct fk_entry *entry)
{
    struct fk_chunk *chunks = NULL;
    size_t count = 0, i;
    uint64_t total = 0;
    fk_status status = fk_archive_stream(archive, entry, count_bytes, &total);
    if (!FK_FAILED(status)) {
        status = fk_archive_chunks(archive, entry, &chunks, &count);
    }
    for (i = 0; !FK_FAILED(status) && i < count; i++) {
        uint64_t piece = 0;
        status = fk_archive_stream_chunk(archive, entry, &chunks[i], count_bytes, &piece);
        if (!FK_FAILED(status) && piece != chunks[i].raw_size) {
            status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: chunk %lu gave %llu bytes; damaged",
                             entry->name, (unsigned long)i, (unsigned long long)piece);
        }
    }
    free(chunks);
    return status;
}

/* fk_archive_find gives the first entry of each name (and kind); a name no entry has gives
 * NULL. */
static fk_status check_find(const struct fk_archive *archive)
{
    size_t i;
    for (i = 0; i < archive->count; i++) {
        if (!finds_first(archive, i)) {
            return fk_fail(FK_E_ARCHIVE, 0, "lookup of entry %lu (%s) by name gives another "
                           "entry", (unsigned long)i, archive->entries[i].name);
        }
    }
    if (fk_archive_find(archive, "", 0) != NULL ||
        fk_archive_find(archive, "\x7f no such entry", 0) != NULL) {
        return fk_fail(FK_E_ARCHIVE, 0, "lookup of a name no entry has gives an entry");
    }
    return fk_ok();
}

static fk_status check_file(const char *path, size_t *entries)
{
    struct fk_archive archive;
    size_t i;
    fk_status status;
    fk_archive_init(&archive);
    status = fk_archive_open(&archive, path);
    if (!FK_FAILED(status)) {
        status = fk_archive_verify(&archive);
    }
    if (!FK_FAILED(status)) { /* the same digest in two parts, the first checking the prefix */
        struct fk_xxh64 state;
        const unsigned char *map = NULL;
        status = fk_archive_verify_prefix(&archive, NULL, &state);
        if (!FK_FAILED(status)) {
            status = fk_archive_verify_rest(&archive, &state, 1);
        }
        /* the prefix read in place from a mapping, as the extraction threads do */
        if (!FK_FAILED(status) && fk_platform_map(archive.file, archive.file_size, &map)) {
            status = fk_archive_verify_prefix(&archive, map, &state);
            fk_platform_unmap(map, archive.file_size);
        }
    }
    if (!FK_FAILED(status)) {
        status = check_find(&archive);
    }
    for (i = 0; !FK_FAILED(status) && i < archive.count; i++) {
        const struct fk_entry *entry = &archive.entries[i];
        unsigned char *data = NULL;
        size_t length = 0;
        status = fk_archive_read(&archive, entry, &data, &length);
        free(data);
        if (!FK_FAILED(status) && entry->kind == FK_KIND_PYZ) {
            status = check_pyz(&archive, entry);
        }
        if (!FK_FAILED(status) && fk_archive_is_file_kind(entry->kind)) {
            status = check_stream(&archive, entry);
        }
    }
    *entries = archive.count;
    fk_archive_close(&archive);
    return status;
}

int main(int argc, char **argv)
{
    int i;
    int failures = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s ARCHIVE...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        size_t entries = 0;
        fk_status status = check_file(argv[i], &entries);
        if (FK_FAILED(status)) {
            fprintf(stderr, "%s: %s\n", argv[i], status.message);
            failures++;
        } else {
            printf("%s: ok (%lu entries)\n", argv[i], (unsigned long)entries);
        }
    }
    return failures ? 1 : 0;
}
