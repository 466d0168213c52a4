/* libFuzzer target: the bootloader's archive reader and extraction on arbitrary bytes.
 *
 * Each input is written to a scratch file and opened like an executable: trailer, TOC,
 * payload digest, every entry looked up by name, read whole and streamed (chunk by chunk when chunked), the
 * PYZ index and every module, the lazy table, then a full extraction into a fresh scratch
 * folder (symbolic links and all), which is removed afterwards. Built by `nox -s fuzz` with
 * clang, AddressSanitizer and UndefinedBehaviorSanitizer, and
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which makes the checksum comparisons pass so
 * that mutated inputs reach the code behind them (every other check is the real one). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "context.h"
#include "extract.h"
#include "../tests/lookup_check.h"

static char scratch[FK_PATH_MAX];
static char input_path[FK_PATH_MAX];
static struct fk_context *ctx;

static fk_status discard(void *user, const void *data, size_t length)
{
    (void)data;
    *(uint64_t *)user += length;
    return fk_ok();
}

static void read_everything(const struct fk_archive *archive)
{
    size_t i;
    for (i = 0; i < archive->count; i++) {
        const struct fk_entry *entry = &archive->entries[i];
        unsigned char *data = NULL;
        size_t length = 0;
        struct fk_chunk *chunks = NULL;
        size_t count = 0, c;
        uint64_t total = 0;
        if (!finds_first(archive, i)) {
            abort(); /* the lookup by name gives another entry than the first of its name */
        }
        /* whole reads are for small entries (code, tables, links); files are streamed */
        if ((!fk_archive_is_file_kind(entry->kind) || entry->raw_size <= (1u << 20)) &&
            !FK_FAILED(fk_archive_read(archive, entry, &data, &length)) &&
            length != entry->raw_size) {
            abort(); /* a successful read gives exactly the declared size */
        }
        free(data);
        if (fk_archive_is_file_kind(entry->kind)) {
            /* chunked: chunk by chunk, like the extraction; otherwise as one stream */
            (void)fk_archive_chunks(archive, entry, &chunks, &count);
            if (count == 0) {
                (void)fk_archive_stream(archive, entry, discard, &total);
            }
            for (c = 0; c < count; c++) {
                (void)fk_archive_stream_chunk(archive, entry, &chunks[c], discard, &total);
            }
            free(chunks);
        }
        if (entry->kind == FK_KIND_PYZ) {
            struct fk_pyz pyz;
            size_t m;
            fk_pyz_init(&pyz);
            if (!FK_FAILED(fk_pyz_open(&pyz, archive, entry))) {
                for (m = 0; m < pyz.count; m++) {
                    unsigned char *code = NULL;
                    size_t code_length = 0;
                    (void)fk_pyz_read(&pyz, m, &code, &code_length);
                    free(code);
                }
            }
            fk_pyz_close(&pyz);
        }
    }
}

static void unpack_on_demand(const struct fk_archive *archive, const char *top)
{
    const char **names = malloc((archive->count + 1) * sizeof *names);
    size_t i, count = 0;
    if (names == NULL) {
        return;
    }
    for (i = 0; i < archive->count; i++) {
        const struct fk_entry *entry = &archive->entries[i];
        if (fk_archive_is_file_kind(entry->kind) || entry->kind == FK_KIND_SYMLINK) {
            names[count++] = entry->name;
        }
    }
    if (count > 0) {
        (void)fk_extract_entries(archive, top, names, count);
    }
    free((void *)names);
}

static void remove_scratch(void)
{
    fk_platform_remove_tree(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *base = getenv("TMPDIR");
    (void)argc;
    (void)argv;
    snprintf(scratch, sizeof scratch, "%s/fk-fuzz-%ld", base && *base ? base : "/tmp",
             (long)getpid());
    if (mkdir(scratch, 0700) != 0) {
        perror(scratch);
        abort();
    }
    snprintf(input_path, sizeof input_path, "%s/input", scratch);
    atexit(remove_scratch);
    ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char top[FK_PATH_MAX];
    FILE *file = fopen(input_path, "wb");
    if (file == NULL || (size > 0 && fwrite(data, 1, size, file) != size) || fclose(file) != 0) {
        abort();
    }
    memset(ctx, 0, sizeof *ctx);
    fk_archive_init(&ctx->archive);
    ctx->top_lock = FK_NO_HANDLE;
    snprintf(ctx->exe, sizeof ctx->exe, "%s", input_path);
    snprintf(ctx->exe_dir, sizeof ctx->exe_dir, "%s", scratch);
    if (FK_FAILED(fk_archive_open(&ctx->archive, input_path))) {
        unlink(input_path);
        return 0;
    }
    unlink(input_path); /* read through the open descriptor; nothing left when a job ends */
    (void)fk_archive_verify(&ctx->archive);
    read_everything(&ctx->archive);
    snprintf(top, sizeof top, "%s/top", scratch);
    fk_platform_remove_tree(top);
    if ((size & 3) == 3) {
        /* a temp-mode start as the launcher makes it: the prefix digest computed by the
         * extraction workers while they decode (ctx->verified is 0), the rest on a thread of
         * its own (waited for as before Python runs code), then on-demand unpacks */
        if (!FK_FAILED(fk_extract_temp(ctx, scratch))) {
            if (!FK_FAILED(fk_extract_digest_wait(ctx))) {
                unpack_on_demand(&ctx->archive, ctx->top_dir);
            }
            fk_extract_digest_free(ctx);
            fk_platform_remove_tree(ctx->top_dir);
            fk_platform_unlock(ctx->top_lock);
        }
    } else if (mkdir(top, 0700) == 0) {
        /* odd sizes: like a temp-mode start, the lazy table's files are left out, then
         * unpacked on demand like the runtime does (each through a private name) */
        (void)fk_extract_archive(ctx, top, (int)(size & 1));
        unpack_on_demand(&ctx->archive, top);
        fk_platform_remove_tree(top);
    }
    fk_archive_close(&ctx->archive);
    return 0;
}
