/* XXH64: four 64-bit lanes over 32-byte stripes, then the tail and a final avalanche. */
#include "xxh64.h"

#include <string.h>

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static uint64_t rotl(uint64_t value, unsigned bits)
{
    return (value << bits) | (value >> (64 - bits));
}

/* Little-endian loads: one memcpy (a plain load) where the machine is little-endian. */
static int little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static uint64_t read64(const unsigned char *p)
{
    uint64_t value;
    if (little_endian()) {
        memcpy(&value, p, 8);
        return value;
    }
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static uint64_t read32(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

static uint64_t mix(uint64_t lane, uint64_t input)
{
    return rotl(lane + input * P2, 31) * P1;
}

/* Every whole stripe of p[0..length); the lanes stay in registers (p may alias them). */
static size_t stripes(uint64_t *lanes, const unsigned char *p, size_t length)
{
    uint64_t a = lanes[0], b = lanes[1], c = lanes[2], d = lanes[3];
    size_t done = 0;
    for (; length - done >= 32; done += 32) {
        a = mix(a, read64(p + done));
        b = mix(b, read64(p + done + 8));
        c = mix(c, read64(p + done + 16));
        d = mix(d, read64(p + done + 24));
    }
    lanes[0] = a;
    lanes[1] = b;
    lanes[2] = c;
    lanes[3] = d;
    return done;
}

void fk_xxh64_init(struct fk_xxh64 *state, uint64_t seed)
{
    memset(state, 0, sizeof *state);
    state->seed = seed;
    state->lanes[0] = seed + P1 + P2;
    state->lanes[1] = seed + P2;
    state->lanes[2] = seed;
    state->lanes[3] = seed - P1;
}

void fk_xxh64_update(struct fk_xxh64 *state, const void *data, size_t length)
{
    const unsigned char *p = data;
    state->total += length;
    if (state->pending_length > 0) {
        size_t take = 32 - state->pending_length;
        if (take > length) {
            take = length;
        }
        memcpy(state->pending + state->pending_length, p, take);
        state->pending_length += take;
        p += take;
        length -= take;
        if (state->pending_length < 32) {
            return;
        }
        stripes(state->lanes, state->pending, 32);
        state->pending_length = 0;
    }
    {
        size_t done = stripes(state->lanes, p, length);
        p += done;
        length -= done;
    }
    memcpy(state->pending, p, length);
    state->pending_length = length;
}

uint64_t fk_xxh64_digest(const struct fk_xxh64 *state)
{
    const unsigned char *p = state->pending;
    size_t left = state->pending_length;
    uint64_t hash;
    int i;
    if (state->total >= 32) {
        const uint64_t *lanes = state->lanes;
        hash = rotl(lanes[0], 1) + rotl(lanes[1], 7) + rotl(lanes[2], 12) + rotl(lanes[3], 18);
        for (i = 0; i < 4; i++) {
            hash = (hash ^ mix(0, lanes[i])) * P1 + P4;
        }
    } else {
        hash = state->seed + P5;
    }
    hash += state->total;
    for (; left >= 8; p += 8, left -= 8) {
        hash = rotl(hash ^ mix(0, read64(p)), 27) * P1 + P4;
    }
    if (left >= 4) {
        hash = rotl(hash ^ (read32(p) * P1), 23) * P2 + P3;
        p += 4;
        left -= 4;
    }
    for (; left > 0; p++, left--) {
        hash = rotl(hash ^ (*p * P5), 11) * P1;
    }
    hash ^= hash >> 33;
    hash *= P2;
    hash ^= hash >> 29;
    hash *= P3;
    hash ^= hash >> 32;
    return hash;
}
