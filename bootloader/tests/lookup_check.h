/* The check of fk_archive_find shared by archive_check and the fuzz target. */
#ifndef FK_LOOKUP_CHECK_H
#define FK_LOOKUP_CHECK_H

#include <string.h>

#include "archive.h"

/* Whether fk_archive_find gives, for the entry `index`, one at or before it with its name
 * (and, asked with its kind, one with its name and kind). That holds for every entry only
 * when the one given is the first of the TOC. */
static int finds_first(const struct fk_archive *archive, size_t index)
{
    const struct fk_entry *entry = &archive->entries[index];
    const struct fk_entry *named = fk_archive_find(archive, entry->name, 0);
    const struct fk_entry *kinded = fk_archive_find(archive, entry->name, entry->kind);
    return named != NULL && named <= entry && strcmp(named->name, entry->name) == 0 &&
           kinded != NULL && kinded <= entry && kinded->kind == entry->kind &&
           strcmp(kinded->name, entry->name) == 0 && named <= kinded;
}

#endif /* FK_LOOKUP_CHECK_H */
