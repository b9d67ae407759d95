#pragma once
// Shared by the fuzz targets and the mutation driver.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gchat/base/bytes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
// Valid inputs the target starts from (the driver mutates them; libFuzzer can use them as a corpus).
std::vector<gchat::Bytes> fuzz_seeds();

// Aborts with a message: a property the target checks does not hold.
[[noreturn]] void fuzz_fail(const char* what);
