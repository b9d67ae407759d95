// Without libFuzzer: runs the target on each file named on the command line, or else on its seeds
// and on GCHAT_FUZZ_MUTATIONS (set per target in CMakeLists.txt) deterministic mutations of them
// (bit flips, truncations, insertions, splices).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "fuzz.hpp"

#ifndef GCHAT_FUZZ_MUTATIONS
#define GCHAT_FUZZ_MUTATIONS 20000
#endif

namespace {

struct XorShift {
  std::uint64_t s = 0x9e3779b97f4a7c15ULL;
  std::uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  std::size_t below(std::size_t n) { return n ? static_cast<std::size_t>(next() % n) : 0; }
};

gchat::Bytes mutate(const gchat::Bytes& in, const std::vector<gchat::Bytes>& seeds, XorShift& rng) {
  gchat::Bytes out = in;
  const int steps = 1 + static_cast<int>(rng.below(4));
  for (int i = 0; i < steps; ++i) {
    switch (rng.below(5)) {
      case 0:
        if (!out.empty()) out[rng.below(out.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
        break;
      case 1: out.resize(rng.below(out.size() + 1)); break;
      case 2: out.insert(out.begin() + static_cast<std::ptrdiff_t>(rng.below(out.size() + 1)), static_cast<std::uint8_t>(rng.next())); break;
      case 3:
        if (!out.empty()) out[rng.below(out.size())] = static_cast<std::uint8_t>(rng.next());
        break;
      default: {
        const auto& other = seeds[rng.below(seeds.size())];
        const std::size_t cut = rng.below(out.size() + 1);
        const std::size_t from = rng.below(other.size() + 1);
        out.resize(cut);
        out.insert(out.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
      }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    for (int i = 1; i < argc; ++i) {
      std::ifstream in(argv[i], std::ios::binary);
      const gchat::Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(data.data(), data.size());
    }
    return 0;
  }
  const auto seeds = fuzz_seeds();
  if (seeds.empty()) fuzz_fail("no seeds");
  for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());
  XorShift rng;
  constexpr int kMutations = GCHAT_FUZZ_MUTATIONS;
  for (int i = 0; i < kMutations; ++i) {
    const auto m = mutate(seeds[rng.below(seeds.size())], seeds, rng);
    LLVMFuzzerTestOneInput(m.data(), m.size());
  }
  std::printf("%zu seeds and %d mutations ran\n", seeds.size(), kMutations);
  return 0;
}
