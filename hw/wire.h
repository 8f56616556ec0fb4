/* wire.h - big-endian loads and stores at any alignment, for every wire
 * format the project speaks (MoldUDP64, ITCH, SoupBinTCP, OUCH): memcpy of
 * the swapped value, never a pointer cast (unaligned, aliasing). Pure
 * inline functions; any thread. */
#ifndef WIRE_H
#define WIRE_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "hw/compiler.h"

static ALWAYS_INLINE uint16_t wire_get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static ALWAYS_INLINE uint32_t wire_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static ALWAYS_INLINE uint64_t wire_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/* 6 bytes (ITCH timestamps). */
static ALWAYS_INLINE uint64_t wire_get48(const uint8_t *p)
{
	return ((uint64_t)wire_get16(p) << 32) | wire_get32(p + 2);
}

static ALWAYS_INLINE void wire_put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static ALWAYS_INLINE void wire_put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static ALWAYS_INLINE void wire_put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

/* 6 bytes; bits above 48 are dropped. */
static ALWAYS_INLINE void wire_put48(uint8_t *p, uint64_t v)
{
	wire_put16(p, (uint16_t)(v >> 32));
	wire_put32(p + 2, (uint32_t)v);
}

#endif /* WIRE_H */
