/* XXH64 (seed 0 or any), incrementally: the digest of the trailer's payload_xxh64. Written
 * from the published algorithm description; the same values as Python's xxhash.xxh64. */
#ifndef FK_XXH64_H
#define FK_XXH64_H

#include <stddef.h>
#include <stdint.h>

struct fk_xxh64 {
    uint64_t lanes[4];
    uint64_t total;
    unsigned char pending[32]; /* the start of a stripe not complete yet */
    size_t pending_length;
    uint64_t seed;
};

void fk_xxh64_init(struct fk_xxh64 *state, uint64_t seed);
void fk_xxh64_update(struct fk_xxh64 *state, const void *data, size_t length);
uint64_t fk_xxh64_digest(const struct fk_xxh64 *state);

#endif /* FK_XXH64_H */
