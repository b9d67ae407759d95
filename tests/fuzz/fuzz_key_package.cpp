// Untrusted KeyPackages, as the relay hands them out and as Adds carry them. Decoding is canonical;
// validation never crashes, and a key package that validates is one its owner signed: everything
// but its signature equals a seed's. Each key package is then added to the group by a member's
// commit, as it is and re-signed by its owner when the owner is one of the world's people — so
// that mutations of the signed fields (capabilities, extensions, keys, lifetime) reach the
// commit's leaf checks and the HPKE encryption of the Welcome to the package's init key.
#include "fuzz.hpp"
#include "gchat/mls/crypto_ops.hpp"
#include "world.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

// KeyPackageTBS (§10): every field but the signature.
Bytes key_package_tbs(const KeyPackage& kp) {
  codec::Writer w;
  codec::encode_value(w, kp.version);
  codec::encode_value(w, kp.cipher_suite);
  codec::encode_value(w, kp.init_key);
  codec::encode_value(w, kp.leaf_node);
  codec::encode_value(w, kp.extensions);
  return w.take();
}

bool is_seed_tbs(const Bytes& tbs) {
  for (const auto& b : fuzz::world().bundles) {
    if (key_package_tbs(b.key_package) == tbs) return true;
  }
  return false;
}

// The key package with both its signatures made again by its owner, or nothing when the
// signature key is nobody's in the world.
std::optional<KeyPackage> resigned(const KeyPackage& kp) {
  const auto& w = fuzz::world();
  const Identity* owner = w.person_with_key(kp.leaf_node.signature_key);
  if (!owner) return std::nullopt;
  KeyPackage out = kp;
  auto leaf_signature = sign_leaf_node(w.suite, out.leaf_node, owner->signature.private_key, {}, 0);
  if (!leaf_signature.ok()) return std::nullopt;
  out.leaf_node.signature = std::move(*leaf_signature);
  auto signature =
      sign_with_label(w.suite, owner->signature.private_key, "KeyPackageTBS", key_package_tbs(out));
  if (!signature.ok()) return std::nullopt;
  out.signature = std::move(*signature);
  return out;
}

// Alice, at the last epoch, commits the Add of `kp`.
void add_to_group(const KeyPackage& kp, bool seed) {
  const auto& w = fuzz::world();
  const bool acceptable = validate_key_package(w.suite, kp, fuzz::kNow).ok();
  auto alice = Group::deserialize(w.suite, w.latest_state(0).bytes, w.people[0]);
  if (!alice.ok()) fuzz_fail("the world's last state does not restore");
  auto added = alice->commit({kp}, {}, fuzz::kNow);
  if (added.ok() && !acceptable) fuzz_fail("a commit added a key package that does not validate");
  const auto& hank = w.bundles.back();
  const bool is_hank = codec::encode(kp) == codec::encode(hank.key_package);
  if (!added.ok() && seed && is_hank) fuzz_fail("the seed key package of someone new cannot be added");
  if (!added.ok()) return;
  if (!added->welcome) fuzz_fail("a commit with an Add has no Welcome");
  (void)alice->serialize();
  // The one person never added: the Welcome must let them in, in the committer's epoch.
  if (is_hank) {
    auto joined = Group::join(w.suite, std::get<Welcome>(added->welcome->body),
                              w.bundle(w.bundles.size() - 1), w.people.back());
    if (!joined.ok() || !same_bytes(joined->epoch_authenticator(), alice->epoch_authenticator())) {
      fuzz_fail("the added person cannot join the committer's epoch");
    }
  }
}

}  // namespace

std::vector<Bytes> fuzz_seeds() {
  std::vector<Bytes> seeds;
  for (const auto& b : fuzz::world().bundles) seeds.push_back(codec::encode(b.key_package));
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& w = fuzz::world();
  fuzz::reset_randomness();
  const BytesView in(data, size);
  auto kp = codec::decode_exact<KeyPackage>(in);
  static const auto seeds = fuzz_seeds();
  const bool seed = is_one_of(in, seeds);
  if (!kp.ok()) {
    if (seed) fuzz_fail("a seed key package does not decode");
    return 0;
  }
  if (!same_bytes(codec::encode(*kp), in)) fuzz_fail("a decoded KeyPackage re-encodes differently");
  (void)key_package_ref(w.suite, *kp);
  const bool valid = validate_key_package(w.suite, *kp, std::nullopt).ok();
  if (valid && !is_seed_tbs(key_package_tbs(*kp))) fuzz_fail("an altered KeyPackage validates");
  if (validate_key_package(w.suite, *kp, fuzz::kNow).ok() && !valid) {
    fuzz_fail("a KeyPackage validates at a time but not without one");
  }
  if (seed && !valid) fuzz_fail("a seed key package does not validate");
  if (valid) {
    add_to_group(*kp, seed);
  } else if (auto again = resigned(*kp)) {
    add_to_group(*again, false);
  }
  return 0;
}
