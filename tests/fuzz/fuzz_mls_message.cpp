// Decoding untrusted bytes as MLS structures: never crashes, never reads out of bounds, and
// whatever decodes re-encodes to exactly the same bytes (the encoding is canonical).
#include "fixture.hpp"
#include "gchat/mls/group.hpp"
#include "gchat/mls/ratchet_tree.hpp"
#include "gchat/mls/welcome.hpp"
#include "fuzz.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

template <typename T>
void round_trip(BytesView data) {
  auto decoded = codec::decode_exact<T>(data);
  if (!decoded.ok()) return;
  const Bytes again = codec::encode(*decoded);
  if (again.size() != data.size() || !std::equal(again.begin(), again.end(), data.begin())) {
    fuzz_fail("a decoded structure re-encodes differently");
  }
}

}  // namespace

std::vector<Bytes> fuzz_seeds() {
  auto seeds = fuzz::sample_messages();
  // A ratchet tree and a Welcome from a real three-member group.
  const auto& suite = fuzz::group().suite;
  auto make_identity = [&](std::uint8_t n) {
    Identity id;
    id.credential.identity = {n};
    id.signature = *suite.signature_key_from_private(Bytes(32, n));
    return id;
  };
  const auto a = make_identity(1), b = make_identity(2), c = make_identity(3);
  auto group = Group::create(suite, Bytes{'f'}, a);
  auto kb = make_key_package(suite, b, 0, kMaxKeyPackageLifetime);
  auto kc = make_key_package(suite, c, 0, kMaxKeyPackageLifetime);
  if (!group.ok() || !kb.ok() || !kc.ok()) fuzz_fail("cannot build the group seed");
  auto out = group->commit({kb->key_package, kc->key_package}, {}, 1);
  if (!out.ok()) fuzz_fail("cannot build the commit seed");
  seeds.push_back(group->tree().encode());
  seeds.push_back(codec::encode(*out->welcome));
  seeds.push_back(codec::encode(out->commit));
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const BytesView in(data, size);
  round_trip<MlsMessage>(in);
  round_trip<Commit>(in);
  round_trip<Proposal>(in);
  round_trip<KeyPackage>(in);
  round_trip<GroupContext>(in);
  round_trip<GroupInfo>(in);
  round_trip<Welcome>(in);
  round_trip<GroupSecrets>(in);
  round_trip<UpdatePath>(in);
  round_trip<std::vector<std::optional<Node>>>(in);
  // A ratchet tree from untrusted bytes: decoding and hashing must hold up whatever the shape.
  if (auto tree = RatchetTree::decode(fuzz::group().suite, in); tree.ok()) {
    (void)tree->tree_hash();
    (void)tree->verify_parent_hashes();
  }
  return 0;
}
