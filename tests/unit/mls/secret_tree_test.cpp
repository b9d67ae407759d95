// The secret tree's ratchets: window bounds, deletion of used keys, independence of leaves and
// of the handshake and application ratchets, lookups that change nothing, trees of any leaf count,
// and stored state that is refused unless this class could have written it.
#include <doctest/doctest.h>

#include "gchat/mls/secret_tree.hpp"

#include <bit>
#include <functional>

#include "gchat/codec/tls.hpp"
#include "gchat/mls/crypto_ops.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {
const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }
const Bytes kRoot(32, 0x5a);
}  // namespace

TEST_CASE("sender and receiver derive the same keys, generation by generation") {
  SecretTree sender(suite(), kRoot, 8);
  SecretTree receiver(suite(), kRoot, 8);
  for (std::uint32_t gen = 0; gen < 20; ++gen) {
    auto s = sender.next(5, RatchetType::application);
    REQUIRE(s.ok());
    CHECK(s->generation == gen);
    auto r = receiver.get(5, RatchetType::application, gen);
    REQUIRE(r.ok());
    CHECK(s->key == r->key);
    CHECK(s->nonce == r->nonce);
    CHECK(s->key.size() == suite().aead_key_length());
    CHECK(s->nonce.size() == 12);
  }
}

TEST_CASE("leaves and ratchet types never share a key") {
  SecretTree t(suite(), kRoot, 4);
  std::vector<Bytes> keys;
  for (LeafIndex leaf = 0; leaf < 4; ++leaf) {
    for (auto type : {RatchetType::handshake, RatchetType::application}) {
      auto k = t.next(leaf, type);
      REQUIRE(k.ok());
      keys.emplace_back(k->key.view().begin(), k->key.view().end());
    }
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) CHECK(keys[i] != keys[j]);
  }
}

TEST_CASE("a generation too far ahead is refused and the ratchet is unchanged") {
  SecretTree t(suite(), kRoot, 2, SecretTree::Limits{10, 5});
  auto far = t.get(0, RatchetType::application, 11);
  REQUIRE_FALSE(far.ok());
  CHECK(far.error().code == Errc::mls_generation_too_far);
  CHECK(t.get(0, RatchetType::application, 10).ok());  // exactly the window
  auto beyond = t.get(0, RatchetType::application, 10 + 11 + 1);
  CHECK(beyond.error().code == Errc::mls_generation_too_far);
}

TEST_CASE("a used generation cannot be used again; skipped ones only once; old ones are dropped") {
  SecretTree t(suite(), kRoot, 2, SecretTree::Limits{100, 3});
  REQUIRE(t.get(1, RatchetType::handshake, 0).ok());
  CHECK(t.get(1, RatchetType::handshake, 0).error().code == Errc::mls_generation_reused);
  // Jump to 6: generations 1..5 are skipped, only the newest 3 (3, 4, 5) are kept.
  REQUIRE(t.get(1, RatchetType::handshake, 6).ok());
  CHECK(t.get(1, RatchetType::handshake, 4).ok());
  CHECK(t.get(1, RatchetType::handshake, 4).error().code == Errc::mls_generation_reused);
  CHECK(t.get(1, RatchetType::handshake, 1).error().code == Errc::mls_generation_reused);
  CHECK(t.get(1, RatchetType::handshake, 2).error().code == Errc::mls_generation_reused);
  CHECK(t.get(1, RatchetType::handshake, 3).ok());
  CHECK(t.get(1, RatchetType::handshake, 5).ok());
  CHECK(t.get(1, RatchetType::handshake, 6).error().code == Errc::mls_generation_reused);
}

TEST_CASE("looking a key up changes nothing; consuming it uses it up and keeps the skipped ones") {
  SecretTree t(suite(), kRoot, 2);
  const SecretBytes before = t.serialize();
  auto k = t.key_for(0, RatchetType::application, 3);
  REQUIRE(k.ok());
  CHECK(t.serialize() == before);
  auto again = t.key_for(0, RatchetType::application, 3);
  REQUIRE(again.ok());
  CHECK(again->key == k->key);
  CHECK(again->nonce == k->nonce);

  REQUIRE(t.consume(0, RatchetType::application, 3).ok());
  CHECK(t.key_for(0, RatchetType::application, 3).error().code == Errc::mls_generation_reused);
  CHECK(t.consume(0, RatchetType::application, 3).error().code == Errc::mls_generation_reused);
  // Generation 1 was skipped and kept; get() is key_for then consume.
  auto skipped = t.key_for(0, RatchetType::application, 1);
  REQUIRE(skipped.ok());
  auto got = t.get(0, RatchetType::application, 1);
  REQUIRE(got.ok());
  CHECK(got->key == skipped->key);
  CHECK(t.key_for(0, RatchetType::application, 1).error().code == Errc::mls_generation_reused);
}

TEST_CASE("a refused lookup or consume leaves the tree byte-for-byte unchanged") {
  SecretTree t(suite(), kRoot, 3, SecretTree::Limits{10, 5});
  REQUIRE(t.get(1, RatchetType::handshake, 2).ok());
  const SecretBytes before = t.serialize();
  CHECK(t.consume(1, RatchetType::handshake, 2).error().code == Errc::mls_generation_reused);
  CHECK(t.consume(1, RatchetType::handshake, 3 + 11).error().code == Errc::mls_generation_too_far);
  CHECK(t.consume(0, RatchetType::application, 11).error().code == Errc::mls_generation_too_far);
  CHECK(t.consume(3, RatchetType::application, 0).error().code == Errc::mls_invalid_sender);
  CHECK(t.key_for(2, RatchetType::application, 10).ok());
  CHECK(t.key_for(1, RatchetType::handshake, UINT32_MAX).error().code == Errc::mls_generation_too_far);
  CHECK(t.serialize() == before);
}

TEST_CASE("a ratchet never holds more than max_retained skipped keys, however it skips") {
  const std::uint32_t max_retained = 4;
  SecretTree t(suite(), kRoot, 2, SecretTree::Limits{50, max_retained});
  std::uint32_t next = 0;
  for (std::uint32_t step = 0; step < 40; ++step) {
    const std::uint32_t gen = next + (step * 7) % 50;
    REQUIRE(t.consume(1, RatchetType::application, gen).ok());
    next = gen + 1;
    std::uint32_t usable = 0;
    for (std::uint32_t g = 0; g < next; ++g) usable += t.key_for(1, RatchetType::application, g).ok() ? 1 : 0;
    CHECK(usable <= max_retained);
  }
  // The newest skipped keys are the ones kept.
  REQUIRE(t.consume(1, RatchetType::application, next + 10).ok());
  for (std::uint32_t g = next + 6; g < next + 10; ++g) CHECK(t.key_for(1, RatchetType::application, g).ok());
  CHECK(t.key_for(1, RatchetType::application, next + 5).error().code == Errc::mls_generation_reused);
}

TEST_CASE("a tree whose leaf count is not a power of two gives every leaf the keys of the perfect tree holding it") {
  for (std::uint32_t n : {3u, 5u, 6u, 7u, 9u, 1000u}) {
    CAPTURE(n);
    SecretTree odd(suite(), kRoot, n);
    SecretTree perfect(suite(), kRoot, std::bit_ceil(n));
    for (LeafIndex leaf = 0; leaf < n; ++leaf) {
      for (auto type : {RatchetType::handshake, RatchetType::application}) {
        auto a = odd.next(leaf, type);
        auto b = perfect.next(leaf, type);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(a->key == b->key);
        CHECK(a->nonce == b->nonce);
      }
    }
    CHECK(odd.next(n, RatchetType::application).error().code == Errc::mls_invalid_sender);
    // Every leaf started: what is left restores (its node secrets still cover the tree exactly).
    CHECK(SecretTree::deserialize(suite(), odd.serialize()).ok());
  }
}

TEST_CASE("leaf 2 of a three-leaf tree takes its secret from the root by right, then left (RFC 9420 §9)") {
  // Three leaves sit in the four-leaf tree: root 3, its right child 5, whose left child is leaf 2.
  const auto nh = static_cast<std::uint16_t>(suite().hash_length());
  auto right = expand_with_label(suite(), kRoot, "tree", as_bytes("right"), nh);
  REQUIRE(right.ok());
  auto leaf = expand_with_label(suite(), *right, "tree", as_bytes("left"), nh);
  REQUIRE(leaf.ok());
  auto ratchet = expand_with_label(suite(), *leaf, "application", {}, nh);
  REQUIRE(ratchet.ok());
  auto key = derive_tree_secret(suite(), *ratchet, "key", 0, static_cast<std::uint16_t>(suite().aead_key_length()));
  auto nonce = derive_tree_secret(suite(), *ratchet, "nonce", 0, 12);
  REQUIRE((key.ok() && nonce.ok()));

  SecretTree t(suite(), kRoot, 3);
  auto k = t.next(2, RatchetType::application);
  REQUIRE(k.ok());
  CHECK(k->key == *key);
  CHECK(k->nonce == *nonce);
}

TEST_CASE("a tree of 2^31 leaves allocates nothing up front") {
  SecretTree t(suite(), kRoot, SecretTree::kMaxLeaves);
  CHECK(t.next(SecretTree::kMaxLeaves - 1, RatchetType::application).ok());
  CHECK(t.serialize().size() < 4096);
  auto restored = SecretTree::deserialize(suite(), t.serialize());
  REQUIRE(restored.ok());
  CHECK(restored->key_for(SecretTree::kMaxLeaves - 1, RatchetType::application, 0).error().code ==
        Errc::mls_generation_reused);
}

TEST_CASE("a restored tree gives the keys the original would have given, and no used one") {
  SecretTree t(suite(), kRoot, 5, SecretTree::Limits{100, 8});
  REQUIRE(t.get(4, RatchetType::application, 6).ok());
  REQUIRE(t.next(1, RatchetType::handshake).ok());
  auto restored = SecretTree::deserialize(suite(), t.serialize());
  REQUIRE(restored.ok());
  CHECK(restored->serialize() == t.serialize());
  CHECK(restored->key_for(4, RatchetType::application, 6).error().code == Errc::mls_generation_reused);
  for (std::uint32_t g : {0u, 5u, 7u, 50u}) {
    auto a = restored->key_for(4, RatchetType::application, g);
    auto b = t.key_for(4, RatchetType::application, g);
    REQUIRE((a.ok() && b.ok()));
    CHECK(a->key == b->key);
  }
}

namespace {

// The stored layout, written out here independently of secret_tree.cpp so that tests can corrupt
// a genuine blob field by field.
struct StoredKey {
  std::uint32_t generation = 0;
  Bytes key;
  Bytes nonce;
  GCHAT_TLS_FIELDS(generation, key, nonce)
};
struct StoredRatchet {
  Bytes secret;
  std::uint32_t next_generation = 0;
  std::vector<StoredKey> retained;
  GCHAT_TLS_FIELDS(secret, next_generation, retained)
};
struct StoredLeaf {
  std::uint32_t leaf = 0;
  StoredRatchet handshake;
  StoredRatchet application;
  GCHAT_TLS_FIELDS(leaf, handshake, application)
};
struct StoredNode {
  std::uint32_t node = 0;
  Bytes secret;
  GCHAT_TLS_FIELDS(node, secret)
};
struct StoredTree {
  std::uint32_t n_leaves = 0;
  std::uint32_t max_forward = 0;
  std::uint32_t max_retained = 0;
  std::vector<StoredNode> nodes;
  std::vector<StoredLeaf> leaves;
  GCHAT_TLS_FIELDS(n_leaves, max_forward, max_retained, nodes, leaves)
};

}  // namespace

TEST_CASE("deserialize refuses corrupted state with Errc::malformed") {
  // Three leaves in a four-leaf tree; leaf 0 started at generation 5 with 1..4 retained, so nodes
  // 2 (leaf 1) and 5 (leaves 2 and 3) still hold secrets.
  SecretTree t(suite(), kRoot, 3, SecretTree::Limits{100, 4});
  REQUIRE(t.get(0, RatchetType::application, 5).ok());
  const SecretBytes blob = t.serialize();
  auto decoded = codec::decode_exact<StoredTree>(blob.view());
  REQUIRE(decoded.ok());
  const StoredTree good = *decoded;
  REQUIRE(codec::encode(good) == Bytes(blob.view().begin(), blob.view().end()));
  REQUIRE(good.nodes.size() == 2);
  REQUIRE(good.leaves.size() == 1);
  REQUIRE(good.leaves[0].application.retained.size() == 4);
  REQUIRE(SecretTree::deserialize(suite(), blob).ok());

  struct Case {
    const char* name;
    std::function<void(StoredTree&)> corrupt;
  };
  const std::vector<Case> cases = {
      {"no leaves", [](StoredTree& s) { s.n_leaves = 0; }},
      {"more leaves than a ratchet tree holds", [](StoredTree& s) { s.n_leaves = SecretTree::kMaxLeaves + 1; }},
      {"leaf count too small for its nodes", [](StoredTree& s) { s.n_leaves = 1; }},
      {"leaf count too large for its nodes", [](StoredTree& s) { s.n_leaves = 5; }},
      {"node outside the tree", [](StoredTree& s) { s.nodes[1].node = 7; }},
      {"node secret too short", [](StoredTree& s) { s.nodes[0].secret.pop_back(); }},
      {"node repeated", [](StoredTree& s) { s.nodes.push_back(s.nodes[0]); }},
      {"root held beside its descendants", [](StoredTree& s) { s.nodes.push_back({3, Bytes(32, 1)}); }},
      {"a started leaf's own node still held", [](StoredTree& s) { s.nodes.push_back({0, Bytes(32, 1)}); }},
      {"a leaf covered by no secret", [](StoredTree& s) { s.nodes.pop_back(); }},
      {"started leaf outside the tree", [](StoredTree& s) { s.leaves[0].leaf = 3; }},
      {"started leaf repeated", [](StoredTree& s) { s.leaves.push_back(s.leaves[0]); }},
      {"ratchet secret too long", [](StoredTree& s) { s.leaves[0].handshake.secret.push_back(0); }},
      {"more retained keys than max_retained",
       [](StoredTree& s) { s.leaves[0].application.retained.push_back({0, Bytes(16, 1), Bytes(12, 1)}); }},
      {"max_retained below what is retained", [](StoredTree& s) { s.max_retained = 3; }},
      {"retained generation not below next", [](StoredTree& s) { s.leaves[0].application.retained[3].generation = 6; }},
      {"retained generation repeated",
       [](StoredTree& s) { s.leaves[0].application.retained[1].generation = s.leaves[0].application.retained[0].generation; }},
      {"retained key of the wrong size", [](StoredTree& s) { s.leaves[0].application.retained[0].key.pop_back(); }},
      {"retained nonce of the wrong size", [](StoredTree& s) { s.leaves[0].application.retained[0].nonce.push_back(0); }},
      {"max_forward beyond sane", [](StoredTree& s) { s.max_forward = SecretTree::kMaxForward + 1; }},
      {"max_retained beyond sane", [](StoredTree& s) { s.max_retained = SecretTree::kMaxRetained + 1; }},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    StoredTree bad = good;
    c.corrupt(bad);
    auto restored = SecretTree::deserialize(suite(), codec::encode(bad));
    REQUIRE_FALSE(restored.ok());
    CHECK(restored.error().code == Errc::malformed);
  }
  for (std::size_t n = 0; n < blob.size(); ++n) CHECK_FALSE(SecretTree::deserialize(suite(), blob.view().first(n)).ok());
}

TEST_CASE("a leaf outside the tree is an invalid sender") {
  SecretTree t(suite(), kRoot, 3);
  CHECK(t.get(3, RatchetType::application, 0).error().code == Errc::mls_invalid_sender);
  CHECK(t.next(100, RatchetType::handshake).error().code == Errc::mls_invalid_sender);
}
