/* archive_check FILE...: runs the bootloader's reader on each file: trailer, TOC, the data of
 * every entry and every module of the PYZ. Exit 0 when all are good; otherwise one line per
 * bad file on stderr and exit 1. */
#include <stdio.h>
#include <stdlib.h>

#include "archive.h"

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

static fk_status check_file(const char *path, size_t *entries)
{
    struct fk_archive archive;
    size_t i;
    fk_status status;
    fk_archive_init(&archive);
    status = fk_archive_open(&archive, path);
    for (i = 0; !FK_FAILED(status) && i < archive.count; i++) {
        const struct fk_entry *entry = &archive.entries[i];
        unsigned char *data = NULL;
        size_t length = 0;
        status = fk_archive_read(&archive, entry, &data, &length);
        free(data);
        if (!FK_FAILED(status) && entry->kind == FK_KIND_PYZ) {
            status = check_pyz(&archive, entry);
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
