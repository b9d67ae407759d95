#pragma once
// Shared by the fuzz targets and the mutation driver.
#include <algorithm>
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

// For round-trip checks: whether re-encoded bytes are exactly the input.
inline bool same_bytes(gchat::BytesView a, gchat::BytesView b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// Whether the input is one of the seeds: a target checks that its seeds reach the code it is
// for (a seed that the target refuses early would leave its mutations testing nothing).
inline bool is_one_of(gchat::BytesView in, const std::vector<gchat::Bytes>& seeds) {
  return std::any_of(seeds.begin(), seeds.end(), [&](const gchat::Bytes& s) { return same_bytes(s, in); });
}
