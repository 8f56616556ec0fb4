/* itch_enc.h - Nasdaq TotalView-ITCH 5.0 encoder: the inverse of itch_decode
 * for all 23 message types, writing the exact wire bytes of PROTOCOLS.md
 * section 5 into a caller-owned buffer, never past its capacity.
 * Pure functions; any thread. */
#ifndef ITCH_ENC_H
#define ITCH_ENC_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/itch.h"
#include "hw/compiler.h"
#include "hw/wire.h"

/* Encode *m as one ITCH 5.0 message (type byte first, no framing) into
 * buf[0..cap). Every field of the type's struct member is written, so
 * decode -> encode reproduces the original bytes. Conventions of the
 * decoder: 'A' ignores add.mpid; 'E' ignores exec.printable and exec.price.
 * Returns the bytes written (the type's length), -ENOSPC when cap is
 * smaller (nothing written), -EINVAL for an unknown type. Any thread. */
int itch_encode(const struct itch_msg *m, uint8_t *buf, size_t cap);

#endif /* ITCH_ENC_H */
