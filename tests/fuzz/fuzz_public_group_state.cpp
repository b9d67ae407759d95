// Untrusted stored relay states (PublicGroup::serialize(), the relay's view of each group, kept
// in its database). Restoring never crashes; a state in the current format re-serializes to the
// same bytes (the format is canonical) and any restored state's serialization restores to itself;
// the restored tree hashes to the context's tree hash. The restored view then observes what the
// world sent in its epoch after it was saved (proposals, commits with paths, an external join),
// which reaches the pending proposals, the tree and the transcript hash it restored.
#include "fuzz.hpp"
#include "previous_format.hpp"
#include "world.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

// The stored layout (public_group.cpp), to write seeds in the previous format too, whose pending
// proposals lack the authenticated data: restoring it is the relay's upgrade path.
template <typename P>
struct Layout {
  std::uint16_t format = 0, cipher_suite = 0;
  GroupContext context;
  Bytes tree;
  Bytes interim_transcript_hash;
  std::vector<P> pending;
  bool closed = false;
  GCHAT_TLS_FIELDS(format, cipher_suite, context, tree, interim_transcript_hash, pending, closed)
};

// The state in the previous format, or nothing when the layout above no longer matches or it has
// no pending proposals. Without authenticated data in them, it must upgrade to exactly `state`.
std::optional<Bytes> previous_format(const Bytes& state) {
  auto s = codec::decode_exact<Layout<fuzz::StoredPending>>(state);
  if (!s.ok() || s->pending.empty()) return std::nullopt;
  auto [pending, lossless] = fuzz::previous_pending(s->pending);
  const Layout<fuzz::PreviousPending> old{static_cast<std::uint16_t>(s->format - 1),
                                          s->cipher_suite,
                                          s->context,
                                          s->tree,
                                          s->interim_transcript_hash,
                                          std::move(pending),
                                          s->closed};
  Bytes encoded = codec::encode(old);
  auto upgraded = PublicGroup::deserialize(fuzz::world().suite, encoded, {});
  if (!upgraded.ok() || (lossless && upgraded->serialize() != state)) {
    fuzz_fail("a relay state in the previous format does not upgrade to the current one");
  }
  return encoded;
}

}  // namespace

std::vector<Bytes> fuzz_seeds() {
  std::vector<Bytes> seeds = fuzz::world().public_states;
  for (const auto& s : fuzz::world().public_states) {
    if (auto old = previous_format(s)) seeds.push_back(std::move(*old));
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& w = fuzz::world();
  fuzz::reset_randomness();
  const BytesView in(data, size);
  auto view = PublicGroup::deserialize(w.suite, in, {});
  if (!view.ok() && is_one_of(in, w.public_states)) fuzz_fail("a seed relay state does not restore");
  if (!view.ok()) return 0;
  const Bytes state = view->serialize();
  const Bytes& current = w.public_states.front();  // the format number is its first two bytes
  if (size >= 2 && data[0] == current[0] && data[1] == current[1] && !same_bytes(state, in)) {
    fuzz_fail("a restored relay state re-serializes differently");
  }
  auto again = PublicGroup::deserialize(w.suite, state, {});
  if (!again.ok() || again->serialize() != state)
    fuzz_fail("a relay state's own serialization does not restore");
  if (view->tree().tree_hash() != view->context().tree_hash)
    fuzz_fail("a restored relay state's tree does not match");
  for (LeafIndex i = 0; i < std::min<std::uint32_t>(view->tree().leaf_count(), 64); ++i) {
    if (const LeafNode* leaf = view->tree().leaf(i)) {
      const auto found = view->leaves_with_key(leaf->signature_key);
      if (std::find(found.begin(), found.end(), i) == found.end())
        fuzz_fail("a leaf is not found by its own key");
    }
  }
  if (const auto sent = w.messages.find(view->epoch()); sent != w.messages.end()) {
    for (const auto& m : sent->second) {
      const auto epoch = view->epoch();
      (void)view->observe(m);
      if (view->epoch() != epoch) break;
    }
  }
  (void)view->serialize();
  return 0;
}
