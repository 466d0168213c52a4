/* Trailer, TOC, entry and PYZ reader (layout: archive_format.h, generated from format.py). */
#include "archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_d_forceIgnoreChecksum (zstd >= 1.4.7) */
#include <zstd.h>

#include "crc32.h"
#include "xxh64.h"

/* Fuzzing builds (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION) ignore checksum mismatches so
 * that mutated inputs reach the code behind the checks; every other check stays. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define FK_CHECKSUMS_DIFFER(a, b) ((void)(a), (void)(b), 0)
#else
#define FK_CHECKSUMS_DIFFER(a, b) ((a) != (b))
#endif

static uint64_t get_le(const unsigned char *bytes, size_t length)
{
    uint64_t value = 0;
    while (length-- > 0) {
        value = (value << 8) | bytes[length];
    }
    return value;
}

#define FIELD(bytes, prefix, field) get_le((bytes) + prefix##_##field##_OFF, prefix##_##field##_LEN)

/* a + b > limit, without overflow. */
static int exceeds(uint64_t a, uint64_t b, uint64_t limit)
{
    return a > limit || b > limit - a;
}

static const struct {
    unsigned code;
    const char *name;
} fk_kinds[] = {
    {FK_KIND_BOOTSTRAP, "bootstrap"}, {FK_KIND_SCRIPT, "script"},
    {FK_KIND_RUNTIME_HOOK, "runtime_hook"}, {FK_KIND_PYZ, "pyz"},
    {FK_KIND_EXTENSION, "extension"}, {FK_KIND_BINARY, "binary"}, {FK_KIND_DATA, "data"},
    {FK_KIND_SYMLINK, "symlink"}, {FK_KIND_OPTION, "option"}, {FK_KIND_EXTERNAL, "external"},
    {FK_KIND_LAZY, "lazy"},
};

const char *fk_archive_kind_name(unsigned kind)
{
    size_t i;
    for (i = 0; i < sizeof fk_kinds / sizeof fk_kinds[0]; i++) {
        if (fk_kinds[i].code == kind) {
            return fk_kinds[i].name;
        }
    }
    return NULL;
}

int fk_archive_is_file_kind(unsigned kind)
{
    return kind == FK_KIND_EXTENSION || kind == FK_KIND_BINARY || kind == FK_KIND_DATA;
}

void fk_archive_init(struct fk_archive *archive)
{
    memset(archive, 0, sizeof *archive);
    archive->file = FK_NO_HANDLE;
}

void fk_archive_close(struct fk_archive *archive)
{
    fk_platform_close(archive->file);
    free(archive->toc);
    free(archive->entries);
    free(archive->by_name);
    fk_archive_init(archive);
}

/* A relative name that stays inside the top directory: no leading '/', no '\\', no empty,
 * '.' or '..' component. */
static int is_safe_name(const char *name)
{
    const char *part = name;
    if (*name == '\0' || *name == '/' || strchr(name, '\\') != NULL) {
        return 0;
    }
    while (part != NULL) {
        const char *slash = strchr(part, '/');
        size_t length = slash ? (size_t)(slash - part) : strlen(part);
        if (length == 0 || (length == 1 && part[0] == '.') ||
            (length == 2 && part[0] == '.' && part[1] == '.')) {
            return 0;
        }
        part = slash ? slash + 1 : NULL;
    }
    return 1;
}

static fk_status read_trailer(struct fk_archive *archive)
{
    static const unsigned char magic[FK_MAGIC_LEN] = FK_MAGIC_BYTES;
    unsigned char trailer[FK_TRAILER_SIZE];
    uint64_t pkg_end;
    size_t i;
    fk_status status;

    if (archive->file_size < FK_TRAILER_SIZE) {
        return fk_fail(FK_E_ARCHIVE, 0, "file is %llu bytes, too small to hold a freezekit "
                       "archive (truncated, or not a freezekit executable)" FK_DAMAGED, (unsigned long long)archive->file_size);
    }
    pkg_end = archive->file_size - FK_TRAILER_SIZE;
    status = fk_platform_read_at(archive->file, archive->path, pkg_end, trailer, sizeof trailer);
    if (FK_FAILED(status)) {
        return status;
    }
    if (memcmp(trailer + FK_TRAILER_MAGIC_OFF, magic, FK_MAGIC_LEN) != 0) {
        return fk_fail(FK_E_ARCHIVE, 0, "no freezekit archive at the end of the file (wrong "
                       "magic: truncated, damaged or not a freezekit executable)" FK_DAMAGED);
    }
    if (FK_CHECKSUMS_DIFFER(fk_crc32(trailer, FK_TRAILER_TRAILER_CRC32_OFF),
                            (uint32_t)FIELD(trailer, FK_TRAILER, TRAILER_CRC32))) {
        return fk_fail(FK_E_ARCHIVE, 0, "trailer checksum mismatch at offset %llu" FK_DAMAGED,
                       (unsigned long long)pkg_end);
    }
    if (FIELD(trailer, FK_TRAILER, VERSION) != FK_FORMAT_VERSION) {
        return fk_fail(FK_E_ARCHIVE, 0, "archive format version %u is not supported (this "
                       "bootloader reads version %u)" FK_DAMAGED,
                       (unsigned)FIELD(trailer, FK_TRAILER, VERSION), FK_FORMAT_VERSION);
    }
    archive->flags = (uint32_t)FIELD(trailer, FK_TRAILER, FLAGS);
    archive->pkg_offset = FIELD(trailer, FK_TRAILER, PKG_OFFSET);
    archive->pkg_length = FIELD(trailer, FK_TRAILER, PKG_LENGTH);
    archive->toc_offset = FIELD(trailer, FK_TRAILER, TOC_OFFSET);
    archive->toc_length = FIELD(trailer, FK_TRAILER, TOC_LENGTH);
    archive->toc_count = (uint32_t)FIELD(trailer, FK_TRAILER, TOC_COUNT);
    archive->toc_crc32 = (uint32_t)FIELD(trailer, FK_TRAILER, TOC_CRC32);
    archive->py_major = (unsigned)FIELD(trailer, FK_TRAILER, PY_MAJOR);
    archive->py_minor = (unsigned)FIELD(trailer, FK_TRAILER, PY_MINOR);
    archive->payload_xxh64 = FIELD(trailer, FK_TRAILER, PAYLOAD_XXH64);
    archive->prefix_length = FIELD(trailer, FK_TRAILER, PREFIX_LENGTH);
    archive->prefix_xxh64 = FIELD(trailer, FK_TRAILER, PREFIX_XXH64);
    memcpy(archive->content_id, trailer + FK_TRAILER_CONTENT_ID_OFF, FK_TRAILER_CONTENT_ID_LEN);
    for (i = 0; i < FK_TRAILER_CONTENT_ID_LEN; i++) {
        snprintf(archive->content_hex + 2 * i, 3, "%02x", archive->content_id[i]);
    }
    memcpy(archive->libpython, trailer + FK_TRAILER_LIBPYTHON_OFF, FK_LIBPYTHON_FIELD);
    archive->libpython[FK_LIBPYTHON_FIELD - 1] = '\0';

    if (exceeds(archive->pkg_offset, archive->pkg_length, UINT64_MAX - FK_TRAILER_SIZE)) {
        return fk_fail(FK_E_ARCHIVE, 0, "archive at offset %llu+%llu lies beyond the end of the "
                       "%llu-byte file" FK_DAMAGED, (unsigned long long)archive->pkg_offset,
                       (unsigned long long)archive->pkg_length,
                       (unsigned long long)archive->file_size);
    }
    if (exceeds(archive->pkg_offset, archive->pkg_length, pkg_end)) {
        return fk_fail(FK_E_ARCHIVE, 0, "archive truncated at offset %llu (expected %llu bytes)"
                       FK_DAMAGED,
                       (unsigned long long)archive->file_size,
                       (unsigned long long)(archive->pkg_offset + archive->pkg_length +
                                            FK_TRAILER_SIZE));
    }
    if (archive->pkg_offset + archive->pkg_length != pkg_end) {
        return fk_fail(FK_E_ARCHIVE, 0, "archive at offset %llu+%llu does not end at the "
                       "trailer (offset %llu): the file was extended or damaged" FK_DAMAGED, (unsigned long long)archive->pkg_offset,
                       (unsigned long long)archive->pkg_length, (unsigned long long)pkg_end);
    }
    if (exceeds(archive->toc_offset, archive->toc_length, archive->pkg_length) ||
        archive->toc_offset + archive->toc_length != archive->pkg_length) {
        return fk_fail(FK_E_ARCHIVE, 0, "TOC at %llu+%llu does not end the %llu-byte archive"
                       FK_DAMAGED, (unsigned long long)archive->toc_offset,
                       (unsigned long long)archive->toc_length,
                       (unsigned long long)archive->pkg_length);
    }
    if (archive->prefix_length > archive->toc_offset) {
        return fk_fail(FK_E_ARCHIVE, 0, "prefix of %llu bytes lies beyond the %llu bytes of "
                       "archive data" FK_DAMAGED, (unsigned long long)archive->prefix_length,
                       (unsigned long long)archive->toc_offset);
    }
    if (archive->toc_length > SIZE_MAX - 1 ||
        archive->toc_count > archive->toc_length / FK_TOC_ENTRY_SIZE) {
        return fk_fail(FK_E_ARCHIVE, 0, "TOC of %llu bytes cannot hold %lu entries" FK_DAMAGED,
                       (unsigned long long)archive->toc_length, (unsigned long)archive->toc_count);
    }
    return fk_ok();
}

static fk_status decode_entry(struct fk_archive *archive, size_t index, uint64_t *position)
{
    const unsigned char *raw = archive->toc + *position;
    struct fk_entry *entry = &archive->entries[index];
    uint64_t remaining = archive->toc_length - *position;
    uint64_t length;

    if (remaining < FK_TOC_ENTRY_SIZE) {
        return fk_fail(FK_E_ARCHIVE, 0, "TOC entry %lu at TOC offset %llu: TOC truncated"
                       FK_DAMAGED, (unsigned long)index, (unsigned long long)*position);
    }
    length = FIELD(raw, FK_TOC_ENTRY, ENTRY_LENGTH);
    entry->kind = (unsigned)FIELD(raw, FK_TOC_ENTRY, KIND);
    entry->compression = (unsigned)FIELD(raw, FK_TOC_ENTRY, COMPRESSION);
    entry->name_length = (size_t)FIELD(raw, FK_TOC_ENTRY, NAME_LENGTH);
    entry->mode = (uint32_t)FIELD(raw, FK_TOC_ENTRY, MODE);
    entry->crc32 = (uint32_t)FIELD(raw, FK_TOC_ENTRY, CRC32);
    entry->data_offset = FIELD(raw, FK_TOC_ENTRY, DATA_OFFSET);
    entry->stored_size = FIELD(raw, FK_TOC_ENTRY, STORED_SIZE);
    entry->raw_size = FIELD(raw, FK_TOC_ENTRY, RAW_SIZE);
    entry->name = (const char *)raw + FK_TOC_ENTRY_SIZE;

    if (fk_archive_kind_name(entry->kind) == NULL ||
        (entry->compression != FK_COMPRESSION_NONE && entry->compression != FK_COMPRESSION_ZSTD) ||
        entry->name_length == 0 || entry->name_length > FK_MAX_NAME_LENGTH ||
        length < FK_TOC_ENTRY_SIZE + entry->name_length + 1 || length % FK_NAME_ALIGN != 0 ||
        length > remaining || entry->name[entry->name_length] != '\0' ||
        memchr(entry->name, '\0', entry->name_length) != NULL) {
        return fk_fail(FK_E_ARCHIVE, 0, "TOC entry %lu at TOC offset %llu is malformed (kind %u, "
                       "compression %u, length %llu)" FK_DAMAGED, (unsigned long)index,
                       (unsigned long long)*position, entry->kind, entry->compression,
                       (unsigned long long)length);
    }
    if (entry->compression == FK_COMPRESSION_ZSTD &&
        entry->raw_size / FK_MAX_ZSTD_RATIO > entry->stored_size) {
        return fk_fail(FK_E_ARCHIVE, 0, "entry %s: %llu bytes cannot come from %llu zstd bytes"
                       FK_DAMAGED, entry->name, (unsigned long long)entry->raw_size,
                       (unsigned long long)entry->stored_size);
    }
    if (exceeds(entry->data_offset, entry->stored_size, archive->toc_offset)) {
        return fk_fail(FK_E_ARCHIVE, 0, "entry %s at %llu+%llu lies outside the archive data "
                       "(%llu bytes)" FK_DAMAGED, entry->name,
                       (unsigned long long)entry->data_offset,
                       (unsigned long long)entry->stored_size,
                       (unsigned long long)archive->toc_offset);
    }
    if (entry->kind != FK_KIND_OPTION && !is_safe_name(entry->name)) {
        return fk_fail(FK_E_ARCHIVE, 0, "entry name '%s' is absolute or climbs out of the top "
                       "directory" FK_DAMAGED, entry->name);
    }
    *position += length;
    return fk_ok();
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The end of a trailer lying right before `table` or up to `alignment` - 1 padding bytes
 * before it, or 0 when there is none. */
static uint64_t trailer_before(struct fk_archive *archive, uint64_t table, unsigned alignment)
{
    static const unsigned char magic[FK_MAGIC_LEN] = FK_MAGIC_BYTES;
    unsigned char found[FK_MAGIC_LEN];
    uint64_t end;
    unsigned padding;

    for (padding = 0; padding < alignment; padding++) {
        if (table < FK_TRAILER_SIZE + padding) {
            return 0;
        }
        end = table - padding;
        if (!FK_FAILED(fk_platform_read_at(archive->file, archive->path, end - FK_TRAILER_SIZE,
                                           found, sizeof found)) &&
            memcmp(found, magic, sizeof found) == 0) {
            return end;
        }
    }
    return 0;
}

/* A macOS executable signed after the build: codesign puts its signature (LC_CODE_SIGNATURE,
 * 0x1d) after the archive, aligned to 16 bytes. */
static void skip_macho_signature(struct fk_archive *archive, const unsigned char *head,
                                 size_t head_size)
{
    uint32_t ncmds = le32(head + 16), offset = 32, cmd, cmdsize, i;
    uint64_t dataoff, datasize, end;

    for (i = 0; i < ncmds; i++) {
        if (offset + 16 > head_size) {
            return;
        }
        cmd = le32(head + offset);
        cmdsize = le32(head + offset + 4);
        if (cmd == 0x1d) {
            dataoff = le32(head + offset + 8);
            datasize = le32(head + offset + 12);
            if (dataoff > 0 && dataoff + datasize <= archive->file_size) {
                end = trailer_before(archive, dataoff, 16);
                if (end != 0) {
                    archive->file_size = end;
                }
            }
            return;
        }
        if (cmdsize < 8) {
            return;
        }
        offset += cmdsize;
    }
}

/* An executable signed after the build carries the signature after the archive: a Windows
 * one Authenticode's certificate table at its end (the PE security directory locates it),
 * after zero padding to 8 bytes; a macOS one codesign's LC_CODE_SIGNATURE data. The archive
 * ends before both. Sets archive->file_size to where the trailer ends; unsigned files are left
 * as they are. (freezekit/archive/reader.py's archive_end is the same rule.) */
static void skip_signature(struct fk_archive *archive)
{
    unsigned char head[4096];
    uint64_t size = archive->file_size, table, table_size, end;
    uint32_t pe, directories;

    if (size < sizeof head ||
        FK_FAILED(fk_platform_read_at(archive->file, archive->path, 0, head, sizeof head))) {
        return;
    }
    if (le32(head) == 0xfeedfacfu) {
        skip_macho_signature(archive, head, sizeof head);
        return;
    }
    if (head[0] != 'M' || head[1] != 'Z') {
        return;
    }
    pe = le32(head + 0x3C);
    if (pe > sizeof head - 26 || memcmp(head + pe, "PE\0\0", 4) != 0) {
        return;
    }
    if (head[pe + 24] == 0x0B && head[pe + 25] == 0x01) {
        directories = pe + 24 + 96; /* PE32 */
    } else if (head[pe + 24] == 0x0B && head[pe + 25] == 0x02) {
        directories = pe + 24 + 112; /* PE32+ */
    } else {
        return;
    }
    if (directories + 40 > sizeof head || le32(head + directories - 4) <= 4) {
        return;
    }
    table = le32(head + directories + 32);
    table_size = le32(head + directories + 36);
    if (table == 0 || table_size == 0 || table + table_size != size) {
        return;
    }
    end = trailer_before(archive, table, 8);
    if (end != 0) {
        archive->file_size = end;
    }
}

/* Orders order[0..count) by entry name (bytes, as strcmp), keeping the given order among
 * equal names: a stable merge sort that skips each merge whose two halves are already in
 * order, so a TOC as the writer makes it (files sorted by name, after the few options,
 * scripts and the PYZ) costs about one comparison per entry. */
static void sort_by_name(const struct fk_entry *entries, uint32_t *order, uint32_t *scratch,
                         size_t count)
{
    size_t half = count / 2, left = 0, right = half, out = 0;
    if (count < 2) {
        return;
    }
    sort_by_name(entries, order, scratch, half);
    sort_by_name(entries, order + half, scratch, count - half);
    if (strcmp(entries[order[half - 1]].name, entries[order[half]].name) <= 0) {
        return;
    }
    memcpy(scratch, order, count * sizeof *order);
    while (left < half && right < count) {
        order[out++] = strcmp(entries[scratch[right]].name, entries[scratch[left]].name) < 0
                           ? scratch[right++]
                           : scratch[left++];
    }
    while (left < half) {
        order[out++] = scratch[left++];
    }
    while (right < count) {
        order[out++] = scratch[right++];
    }
}

/* archive->by_name for the decoded entries: built once, so that looking a name up (the lazy
 * table, link checks, on-demand unpacking, _freezekit.read) is a binary search. */
static fk_status index_names(struct fk_archive *archive)
{
    uint32_t *scratch;
    uint32_t i;
    archive->by_name = malloc((archive->toc_count + 1) * sizeof *archive->by_name);
    scratch = malloc((archive->toc_count + 1) * sizeof *scratch);
    if (archive->by_name == NULL || scratch == NULL) {
        free(scratch);
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory indexing %lu TOC entries",
                       (unsigned long)archive->toc_count);
    }
    for (i = 0; i < archive->toc_count; i++) {
        archive->by_name[i] = i;
    }
    sort_by_name(archive->entries, archive->by_name, scratch, archive->toc_count);
    free(scratch);
    return fk_ok();
}

fk_status fk_archive_open(struct fk_archive *archive, const char *path)
{
    uint64_t position = 0;
    size_t i;
    int written;
    fk_status status;

    fk_archive_close(archive);
    written = snprintf(archive->path, sizeof archive->path, "%s", path);
    if (written < 0 || (size_t)written >= sizeof archive->path) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "path %s is too long", path);
    }
    status = fk_platform_open_read(path, &archive->file, &archive->file_size);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    skip_signature(archive);
    status = read_trailer(archive);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    archive->toc = malloc((size_t)archive->toc_length + 1);
    archive->entries = calloc(archive->toc_count ? archive->toc_count : 1,
                              sizeof *archive->entries);
    if (archive->toc == NULL || archive->entries == NULL) {
        status = fk_fail(FK_E_MEMORY, ENOMEM, "out of memory reading a %llu-byte TOC",
                         (unsigned long long)archive->toc_length);
        goto cleanup;
    }
    status = fk_platform_read_at(archive->file, path, archive->pkg_offset + archive->toc_offset,
                                 archive->toc, (size_t)archive->toc_length);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    archive->toc[archive->toc_length] = '\0';
    if (FK_CHECKSUMS_DIFFER(fk_crc32(archive->toc, (size_t)archive->toc_length),
                            archive->toc_crc32)) {
        status = fk_fail(FK_E_ARCHIVE, 0, "TOC checksum mismatch (TOC at offset %llu)"
                         FK_DAMAGED, (unsigned long long)(archive->pkg_offset +
                                                          archive->toc_offset));
        goto cleanup;
    }
    for (i = 0; i < archive->toc_count; i++) {
        status = decode_entry(archive, i, &position);
        if (FK_FAILED(status)) {
            goto cleanup;
        }
    }
    if (position != archive->toc_length) {
        status = fk_fail(FK_E_ARCHIVE, 0, "TOC has %llu stray bytes after %lu entries"
                         FK_DAMAGED, (unsigned long long)(archive->toc_length - position),
                         (unsigned long)archive->toc_count);
        goto cleanup;
    }
    status = index_names(archive);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    archive->count = archive->toc_count;
cleanup:
    if (FK_FAILED(status)) {
        fk_archive_close(archive);
    }
    return status;
}

/* Hashes pkg[from, to) of the mapped file and unmaps the 64 KiB-aligned part of the mapping
 * it is done with, so that a check running beside the decoders (fk_extract_temp) never holds
 * more than a piece of the payload in memory (5.6 MB for hello, 17 MB for numpy_app). */
static void hash_mapped(struct fk_xxh64 *state, const unsigned char *mapped, uint64_t size,
                        uint64_t from, uint64_t to)
{
    enum { PIECE = 1 << 20, ALIGN = 1 << 16 };
    uint64_t released = 0;
    while (from < to) {
        uint64_t length = to - from < PIECE ? to - from : PIECE;
        uint64_t done;
        fk_xxh64_update(state, mapped + from, (size_t)length);
        from += length;
        done = from / ALIGN * ALIGN;
        if (done > released) {
            fk_platform_unmap(mapped + released, done - released);
            released = done;
        }
    }
    if (size > released) {
        fk_platform_unmap(mapped + released, size - released);
    }
}

/* Hashes pkg[offset, end) through `block` (`size` bytes), read piece by piece. */
static fk_status hash_read(const struct fk_archive *archive, struct fk_xxh64 *state,
                           unsigned char *block, size_t size, uint64_t offset, uint64_t end)
{
    fk_status status = fk_ok();
    while (!FK_FAILED(status) && offset < end) {
        uint64_t left = end - offset;
        size_t length = left < size ? (size_t)left : size;
        status = fk_platform_read_at(archive->file, archive->path, archive->pkg_offset + offset,
                                     block, length);
        if (!FK_FAILED(status)) {
            fk_xxh64_update(state, block, length);
            offset += length;
        }
    }
    return status;
}

static fk_status check_digest(const struct fk_archive *archive, const struct fk_xxh64 *state)
{
    if (FK_CHECKSUMS_DIFFER(fk_xxh64_digest(state), archive->payload_xxh64)) {
        return fk_fail(FK_E_ARCHIVE, 0, "payload checksum mismatch (%llu bytes at offset %llu)"
                       FK_DAMAGED, (unsigned long long)archive->pkg_length,
                       (unsigned long long)archive->pkg_offset);
    }
    return fk_ok();
}

enum { FK_VERIFY_BLOCK = 1 << 18 };

fk_status fk_archive_verify(const struct fk_archive *archive)
{
    struct fk_xxh64 state;
    unsigned char *block = NULL;
    const unsigned char *mapped = NULL;
    fk_status status;
    /* mapped, the file is hashed where the page cache holds it (5.6 MB: 0.5 ms, 1.2 ms
     * through a read buffer) */
    fk_xxh64_init(&state, 0);
    if (fk_platform_map(archive->file, archive->file_size, &mapped)) {
        hash_mapped(&state, mapped, archive->file_size, archive->pkg_offset,
                    archive->pkg_offset + archive->pkg_length);
        return check_digest(archive, &state);
    }
    block = malloc(FK_VERIFY_BLOCK);
    if (block == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the payload check");
    }
    status = hash_read(archive, &state, block, FK_VERIFY_BLOCK, 0, archive->pkg_length);
    free(block);
    return FK_FAILED(status) ? status : check_digest(archive, &state);
}

/* Beside the decoders (fk_extract_temp), the payload is read into one reused 256 KiB buffer
 * (it stays in the processor's cache) rather than mapped: a mapping of its own needs the
 * process's memory map lock for writing, and waited behind the decoders' buffer allocations
 * (1.3 ms in a trace of hello). Extraction of hello, 60 alternated starts, p25 (min): own
 * mapping 5.38 (4.96) ms, read 5.28 (4.97): the same CPU, no wait on the lock. */
fk_status fk_archive_verify_read(const struct fk_archive *archive)
{
    struct fk_xxh64 state;
    /* not malloc: see zstd_alloc */
    unsigned char *block = fk_platform_alloc_pages(FK_VERIFY_BLOCK);
    fk_status status;
    if (block == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the payload check");
    }
    fk_xxh64_init(&state, 0);
    status = hash_read(archive, &state, block, FK_VERIFY_BLOCK, 0, archive->pkg_length);
    fk_platform_free_pages(block, FK_VERIFY_BLOCK);
    return FK_FAILED(status) ? status : check_digest(archive, &state);
}

int fk_archive_in_prefix(const struct fk_archive *archive, uint64_t offset, uint64_t size)
{
    return !exceeds(offset, size, archive->prefix_length);
}

/* Hashes pkg[from, to) into `state` through a buffer like fk_archive_verify_read's. */
static fk_status hash_range(const struct fk_archive *archive, struct fk_xxh64 *state,
                            uint64_t from, uint64_t to)
{
    unsigned char *block;
    fk_status status;
    if (from >= to) {
        return fk_ok();
    }
    block = fk_platform_alloc_pages(FK_VERIFY_BLOCK);
    if (block == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the payload check");
    }
    status = hash_read(archive, state, block, FK_VERIFY_BLOCK, from, to);
    fk_platform_free_pages(block, FK_VERIFY_BLOCK);
    return status;
}

fk_status fk_archive_verify_prefix(const struct fk_archive *archive, const unsigned char *map,
                                   struct fk_xxh64 *state)
{
    struct fk_xxh64 prefix;
    fk_status status = fk_ok();
    fk_xxh64_init(state, 0);
    if (map != NULL) { /* the decoders' pages: read in place, not copied */
        fk_xxh64_update(state, map + archive->pkg_offset, (size_t)archive->prefix_length);
    } else {
        status = hash_range(archive, state, 0, archive->prefix_length);
    }
    if (FK_FAILED(status)) {
        return status;
    }
    prefix = *state; /* the TOC is in memory, checked by its CRC-32 already: hashed again */
    fk_xxh64_update(&prefix, archive->toc, (size_t)archive->toc_length);
    if (FK_CHECKSUMS_DIFFER(fk_xxh64_digest(&prefix), archive->prefix_xxh64)) {
        return fk_fail(FK_E_ARCHIVE, 0, "payload checksum mismatch (its first %llu bytes at "
                       "offset %llu)" FK_DAMAGED, (unsigned long long)archive->prefix_length,
                       (unsigned long long)archive->pkg_offset);
    }
    return fk_ok();
}

fk_status fk_archive_verify_rest(const struct fk_archive *archive, struct fk_xxh64 *state,
                                 int own_mapping)
{
    const unsigned char *mapped = NULL;
    fk_status status = fk_ok();
    if (own_mapping && fk_platform_map(archive->file, archive->file_size, &mapped)) {
        hash_mapped(state, mapped, archive->file_size, archive->pkg_offset + archive->prefix_length,
                    archive->pkg_offset + archive->pkg_length);
    } else {
        status = hash_range(archive, state, archive->prefix_length, archive->pkg_length);
    }
    return FK_FAILED(status) ? status : check_digest(archive, state);
}

const struct fk_entry *fk_archive_find(const struct fk_archive *archive, const char *name,
                                       unsigned kind)
{
    size_t low = 0, high = archive->count;
    while (low < high) { /* the first position whose name is not before `name` */
        size_t middle = low + (high - low) / 2;
        if (strcmp(archive->entries[archive->by_name[middle]].name, name) < 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    for (; low < archive->count; low++) { /* equal names follow in TOC order */
        const struct fk_entry *entry = &archive->entries[archive->by_name[low]];
        if (strcmp(entry->name, name) != 0) {
            break;
        }
        if (kind == 0 || entry->kind == kind) {
            return entry;
        }
    }
    return NULL;
}

/* Checks and decompresses `stored` (taking ownership) into a malloc'd buffer. */
static fk_status decode_data(const char *name, unsigned char *stored, uint64_t stored_size,
                             unsigned compression, uint32_t crc, uint64_t raw_size,
                             const struct fk_pyz *pyz, unsigned char **data, size_t *length)
{
    unsigned char *raw = NULL;
    unsigned long long frame_size;
    size_t done;
    fk_status status = fk_ok();

    /* A zstd frame carries its own checksum of the content (checked while decompressing),
     * so the CRC pass over the stored bytes is only needed for uncompressed entries. */
    if (compression == FK_COMPRESSION_NONE &&
        FK_CHECKSUMS_DIFFER(fk_crc32(stored, (size_t)stored_size), crc)) {
        status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: checksum mismatch of its %llu stored "
                         "bytes" FK_DAMAGED, name, (unsigned long long)stored_size);
        goto cleanup;
    }
    if (compression == FK_COMPRESSION_NONE) {
        if (stored_size != raw_size) {
            status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: stored size %llu differs from its size "
                             "%llu" FK_DAMAGED, name, (unsigned long long)stored_size,
                             (unsigned long long)raw_size);
            goto cleanup;
        }
        *data = stored;
        *length = (size_t)raw_size;
        return status;
    }
    /* A chunked entry starts with a skippable frame (its index): its size is the sum of its
     * frames', checked after decompressing like every other entry's. */
    /* bounded before anything is allocated: zstd's own ratio limit, and a cap for what is
     * held in memory (files are streamed, never read whole) */
    if (raw_size / FK_MAX_ZSTD_RATIO > stored_size || raw_size > FK_MAX_MEMORY_ENTRY) {
        status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: size %llu is impossible for %llu stored "
                         "bytes or over the %u-byte limit" FK_DAMAGED, name,
                         (unsigned long long)raw_size, (unsigned long long)stored_size,
                         FK_MAX_MEMORY_ENTRY);
        goto cleanup;
    }
    frame_size = stored_size >= 4 && (get_le(stored, 4) & 0xFFFFFFF0u) == 0x184D2A50u
                     ? ZSTD_CONTENTSIZE_UNKNOWN
                     : ZSTD_getFrameContentSize(stored, (size_t)stored_size);
    if (frame_size == ZSTD_CONTENTSIZE_ERROR ||
        (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size != raw_size) ||
        raw_size > SIZE_MAX - 1) {
        status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: corrupt zstd frame (header gives %llu "
                         "bytes, expected %llu)" FK_DAMAGED, name, frame_size,
                         (unsigned long long)raw_size);
        goto cleanup;
    }
    raw = malloc(raw_size ? (size_t)raw_size : 1);
    if (raw == NULL) {
        status = fk_fail(FK_E_MEMORY, ENOMEM, "entry %s: out of memory for %llu bytes", name,
                         (unsigned long long)raw_size);
        goto cleanup;
    }
    done = pyz != NULL && pyz->ddict != NULL
               ? ZSTD_decompress_usingDDict(pyz->dctx, raw, (size_t)raw_size, stored,
                                            (size_t)stored_size, pyz->ddict)
               : ZSTD_decompress(raw, (size_t)raw_size, stored, (size_t)stored_size);
    if (ZSTD_isError(done)) {
        status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: zstd decompression failed: %s" FK_DAMAGED,
                         name, ZSTD_getErrorName(done));
        goto cleanup;
    }
    if (done != raw_size) {
        status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: decompressed to %lu bytes, expected %llu"
                         FK_DAMAGED, name, (unsigned long)done, (unsigned long long)raw_size);
        goto cleanup;
    }
    *data = raw;
    *length = done;
    raw = NULL;
cleanup:
    free(stored);
    free(raw);
    return status;
}

static fk_status read_stored(const struct fk_archive *archive, const char *name,
                             uint64_t offset, uint64_t size, unsigned char **stored)
{
    fk_status status;
    *stored = NULL;
    if (size > SIZE_MAX - 1) {
        return fk_fail(FK_E_ARCHIVE, 0, "entry %s is too large (%llu bytes) for this system",
                       name, (unsigned long long)size);
    }
    *stored = malloc(size ? (size_t)size : 1);
    if (*stored == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "entry %s: out of memory for %llu bytes", name,
                       (unsigned long long)size);
    }
    status = fk_platform_read_at(archive->file, archive->path, offset, *stored, (size_t)size);
    if (FK_FAILED(status)) {
        free(*stored);
        *stored = NULL;
    }
    return status;
}

enum { FK_STREAM_CHUNK = 1 << 17, FK_SMALL_WINDOW = 1 << 18 };

/* Frames up to this many raw bytes are decoded in one call into the decoder's `whole`
 * buffer: from the mapped file, with no window buffer in between nor a copy out of it. Larger
 * ones stream through the window (2 MiB for library frames) and 128 KiB pieces, whatever their
 * size. Unchunked frames are under FK_CHUNKED_MIN_SIZE; the chunks of a file just over it
 * (libpython: 2 x 2.7 MiB) are too. */
#define FK_WHOLE_MAX ((size_t)FK_CHUNKED_MIN_SIZE)
/* A `whole` buffer up to this size is kept for the decoder's next frames (many small files);
 * a larger one is given back after its frame, and so are the mapped pages of the stored bytes
 * a frame was read from: the memory of a decoder working while the app runs (the start-up
 * thread, on-demand unpacking) stays about one frame, whatever it unpacks. Measured with the
 * start-up thread reading through the mapping (peak RSS, /usr/bin/time, 6 runs): numpy_app
 * 37.1-40.0 MB -> 29.0-31.5 MB, stdlib_app 31.5-32.8 -> 28.7-30.3, hello 11.4-11.8 -> 9.3-9.4. */
#define FK_WHOLE_KEEP ((size_t)1 << 20)

struct fk_decoder {
    ZSTD_DCtx *dctx;
    unsigned char *in;  /* FK_STREAM_CHUNK stored bytes (only when the file is not mapped) */
    unsigned char *out; /* ZSTD_DStreamOutSize() raw bytes */
    unsigned char *whole; /* whole_size bytes: one frame's raw bytes, or NULL */
    size_t whole_size;
    const unsigned char *map; /* fk_decoder_use_map */
    uint64_t map_size;
    int keep_pages; /* fk_decoder_keep_pages */
};

/* zstd's own memory (the context, and the window of a streamed frame: a few hundred KiB)
 * comes from the system's pages and goes back to it when freed. Through malloc, freeing such
 * a block raised glibc's mmap threshold, and later allocations of that size by the app stayed
 * in the heap: hello's peak RSS 9.3 -> 9.9 MB once libpython's chunks streamed. */
enum { FK_ZSTD_HEADER = 64 }; /* keeps the block's alignment; holds its size */

static void *zstd_alloc(void *opaque, size_t size)
{
    unsigned char *block;
    (void)opaque;
    if (size > SIZE_MAX - FK_ZSTD_HEADER) {
        return NULL;
    }
    block = fk_platform_alloc_pages(size + FK_ZSTD_HEADER);
    if (block == NULL) {
        return NULL;
    }
    memcpy(block, &size, sizeof size);
    return block + FK_ZSTD_HEADER;
}

static void zstd_free(void *opaque, void *address)
{
    unsigned char *block = address;
    size_t size;
    (void)opaque;
    if (block != NULL) {
        memcpy(&size, block - FK_ZSTD_HEADER, sizeof size);
        fk_platform_free_pages(block - FK_ZSTD_HEADER, size + FK_ZSTD_HEADER);
    }
}

fk_status fk_decoder_new(struct fk_decoder **decoder, int trusted)
{
    struct fk_decoder *made = calloc(1, sizeof *made);
    *decoder = NULL;
    if (made != NULL) {
        ZSTD_customMem memory;
        memory.customAlloc = zstd_alloc;
        memory.customFree = zstd_free;
        memory.opaque = NULL;
        made->dctx = ZSTD_createDCtx_advanced(memory);
    }
    if (made == NULL || made->dctx == NULL) {
        fk_decoder_free(made);
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for decompression");
    }
    if (trusted) {
        ZSTD_DCtx_setParameter(made->dctx, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);
    }
    *decoder = made;
    return fk_ok();
}

void fk_decoder_free(struct fk_decoder *decoder)
{
    if (decoder != NULL) {
        ZSTD_freeDCtx(decoder->dctx);
        fk_platform_free_pages(decoder->in, FK_STREAM_CHUNK);
        fk_platform_free_pages(decoder->out, ZSTD_DStreamOutSize());
        fk_platform_free_pages(decoder->whole, decoder->whole_size);
        free(decoder);
    }
}

void fk_decoder_use_map(struct fk_decoder *decoder, const unsigned char *map, uint64_t size)
{
    decoder->map = map;
    decoder->map_size = map != NULL ? size : 0;
}

void fk_decoder_keep_pages(struct fk_decoder *decoder)
{
    decoder->keep_pages = 1;
}

/* The buffers a streaming decode needs, made on first use. */
static fk_status stream_buffers(struct fk_decoder *decoder, int mapped)
{
    if (decoder->out == NULL) { /* pages, as zstd's own memory (zstd_alloc) */
        decoder->out = fk_platform_alloc_pages(ZSTD_DStreamOutSize());
    }
    if (!mapped && decoder->in == NULL) {
        decoder->in = fk_platform_alloc_pages(FK_STREAM_CHUNK);
    }
    if (decoder->out == NULL || (!mapped && decoder->in == NULL)) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for decompression");
    }
    return fk_ok();
}

/* One call for the stored bytes stored[0..left) (in the mapped file), which must give exactly
 * raw_size (<= FK_WHOLE_MAX) bytes, handed to `sink` at once. */
static fk_status decode_whole(const char *name, const unsigned char *stored, uint64_t left,
                              uint64_t raw_size, struct fk_decoder *decoder, fk_sink sink,
                              void *user)
{
    fk_status status = fk_ok();
    size_t done;
    if (decoder->whole_size < raw_size) {
        fk_platform_free_pages(decoder->whole, decoder->whole_size);
        decoder->whole_size = 0;
        decoder->whole = fk_platform_alloc_pages((size_t)raw_size);
        if (decoder->whole == NULL) {
            return fk_fail(FK_E_MEMORY, ENOMEM, "entry %s: out of memory for %llu bytes", name,
                           (unsigned long long)raw_size);
        }
        decoder->whole_size = (size_t)raw_size;
    }
    /* every frame of the range (a chunked entry's skippable index frame is skipped); the
     * output cannot pass raw_size bytes */
    done = ZSTD_decompressDCtx(decoder->dctx, decoder->whole, (size_t)raw_size, stored,
                               (size_t)left);
    if (!decoder->keep_pages) {
        fk_platform_release_mapped(stored, (size_t)left);
    }
    if (ZSTD_isError(done)) {
        status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: zstd decompression failed: %s" FK_DAMAGED,
                         name, ZSTD_getErrorName(done));
    } else if (done != raw_size) {
        status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: zstd frame ends after %llu of %llu bytes"
                         FK_DAMAGED, name, (unsigned long long)done,
                         (unsigned long long)raw_size);
    } else if (done > 0) {
        status = sink(user, decoder->whole, done);
    }
    if (decoder->whole_size > FK_WHOLE_KEEP) {
        fk_platform_free_pages(decoder->whole, decoder->whole_size);
        decoder->whole = NULL;
        decoder->whole_size = 0;
    }
    return status;
}

/* The window of the zstd frame starting at stored[0..left), or 0 when the frame is single
 * segment (its window is its content), not a frame (a chunk index) or too short. */
static uint64_t frame_window(const unsigned char *stored, uint64_t left)
{
    unsigned descriptor, exponent;
    uint64_t base;
    if (left < 6 || get_le(stored, 4) != ZSTD_MAGICNUMBER || (stored[4] & 0x20) != 0) {
        return 0;
    }
    descriptor = stored[5];
    exponent = descriptor >> 3;
    base = (uint64_t)1 << (10 + exponent);
    return base + base / 8 * (descriptor & 7);
}

/* Decompresses the stored bytes [offset, offset+left) of the file, which must give exactly
 * raw_size bytes, handing them to `sink` piece by piece. A mapped frame up to FK_WHOLE_MAX is
 * decoded in one call (decode_whole), unless its window is at most a quarter of its size, or
 * at most FK_SMALL_WINDOW and smaller than it (libpython and base_library.zip, written with a
 * 256 KiB window: freezekit/archive/pyz.py, EAGER_WINDOW_LOG): it then streams through the
 * decoder's window and 128 KiB pieces, a few hundred KiB that stay in the processor's cache
 * (and serve the thread's next frames), instead of a buffer of the frame's size whose every
 * fresh page is a page fault (about 2 us each on a VM; 700 per 2.7 MiB chunk). */
static fk_status stream_range(const struct fk_archive *archive, const char *name,
                              uint64_t offset, uint64_t left, uint64_t raw_size,
                              struct fk_decoder *decoder, fk_sink sink, void *user)
{
    uint64_t produced = 0, first = offset, total = left;
    size_t last = 1;
    int mapped = decoder->map != NULL && offset <= decoder->map_size &&
                 left <= decoder->map_size - offset;
    int small_window = 0;
    fk_status status;
    /* a decoder left mid-frame by an earlier error starts over */
    ZSTD_DCtx_reset(decoder->dctx, ZSTD_reset_session_only);
    if (mapped) {
        uint64_t window = frame_window(decoder->map + offset, left);
        small_window = window != 0 && (window <= raw_size / 4 ||
                                       (window <= FK_SMALL_WINDOW && window < raw_size));
    }
    if (mapped && raw_size <= FK_WHOLE_MAX && !small_window) {
        return decode_whole(name, decoder->map + offset, left, raw_size, decoder, sink, user);
    }
    status = stream_buffers(decoder, mapped);
    while (left > 0 && !FK_FAILED(status)) {
        size_t chunk = left < FK_STREAM_CHUNK || mapped ? (size_t)left : FK_STREAM_CHUNK;
        ZSTD_inBuffer input;
        if (mapped) {
            input.src = decoder->map + offset;
        } else {
            status = fk_platform_read_at(archive->file, archive->path, offset, decoder->in,
                                         chunk);
            if (FK_FAILED(status)) {
                break;
            }
            input.src = decoder->in;
        }
        offset += chunk;
        left -= chunk;
        input.size = chunk;
        input.pos = 0;
        while (input.pos < input.size && !FK_FAILED(status)) {
            ZSTD_outBuffer output;
            output.dst = decoder->out;
            output.size = ZSTD_DStreamOutSize();
            output.pos = 0;
            last = ZSTD_decompressStream(decoder->dctx, &output, &input);
            if (ZSTD_isError(last)) {
                return fk_fail(FK_E_ARCHIVE, 0, "entry %s: zstd decompression failed: %s"
                               FK_DAMAGED, name, ZSTD_getErrorName(last));
            }
            produced += output.pos;
            if (produced > raw_size) {
                return fk_fail(FK_E_ARCHIVE, 0, "entry %s: decompresses past its %llu bytes"
                               FK_DAMAGED, name, (unsigned long long)raw_size);
            }
            if (output.pos > 0) {
                status = sink(user, decoder->out, output.pos);
            }
        }
    }
    if (mapped && !decoder->keep_pages) {
        fk_platform_release_mapped(decoder->map + first, (size_t)total);
    }
    if (!FK_FAILED(status) && (last != 0 || produced != raw_size)) {
        status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: zstd frame ends after %llu of %llu bytes"
                         FK_DAMAGED, name, (unsigned long long)produced,
                         (unsigned long long)raw_size);
    }
    return status;
}

/* Streams [offset, offset+stored) of the file through `decoder`, or a fresh one. */
static fk_status stream_zstd(const struct fk_archive *archive, const char *name, uint64_t offset,
                             uint64_t stored, uint64_t raw_size, struct fk_decoder *decoder,
                             fk_sink sink, void *user)
{
    struct fk_decoder *fresh = NULL;
    fk_status status = fk_ok();
    if (decoder == NULL) {
        status = fk_decoder_new(&fresh, 0);
        decoder = fresh;
    }
    if (!FK_FAILED(status)) {
        status = stream_range(archive, name, offset, stored, raw_size, decoder, sink, user);
    }
    fk_decoder_free(fresh);
    return status;
}

fk_status fk_archive_chunks(const struct fk_archive *archive, const struct fk_entry *entry,
                            struct fk_chunk **chunks, size_t *count)
{
    static const unsigned char magic[] = FK_CHUNK_INDEX_MAGIC_BYTES;
    unsigned char header[FK_CHUNK_INDEX_SIZE];
    unsigned char *records = NULL;
    uint64_t stored = 0, raw = 0, number, index_size, i;
    uint64_t base = archive->pkg_offset + entry->data_offset;
    fk_status status;
    *chunks = NULL;
    *count = 0;
    if (entry->compression != FK_COMPRESSION_ZSTD || entry->raw_size < FK_CHUNKED_MIN_SIZE ||
        entry->stored_size < FK_CHUNK_INDEX_SIZE) {
        return fk_ok();
    }
    status = fk_platform_read_at(archive->file, archive->path, base, header, sizeof header);
    if (FK_FAILED(status)) {
        return status;
    }
    if (FIELD(header, FK_CHUNK_INDEX, FRAME_MAGIC) != FK_SKIPPABLE_MAGIC ||
        memcmp(header + FK_CHUNK_INDEX_MAGIC_OFF, magic, FK_CHUNK_INDEX_MAGIC_LEN) != 0) {
        return fk_ok(); /* one plain frame */
    }
    number = FIELD(header, FK_CHUNK_INDEX, COUNT);
    index_size = FK_CHUNK_INDEX_SIZE + number * FK_CHUNK_SIZE;
    if (number == 0 || number > entry->stored_size / FK_CHUNK_SIZE ||
        index_size > entry->stored_size ||
        FIELD(header, FK_CHUNK_INDEX, FRAME_SIZE) != index_size - 8) {
        return fk_fail(FK_E_ARCHIVE, 0, "entry %s: chunk index is malformed" FK_DAMAGED,
                       entry->name);
    }
    records = malloc((size_t)(number * FK_CHUNK_SIZE));
    *chunks = calloc((size_t)number, sizeof **chunks);
    if (records == NULL || *chunks == NULL) {
        status = fk_fail(FK_E_MEMORY, ENOMEM, "entry %s: out of memory", entry->name);
        goto cleanup;
    }
    status = fk_platform_read_at(archive->file, archive->path, base + FK_CHUNK_INDEX_SIZE,
                                 records, (size_t)(number * FK_CHUNK_SIZE));
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    stored = index_size;
    for (i = 0; i < number; i++) {
        const unsigned char *record = records + i * FK_CHUNK_SIZE;
        struct fk_chunk *chunk = &(*chunks)[i];
        chunk->stored_offset = stored;
        chunk->stored_size = FIELD(record, FK_CHUNK, STORED_SIZE);
        chunk->raw_offset = raw;
        chunk->raw_size = FIELD(record, FK_CHUNK, RAW_SIZE);
        if (chunk->stored_size == 0 || chunk->raw_size == 0 ||
            chunk->raw_size > FK_CHUNK_RAW_SIZE ||
            chunk->stored_size > entry->stored_size - stored) {
            status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: chunk %llu lies outside the entry"
                             FK_DAMAGED, entry->name, (unsigned long long)i);
            goto cleanup;
        }
        stored += chunk->stored_size;
        raw += chunk->raw_size;
    }
    if (stored != entry->stored_size || raw != entry->raw_size) {
        status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: chunks do not add up to the entry"
                         FK_DAMAGED, entry->name);
        goto cleanup;
    }
    *count = (size_t)number;
cleanup:
    free(records);
    if (FK_FAILED(status)) {
        free(*chunks);
        *chunks = NULL;
    }
    return status;
}

fk_status fk_archive_decode(const struct fk_archive *archive, const struct fk_entry *entry,
                            const struct fk_chunk *chunk, struct fk_decoder *decoder,
                            fk_sink sink, void *user)
{
    fk_status status = fk_ok();
    if (chunk != NULL) {
        return stream_zstd(archive, entry->name,
                           archive->pkg_offset + entry->data_offset + chunk->stored_offset,
                           chunk->stored_size, chunk->raw_size, decoder, sink, user);
    }
    if (entry->compression != FK_COMPRESSION_ZSTD) {
        unsigned char *data = NULL;
        size_t length = 0;
        status = fk_archive_read(archive, entry, &data, &length);
        if (!FK_FAILED(status)) {
            status = sink(user, data, length);
        }
        free(data);
        return status;
    }
    /* a chunked entry streams as well: zstd skips the index frame and reads across frames */
    return stream_zstd(archive, entry->name, archive->pkg_offset + entry->data_offset,
                       entry->stored_size, entry->raw_size, decoder, sink, user);
}

fk_status fk_archive_stream_chunk(const struct fk_archive *archive, const struct fk_entry *entry,
                                  const struct fk_chunk *chunk, fk_sink sink, void *user)
{
    return fk_archive_decode(archive, entry, chunk, NULL, sink, user);
}

fk_status fk_archive_stream(const struct fk_archive *archive, const struct fk_entry *entry,
                            fk_sink sink, void *user)
{
    return fk_archive_decode(archive, entry, NULL, NULL, sink, user);
}

fk_status fk_archive_read(const struct fk_archive *archive, const struct fk_entry *entry,
                          unsigned char **data, size_t *length)
{
    unsigned char *stored;
    fk_status status = read_stored(archive, entry->name, archive->pkg_offset + entry->data_offset,
                                   entry->stored_size, &stored);
    if (FK_FAILED(status)) {
        return status;
    }
    return decode_data(entry->name, stored, entry->stored_size, entry->compression,
                       entry->crc32, entry->raw_size, NULL, data, length);
}

void fk_pyz_init(struct fk_pyz *pyz)
{
    memset(pyz, 0, sizeof *pyz);
}

void fk_pyz_close(struct fk_pyz *pyz)
{
    ZSTD_freeDDict(pyz->ddict);
    ZSTD_freeDCtx(pyz->dctx);
    free(pyz->blob);
    free(pyz->index);
    free(pyz->entries);
    fk_pyz_init(pyz);
}

/* Bytes [offset, offset+size) of the PYZ, from memory or from the file. */
static fk_status pyz_bytes(const struct fk_pyz *pyz, const char *name, uint64_t offset,
                           uint64_t size, unsigned char **out)
{
    if (pyz->blob != NULL) {
        *out = malloc(size ? (size_t)size : 1);
        if (*out == NULL) {
            return fk_fail(FK_E_MEMORY, ENOMEM, "%s: out of memory for %llu bytes", name,
                           (unsigned long long)size);
        }
        memcpy(*out, pyz->blob + offset, (size_t)size);
        return fk_ok();
    }
    return read_stored(pyz->archive, name,
                       pyz->archive->pkg_offset + pyz->entry->data_offset + offset, size, out);
}

static fk_status pyz_decode_entry(struct fk_pyz *pyz, size_t number, uint64_t *position,
                                  uint64_t index_offset, uint64_t index_length)
{
    const unsigned char *raw = pyz->index + *position;
    struct fk_pyz_entry *entry = &pyz->entries[number];
    uint64_t remaining = index_length - *position;
    uint64_t length;
    size_t name_length;

    if (remaining < FK_PYZ_ENTRY_SIZE) {
        return fk_fail(FK_E_ARCHIVE, 0, "PYZ entry %lu: PYZ index truncated" FK_DAMAGED,
                       (unsigned long)number);
    }
    length = FIELD(raw, FK_PYZ_ENTRY, ENTRY_LENGTH);
    name_length = (size_t)FIELD(raw, FK_PYZ_ENTRY, NAME_LENGTH);
    entry->is_package = (FIELD(raw, FK_PYZ_ENTRY, FLAGS) & FK_PYZ_FLAG_PACKAGE) != 0;
    entry->compression = (unsigned)FIELD(raw, FK_PYZ_ENTRY, COMPRESSION);
    entry->crc32 = (uint32_t)FIELD(raw, FK_PYZ_ENTRY, CRC32);
    entry->data_offset = FIELD(raw, FK_PYZ_ENTRY, DATA_OFFSET);
    entry->stored_size = FIELD(raw, FK_PYZ_ENTRY, STORED_SIZE);
    entry->raw_size = FIELD(raw, FK_PYZ_ENTRY, RAW_SIZE);
    entry->name = (const char *)raw + FK_PYZ_ENTRY_SIZE;
    if ((entry->compression != FK_COMPRESSION_NONE && entry->compression != FK_COMPRESSION_ZSTD) ||
        name_length == 0 || length < FK_PYZ_ENTRY_SIZE + name_length + 1 ||
        length % FK_NAME_ALIGN != 0 || length > remaining || entry->name[name_length] != '\0' ||
        memchr(entry->name, '\0', name_length) != NULL) {
        return fk_fail(FK_E_ARCHIVE, 0, "PYZ entry %lu is malformed (length %llu)" FK_DAMAGED,
                       (unsigned long)number, (unsigned long long)length);
    }
    if (entry->data_offset < pyz->data_start ||
        exceeds(entry->data_offset, entry->stored_size, index_offset)) {
        return fk_fail(FK_E_ARCHIVE, 0, "PYZ entry %s: data %llu+%llu lies outside the PYZ data"
                       FK_DAMAGED, entry->name, (unsigned long long)entry->data_offset,
                       (unsigned long long)entry->stored_size);
    }
    *position += length;
    return fk_ok();
}

/* The compression dictionary stored (as a zstd frame) right after the PYZ header. */
static fk_status pyz_open_dictionary(struct fk_pyz *pyz, uint64_t stored_size)
{
    enum { FK_DICT_MAX = 4 << 20 };
    unsigned char *stored = NULL, *raw = NULL;
    unsigned long long raw_size;
    size_t done;
    fk_status status = pyz_bytes(pyz, "PYZ dictionary", FK_PYZ_HEADER_SIZE, stored_size, &stored);
    if (FK_FAILED(status)) {
        return status;
    }
    raw_size = ZSTD_getFrameContentSize(stored, (size_t)stored_size);
    if (raw_size == ZSTD_CONTENTSIZE_ERROR || raw_size == ZSTD_CONTENTSIZE_UNKNOWN ||
        raw_size == 0 || raw_size > FK_DICT_MAX) {
        status = fk_fail(FK_E_ARCHIVE, 0, "PYZ dictionary frame is invalid" FK_DAMAGED);
        goto cleanup;
    }
    raw = malloc((size_t)raw_size);
    pyz->dctx = ZSTD_createDCtx();
    if (raw == NULL || pyz->dctx == NULL) {
        status = fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the PYZ dictionary");
        goto cleanup;
    }
    done = ZSTD_decompress(raw, (size_t)raw_size, stored, (size_t)stored_size);
    if (ZSTD_isError(done) || done != raw_size) {
        status = fk_fail(FK_E_ARCHIVE, 0, "PYZ dictionary does not decompress" FK_DAMAGED);
        goto cleanup;
    }
    pyz->ddict = ZSTD_createDDict(raw, done);
    if (pyz->ddict == NULL) {
        status = fk_fail(FK_E_ARCHIVE, 0, "PYZ dictionary is not a zstd dictionary" FK_DAMAGED);
    }
cleanup:
    free(stored);
    free(raw);
    return status;
}

static fk_status pyz_read_index(struct fk_pyz *pyz)
{
    static const unsigned char magic[FK_MAGIC_LEN] = FK_PYZ_MAGIC_BYTES;
    unsigned char *header = NULL;
    uint64_t index_offset, index_length, dict_length, position = 0;
    uint32_t count, index_crc;
    size_t i;
    fk_status status;

    if (pyz->size < FK_PYZ_HEADER_SIZE) {
        return fk_fail(FK_E_ARCHIVE, 0, "PYZ truncated: shorter than its header" FK_DAMAGED);
    }
    status = pyz_bytes(pyz, "PYZ header", 0, FK_PYZ_HEADER_SIZE, &header);
    if (FK_FAILED(status)) {
        return status;
    }
    count = (uint32_t)FIELD(header, FK_PYZ_HEADER, COUNT);
    dict_length = FIELD(header, FK_PYZ_HEADER, DICT_LENGTH);
    pyz->data_start = FK_PYZ_HEADER_SIZE + dict_length;
    index_offset = FIELD(header, FK_PYZ_HEADER, INDEX_OFFSET);
    index_length = FIELD(header, FK_PYZ_HEADER, INDEX_LENGTH);
    index_crc = (uint32_t)FIELD(header, FK_PYZ_HEADER, INDEX_CRC32);
    if (memcmp(header, magic, FK_MAGIC_LEN) != 0 ||
        FIELD(header, FK_PYZ_HEADER, VERSION) != FK_PYZ_VERSION ||
        index_offset < FK_PYZ_HEADER_SIZE || exceeds(index_offset, index_length, pyz->size) ||
        index_offset + index_length != pyz->size || count > index_length / FK_PYZ_ENTRY_SIZE ||
        pyz->data_start > index_offset) {
        status = fk_fail(FK_E_ARCHIVE, 0, "PYZ header is invalid (wrong magic, version, index "
                         "or dictionary position)" FK_DAMAGED);
        goto cleanup;
    }
    if (dict_length > 0) {
        status = pyz_open_dictionary(pyz, dict_length);
        if (FK_FAILED(status)) {
            goto cleanup;
        }
    }
    status = pyz_bytes(pyz, "PYZ index", index_offset, index_length, &pyz->index);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    if (FK_CHECKSUMS_DIFFER(fk_crc32(pyz->index, (size_t)index_length), index_crc)) {
        status = fk_fail(FK_E_ARCHIVE, 0, "PYZ index checksum mismatch" FK_DAMAGED);
        goto cleanup;
    }
    pyz->entries = calloc(count ? count : 1, sizeof *pyz->entries);
    if (pyz->entries == NULL) {
        status = fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for %lu PYZ entries",
                         (unsigned long)count);
        goto cleanup;
    }
    for (i = 0; i < count; i++) {
        status = pyz_decode_entry(pyz, i, &position, index_offset, index_length);
        if (FK_FAILED(status)) {
            goto cleanup;
        }
    }
    if (position != index_length) {
        status = fk_fail(FK_E_ARCHIVE, 0, "PYZ index has stray bytes" FK_DAMAGED);
        goto cleanup;
    }
    pyz->count = count;
cleanup:
    free(header);
    return status;
}

fk_status fk_pyz_open(struct fk_pyz *pyz, const struct fk_archive *archive,
                      const struct fk_entry *entry)
{
    fk_status status = fk_ok();
    size_t length = 0;

    fk_pyz_close(pyz);
    pyz->archive = archive;
    pyz->entry = entry;
    if (entry->compression != FK_COMPRESSION_NONE) {
        status = fk_archive_read(archive, entry, &pyz->blob, &length);
        pyz->size = length;
    } else {
        /* Stored: read lazily from the file; module data carries its own checksum. */
        pyz->size = entry->stored_size;
        if (entry->stored_size != entry->raw_size) {
            status = fk_fail(FK_E_ARCHIVE, 0, "entry %s: stored size differs from its size"
                             FK_DAMAGED, entry->name);
        }
    }
    if (!FK_FAILED(status)) {
        status = pyz_read_index(pyz);
    }
    if (FK_FAILED(status)) {
        fk_pyz_close(pyz);
    }
    return status;
}

fk_status fk_pyz_read(const struct fk_pyz *pyz, size_t index, unsigned char **data,
                      size_t *length)
{
    const struct fk_pyz_entry *entry;
    unsigned char *stored;
    fk_status status;
    if (index >= pyz->count) {
        return fk_fail(FK_E_ARCHIVE, 0, "no PYZ entry number %lu", (unsigned long)index);
    }
    entry = &pyz->entries[index];
    status = pyz_bytes(pyz, entry->name, entry->data_offset, entry->stored_size, &stored);
    if (FK_FAILED(status)) {
        return status;
    }
    return decode_data(entry->name, stored, entry->stored_size, entry->compression,
                       entry->crc32, entry->raw_size, pyz, data, length);
}
