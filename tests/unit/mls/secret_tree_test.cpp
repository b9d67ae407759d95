// The secret tree's ratchets: window bounds, deletion of used keys, independence of leaves and
// of the handshake and application ratchets.
#include <doctest/doctest.h>

#include "gchat/mls/secret_tree.hpp"

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

TEST_CASE("a key put back after a failed decryption is usable once more") {
  SecretTree t(suite(), kRoot, 2);
  auto k = t.get(0, RatchetType::application, 3);
  REQUIRE(k.ok());
  const Bytes key(k->key.view().begin(), k->key.view().end());
  t.put_back(0, RatchetType::application, std::move(*k));
  auto again = t.get(0, RatchetType::application, 3);
  REQUIRE(again.ok());
  CHECK(again->key.view().size() == key.size());
  CHECK(Bytes(again->key.view().begin(), again->key.view().end()) == key);
  CHECK(t.get(0, RatchetType::application, 3).error().code == Errc::mls_generation_reused);
}

TEST_CASE("a leaf outside the tree is an invalid sender") {
  SecretTree t(suite(), kRoot, 3);
  CHECK(t.get(3, RatchetType::application, 0).error().code == Errc::mls_invalid_sender);
  CHECK(t.next(100, RatchetType::handshake).error().code == Errc::mls_invalid_sender);
}
