// Untrusted Welcomes, opened by each of the world's joiners whose key package they name: the
// GroupSecrets (HPKE), the PSKs, the GroupInfo (AEAD), the tree (given by the application when
// the Welcome leaves it out), its validation, the confirmation tag and the path secrets. Decoding
// is canonical, nothing crashes, and a Welcome that lets someone join puts them in the epoch the
// committer was in (same GroupContext, same epoch authenticator) — whatever else in it changed.
// The joined group then restores from its own state and sends.
#include "fuzz.hpp"
#include "gchat/mls/key_schedule.hpp"
#include "world.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

// What the engine does for a Welcome without the tree: it fetches the tree of that epoch.
std::optional<Bytes> tree_for(const Welcome& welcome, const fuzz::World::Joiner& joiner) {
  const auto& w = fuzz::world();
  auto info = open_group_info(w.suite, welcome, joiner.welcome_secret);
  if (!info.ok() || fuzz::ratchet_tree_of(*info)) return std::nullopt;
  if (info->group_context.epoch >= w.trees.size()) return std::nullopt;
  return w.trees[info->group_context.epoch];
}

void exercise(Group& g, const fuzz::World::Joiner& joiner) {
  const auto& w = fuzz::world();
  const auto expected = w.epoch_authenticators.find(g.epoch());
  if (expected == w.epoch_authenticators.end() || !same_bytes(g.epoch_authenticator(), expected->second) ||
      !same_bytes(codec::encode(g.context()), w.contexts.at(g.epoch()))) {
    fuzz_fail("a Welcome let someone join an epoch the committer was not in");
  }
  if (g.tree().tree_hash() != g.context().tree_hash)
    fuzz_fail("a joined group's tree does not match its context");
  (void)g.members();
  (void)g.export_secret("fuzz", as_bytes("welcome"), 32);
  const SecretBytes state = g.serialize();
  auto restored = Group::deserialize(w.suite, state, w.people[joiner.person]);
  if (!restored.ok() || !same_bytes(restored->serialize(), state))
    fuzz_fail("a joined group's state does not restore");
  if (!restored->protect(as_bytes("hello")).ok()) fuzz_fail("a joined member cannot send");
}

}  // namespace

std::vector<Bytes> fuzz_seeds() {
  return fuzz::world().welcomes;
}

namespace {

// Joins every joiner the Welcome names; how many did.
int join_all(const Welcome& welcome) {
  const auto& w = fuzz::world();
  int joined_count = 0;
  for (const auto& joiner : w.joiners) {
    const Bytes ref = key_package_ref(w.suite, w.bundles[joiner.person].key_package);
    const bool named = std::any_of(welcome.secrets.begin(), welcome.secrets.end(),
                                   [&](const EncryptedGroupSecrets& e) { return e.new_member == ref; });
    if (!named) continue;
    JoinOptions options;
    options.external_psks = &w.external_psks;
    options.ratchet_tree = tree_for(welcome, joiner);
    auto joined = Group::join(w.suite, welcome, w.bundle(joiner.person), w.people[joiner.person], options);
    if (!joined.ok()) continue;
    exercise(*joined, joiner);
    ++joined_count;
  }
  return joined_count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& w = fuzz::world();
  fuzz::reset_randomness();
  const BytesView in(data, size);
  auto welcome = codec::decode_exact<Welcome>(in);
  const bool seed = is_one_of(in, w.welcomes);
  if (!welcome.ok()) {
    if (seed) fuzz_fail("a seed Welcome does not decode");
    return 0;
  }
  if (!same_bytes(codec::encode(*welcome), in)) fuzz_fail("a decoded Welcome re-encodes differently");
  if (join_all(*welcome) == 0 && seed) fuzz_fail("a seed Welcome lets nobody join");
  return 0;
}
