/*
 * fuzz.h: the libFuzzer entry point every fuzz target defines.  The same
 * function is driven by libFuzzer (--enable-fuzzing) or by replay.c, which
 * runs it once per corpus file under "make check".
 */
#ifndef OCM_FUZZ_H
#define OCM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
