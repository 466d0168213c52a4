/* Reader of the archive appended to the executable: trailer, TOC, entry data and the PYZ.
 * Every offset and length is checked against the file size before it is used. */
#ifndef FK_ARCHIVE_H
#define FK_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "archive_format.h"
#include "platform.h"
#include "status.h"

struct fk_entry {
    const char *name;  /* NUL-terminated, points into the archive's TOC bytes */
    size_t name_length;
    unsigned kind;        /* FK_KIND_* */
    unsigned compression; /* FK_COMPRESSION_* */
    uint32_t mode;
    uint32_t crc32;       /* of the stored bytes */
    uint64_t data_offset; /* from the PKG start */
    uint64_t stored_size;
    uint64_t raw_size;
};

struct fk_archive {
    char path[FK_PATH_MAX];
    fk_handle file;
    uint64_t file_size;
    uint32_t flags;
    uint64_t pkg_offset;
    uint64_t pkg_length;
    uint64_t toc_offset;
    uint64_t toc_length;
    uint32_t toc_count;
    uint32_t toc_crc32;
    unsigned py_major;
    unsigned py_minor;
    unsigned char content_id[FK_TRAILER_CONTENT_ID_LEN];
    uint64_t payload_xxh64; /* XXH64 of the whole PKG (fk_archive_verify) */
    uint64_t prefix_length; /* the PKG's prefix (format.py "Prefix"); 0: none */
    uint64_t prefix_xxh64;  /* XXH64 of the prefix's bytes then the TOC's */
    char content_hex[2 * FK_TRAILER_CONTENT_ID_LEN + 1];
    char libpython[FK_LIBPYTHON_FIELD];
    unsigned char *toc;
    struct fk_entry *entries;
    size_t count;
    uint32_t *by_name; /* entry indexes sorted by name, equal names in TOC order */
};

struct fk_pyz_entry {
    const char *name; /* points into the index */
    int is_package;
    unsigned compression;
    uint32_t crc32;
    uint64_t data_offset; /* from the PYZ start */
    uint64_t stored_size;
    uint64_t raw_size;
};

struct ZSTD_DCtx_s;
struct ZSTD_DDict_s;

struct fk_pyz {
    const struct fk_archive *archive;
    const struct fk_entry *entry;
    unsigned char *blob; /* the whole PYZ when it is stored compressed, else NULL */
    uint64_t size;
    unsigned char *index;
    struct fk_pyz_entry *entries;
    size_t count;
    uint64_t data_start;       /* module data starts here: after the header and dictionary */
    struct ZSTD_DDict_s *ddict; /* the PYZ's compression dictionary, or NULL */
    struct ZSTD_DCtx_s *dctx;   /* the decoder used with it */
};

/* Zero-initialise before use so fk_archive_close is always safe. */
void fk_archive_init(struct fk_archive *archive);
fk_status fk_archive_open(struct fk_archive *archive, const char *path);
void fk_archive_close(struct fk_archive *archive);
/* Reads the whole PKG and compares its XXH64 with the trailer's: damage anywhere in the
 * payload (data, PYZ, TOC) is found before anything is unpacked or run. */
fk_status fk_archive_verify(const struct fk_archive *archive);
/* The same check through read calls and one small buffer: for a thread working beside the
 * decoders (no mapping of its own). */
fk_status fk_archive_verify_read(const struct fk_archive *archive);
/* The payload digest in two parts (onefile temp mode, docs/hardening.md): the first hashes
 * the PKG's prefix (archive->prefix_length bytes) into `state` and checks the prefix digest
 * (the prefix's bytes, then the TOC: everything the launcher reads before Python runs code);
 * the second goes on from that `state` over the rest and checks the whole payload's digest,
 * so no byte of the payload is hashed twice. The first reads from `map` (the whole file
 * mapped by the caller, as the decoders get it) or, NULL, through a small buffer; the second,
 * with `own_mapping`, maps the file itself and gives each part back once hashed, else reads it
 * through a small buffer (beside the decoders: their allocations and a mapping of its own
 * wait on each other for the process's memory map lock). */
struct fk_xxh64;
fk_status fk_archive_verify_prefix(const struct fk_archive *archive, const unsigned char *map,
                                   struct fk_xxh64 *state);
fk_status fk_archive_verify_rest(const struct fk_archive *archive, struct fk_xxh64 *state,
                                 int own_mapping);
/* Whether pkg[offset, offset + size) lies inside the prefix. */
int fk_archive_in_prefix(const struct fk_archive *archive, uint64_t offset, uint64_t size);
/* The first entry (in TOC order) called `name` and of `kind`; kind 0 matches any kind. A
 * binary search of archive->by_name: O(log n). */
const struct fk_entry *fk_archive_find(const struct fk_archive *archive, const char *name,
                                       unsigned kind);
/* The decompressed, checked data of `entry` in a malloc'd buffer (never NULL on success). */
/* Decompresses a zstd entry piece by piece through fixed-size buffers, handing each piece to
 * `sink` (in order); the memory used does not grow with the entry's size. */
typedef fk_status (*fk_sink)(void *user, const void *data, size_t length);
fk_status fk_archive_stream(const struct fk_archive *archive, const struct fk_entry *entry,
                            fk_sink sink, void *user);
fk_status fk_archive_read(const struct fk_archive *archive, const struct fk_entry *entry,
                          unsigned char **data, size_t *length);

/* One frame of a chunked entry (archive_format.h, "Chunked file entries"). */
struct fk_chunk {
    uint64_t stored_offset; /* from the entry's start */
    uint64_t stored_size;
    uint64_t raw_offset; /* in the unpacked file */
    uint64_t raw_size;
};
/* The checked chunk index of `entry` in a malloc'd array; *count = 0 (and NULL) when the
 * entry is not chunked. */
fk_status fk_archive_chunks(const struct fk_archive *archive, const struct fk_entry *entry,
                            struct fk_chunk **chunks, size_t *count);
/* Like fk_archive_stream, for one chunk: gives exactly chunk->raw_size bytes. */
fk_status fk_archive_stream_chunk(const struct fk_archive *archive, const struct fk_entry *entry,
                                  const struct fk_chunk *chunk, fk_sink sink, void *user);

/* A zstd decoder with its buffers, made once and used for many entries by one thread. With
 * `trusted` (this process checked the payload digest, fk_archive_verify, which covers every
 * stored byte, or checks it before anything decoded is used: fk_extract_temp) the frames'
 * content checksums are not computed again: the same bytes are not hashed twice. Every size
 * and format check stays. */
struct fk_decoder;
fk_status fk_decoder_new(struct fk_decoder **decoder, int trusted);
void fk_decoder_free(struct fk_decoder *decoder);
/* The decoder reads stored bytes from `map`, the first `size` bytes of the archive's file
 * mapped (fk_platform_map) by the caller, who unmaps it after the decoder's last use; NULL:
 * through fk_platform_read_at and a buffer. */
void fk_decoder_use_map(struct fk_decoder *decoder, const unsigned char *map, uint64_t size);
/* After each frame the decoder gives back the mapped pages it read (fk_platform_release_mapped:
 * a decoder working while the app runs holds about one frame); with this, it leaves them to
 * the caller, who unmaps the whole file soon after (the launcher's extraction: one madvise
 * call less per frame, about 0.3 ms of CPU of hello's two decoding threads). */
void fk_decoder_keep_pages(struct fk_decoder *decoder);
/* fk_archive_stream (chunk NULL) or fk_archive_stream_chunk through `decoder` (NULL: a fresh,
 * untrusted one for this call). */
fk_status fk_archive_decode(const struct fk_archive *archive, const struct fk_entry *entry,
                            const struct fk_chunk *chunk, struct fk_decoder *decoder,
                            fk_sink sink, void *user);
const char *fk_archive_kind_name(unsigned kind);
int fk_archive_is_file_kind(unsigned kind);

void fk_pyz_init(struct fk_pyz *pyz);
fk_status fk_pyz_open(struct fk_pyz *pyz, const struct fk_archive *archive,
                      const struct fk_entry *entry);
fk_status fk_pyz_read(const struct fk_pyz *pyz, size_t index, unsigned char **data,
                      size_t *length);
void fk_pyz_close(struct fk_pyz *pyz);

#endif /* FK_ARCHIVE_H */
