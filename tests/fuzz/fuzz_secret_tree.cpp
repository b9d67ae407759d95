// Untrusted stored secret trees (the secret_tree field of a member's stored state). Restoring
// never crashes and allocates in proportion to the input; what restores serializes to bytes that
// restore to the same bytes; and the restored ratchets behave: keys have the AEAD's sizes, two
// restored copies hand out the same key for a generation whichever way they reach it (next, a
// skip that retains it, a direct look-up), a consumed key is never handed out again, and a look-up
// or a refused consume leaves the state byte-for-byte unchanged.
#include "fuzz.hpp"
#include "world.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

SecretTree restore(BytesView data, const char* what) {
  auto t = SecretTree::deserialize(fuzz::world().suite, data);
  if (!t.ok()) fuzz_fail(what);
  return std::move(*t);
}

void check_sizes(const RatchetKey& k) {
  const auto& suite = fuzz::world().suite;
  if (k.key.size() != suite.aead_key_length() || k.nonce.size() != suite.aead_nonce_length()) {
    fuzz_fail("a restored secret tree hands out a key or nonce of the wrong size");
  }
}

bool same_key(const RatchetKey& a, const RatchetKey& b) {
  return a.generation == b.generation && a.key == b.key && a.nonce == b.nonce;
}

// `a` and `b` are two restorations of the same state; each ratchet is exercised once.
void exercise(SecretTree& a, SecretTree& b, LeafIndex leaf, RatchetType type, SecretTree::Limits limits) {
  // A look-up changes nothing, found or not.
  const SecretBytes before = a.serialize();
  auto first = a.key_for(leaf, type, 0);
  (void)a.key_for(leaf, type, 7);
  (void)a.key_for(leaf, type, UINT32_MAX);
  if (!same_bytes(a.serialize(), before)) fuzz_fail("a key look-up changed the secret tree");
  if (first.ok()) check_sizes(*first);

  auto k = a.next(leaf, type);
  if (!k.ok()) {
    if (!same_bytes(a.serialize(), before)) fuzz_fail("a refused next() changed the secret tree");
    return;
  }
  check_sizes(*k);
  auto same = b.key_for(leaf, type, k->generation);
  if (!same.ok() || !same_key(*k, *same)) fuzz_fail("two restored copies disagree on a key");
  const SecretBytes used = a.serialize();
  if (a.get(leaf, type, k->generation).ok()) fuzz_fail("a consumed key was handed out again");
  if (!same_bytes(a.serialize(), used)) fuzz_fail("a refused consume changed the secret tree");
  if (k->generation > UINT32_MAX - 4) return;

  // Skip two generations, then take them late from the retained keys: same keys as looked up
  // directly in the other copy.
  auto ahead = a.get(leaf, type, k->generation + 3);
  if (!ahead.ok()) return;
  check_sizes(*ahead);
  for (std::uint32_t g = k->generation + 1; g <= k->generation + 2; ++g) {
    auto direct = b.key_for(leaf, type, g);
    auto late = a.get(leaf, type, g);
    if (late.ok() != (limits.max_retained >= k->generation + 3 - g))
      fuzz_fail("a skipped key was or was not retained wrongly");
    if (!late.ok()) continue;
    if (!direct.ok() || !same_key(*direct, *late))
      fuzz_fail("a retained key differs from the one derived directly");
    if (a.get(leaf, type, g).ok()) fuzz_fail("a retained key was handed out twice");
  }
}

std::uint32_t u32_at(BytesView in, std::size_t at) {
  return std::uint32_t{in[at]} << 24 | std::uint32_t{in[at + 1]} << 16 | std::uint32_t{in[at + 2]} << 8 |
         in[at + 3];
}

}  // namespace

std::vector<Bytes> fuzz_seeds() {
  const auto& suite = fuzz::world().suite;
  auto must = [](auto r) {
    if (!r.ok()) fuzz_fail("cannot build a secret tree seed");
  };
  std::vector<Bytes> seeds;
  auto keep = [&](const SecretTree& t) {
    const SecretBytes s = t.serialize();
    seeds.emplace_back(s.view().begin(), s.view().end());
  };
  keep(SecretTree(suite, Bytes(32, 0x01), 1));
  {
    SecretTree t(suite, Bytes(32, 0x02), 4);
    for (int i = 0; i < 3; ++i) must(t.next(0, RatchetType::application));
    must(t.get(1, RatchetType::application, 5));  // retains 0-4
    must(t.get(1, RatchetType::application, 2));
    must(t.next(2, RatchetType::handshake));
    keep(t);
  }
  {
    SecretTree t(suite, Bytes(32, 0x03), 5, SecretTree::Limits{16, 4});  // a partial tree of 8 leaves
    must(t.get(4, RatchetType::application, 10));
    must(t.next(0, RatchetType::handshake));
    keep(t);
  }
  {
    SecretTree t(suite, Bytes(32, 0x04), 8);
    for (LeafIndex i = 0; i < 8; ++i) {
      must(t.next(i, RatchetType::handshake));
      must(t.next(i, RatchetType::application));
    }
    keep(t);
  }
  {
    SecretTree t(suite, Bytes(32, 0x05), 2, SecretTree::Limits{0, 0});
    must(t.next(1, RatchetType::application));
    keep(t);
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& w = fuzz::world();
  fuzz::reset_randomness();
  const BytesView in(data, size);
  auto tree = SecretTree::deserialize(w.suite, in);
  static const auto seeds = fuzz_seeds();
  if (!tree.ok() && is_one_of(in, seeds)) fuzz_fail("a seed secret tree does not restore");
  if (!tree.ok()) return 0;
  // Restored, the state begins with n_leaves, max_forward and max_retained.
  const SecretTree::Limits limits{u32_at(in, 4), u32_at(in, 8)};
  const SecretBytes again = tree->serialize();
  if (!same_bytes(restore(again, "a restored secret tree's state does not restore").serialize(), again)) {
    fuzz_fail("a restored secret tree's state restores to a different state");
  }
  SecretTree other = restore(in, "a secret tree restores once but not twice");
  const std::uint32_t n = tree->leaf_count();
  std::vector<LeafIndex> leaves{0, n / 2, n - 1, n};  // n: not a sender
  std::sort(leaves.begin(), leaves.end());
  leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());
  for (LeafIndex leaf : leaves) {
    for (RatchetType type : {RatchetType::handshake, RatchetType::application}) {
      exercise(*tree, other, leaf, type, limits);
    }
  }
  return 0;
}
