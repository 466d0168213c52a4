/* CRC-32 as computed by Python's zlib.crc32. */
#ifndef FK_CRC32_H
#define FK_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t fk_crc32(const unsigned char *data, size_t length);
uint32_t fk_crc32_update(uint32_t crc, const unsigned char *data, size_t length);

#endif /* FK_CRC32_H */
