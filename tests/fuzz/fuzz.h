/*
 * fuzz.h — the libFuzzer entry point shared by the fuzz targets of
 * tests/fuzz and their corpus-replay driver (replay.c).
 */
#ifndef BFT_TESTS_FUZZ_H
#define BFT_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
