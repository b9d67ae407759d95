// The ratchet tree: cached tree hashes stay equal to a from-scratch computation under random
// edits; a tampered tree (signature, parent hash, structure) is refused with a typed error.
#include <doctest/doctest.h>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "gchat/mls/ratchet_tree.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kSuiteAes128Gcm); }

LeafNode random_leaf(std::mt19937& rng, std::uint32_t tag) {
  auto bytes = [&](std::size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return b;
  };
  LeafNode l;
  l.encryption_key = bytes(32);
  l.signature_key = bytes(32);
  l.credential.identity = {static_cast<std::uint8_t>(tag), static_cast<std::uint8_t>(tag >> 8)};
  l.capabilities.versions = {1};
  l.capabilities.cipher_suites = {1, 3};
  l.lifetime = {0, ~std::uint64_t{0}};
  l.signature = bytes(64);
  return l;
}

// The first tree-validation case of suite 1 with at least `min_leaves` leaves, as a JSON object.
nlohmann::json validation_case(std::size_t min_nodes) {
  std::ifstream in(std::string(GCHAT_MLS_VECTORS_DIR) + "/tree-validation.json");
  REQUIRE(in.good());
  for (auto& c : nlohmann::json::parse(in)) {
    if (c["cipher_suite"] == 1 && c["tree_hashes"].size() >= min_nodes) return c;
  }
  FAIL("no suitable tree-validation case");
  return {};
}

Bytes hex(const nlohmann::json& j) { return *from_hex(j.get<std::string>()); }

}  // namespace

TEST_CASE("cached tree hashes equal a fresh computation after random adds, updates and removes") {
  std::mt19937 rng(20261125);
  RatchetTree t(suite());
  std::vector<LeafIndex> members;
  for (std::uint32_t step = 0; step < 400; ++step) {
    const auto op = members.size() < 3 ? 0u : rng() % 3;
    if (op == 0) {
      members.push_back(t.add_leaf(random_leaf(rng, step)));
    } else if (op == 1) {
      const auto i = members[rng() % members.size()];
      REQUIRE(t.update_leaf(i, random_leaf(rng, step)).ok());
    } else {
      const auto pos = rng() % members.size();
      REQUIRE(t.remove_leaf(members[pos]).ok());
      members.erase(members.begin() + static_cast<std::ptrdiff_t>(pos));
    }
    if (step % 20 == 19) {
      auto fresh = RatchetTree::decode(suite(), t.encode());
      REQUIRE_MESSAGE(fresh.ok(), fresh.error().to_string());
      REQUIRE(fresh->node_count() == t.node_count());
      for (NodeIndex x = 0; x < t.node_count(); ++x) CHECK(fresh->tree_hash(x) == t.tree_hash(x));
    }
  }
  // Removing everyone but one member truncates the tree down to that member's width.
  std::sort(members.begin(), members.end());
  for (std::size_t i = 1; i < members.size(); ++i) REQUIRE(t.remove_leaf(members[i]).ok());
  CHECK(t.leaf_count() <= 2 * (members[0] + 1));
  CHECK(t.remove_leaf(members.size() > 1 ? members[1] : 999).error().code == Errc::mls_invalid_proposal);
}

TEST_CASE("a tampered leaf signature or parent hash fails validation with its reason") {
  const auto c = validation_case(15);
  const Bytes group_id = hex(c["group_id"]);
  auto good = RatchetTree::decode(suite(), hex(c["tree"]));
  REQUIRE(good.ok());
  REQUIRE(good->verify(group_id).ok());
  CHECK(good->verify(Bytes{1, 2, 3}).error().code == Errc::bad_signature);

  // Re-encode the tree with one leaf's signature altered.
  auto nodes = codec::decode_exact<std::vector<std::optional<Node>>>(hex(c["tree"]));
  REQUIRE(nodes.ok());
  {
    auto copy = *nodes;
    std::get<LeafNode>(copy[0]->value).signature[5] ^= 1;
    auto t = RatchetTree::decode(suite(), codec::encode(copy));
    REQUIRE(t.ok());
    auto st = t->verify(group_id);
    CHECK(st.error().code == Errc::bad_signature);
    CHECK(st.error().message.find("leaf 0") != std::string::npos);
  }
  {
    auto copy = *nodes;
    bool changed = false;
    for (std::size_t x = 1; x < copy.size() && !changed; x += 2) {
      if (copy[x]) {
        std::get<ParentNode>(copy[x]->value).parent_hash.push_back(0);
        changed = true;
      }
    }
    REQUIRE(changed);
    auto t = RatchetTree::decode(suite(), codec::encode(copy));
    REQUIRE(t.ok());
    CHECK(t->verify_parent_hashes().error().code == Errc::mls_invalid_tree);
  }
  {
    // Two leaves with the same encryption key.
    auto copy = *nodes;
    std::get<LeafNode>(copy[2]->value).encryption_key = std::get<LeafNode>(copy[0]->value).encryption_key;
    auto t = RatchetTree::decode(suite(), codec::encode(copy));
    REQUIRE(t.ok());
    CHECK(t->verify(group_id).error().code == Errc::mls_invalid_tree);
  }
}

TEST_CASE("structurally wrong trees are refused on decoding") {
  const auto c = validation_case(7);
  auto nodes = codec::decode_exact<std::vector<std::optional<Node>>>(hex(c["tree"]));
  REQUIRE(nodes.ok());
  CHECK(RatchetTree::decode(suite(), codec::encode(std::vector<std::optional<Node>>{})).error().code ==
        Errc::mls_invalid_tree);
  {
    auto copy = *nodes;
    copy.push_back(std::nullopt);
    CHECK(RatchetTree::decode(suite(), codec::encode(copy)).error().code == Errc::mls_invalid_tree);
  }
  {
    auto copy = *nodes;
    std::swap(copy[0], copy[1]);  // a parent in a leaf position
    REQUIRE(copy[0]);
    CHECK(RatchetTree::decode(suite(), codec::encode(copy)).error().code == Errc::mls_invalid_tree);
  }
  {
    auto copy = *nodes;
    std::get<ParentNode>(copy[1]->value).unmerged_leaves = {40};
    CHECK(RatchetTree::decode(suite(), codec::encode(copy)).error().code == Errc::mls_invalid_tree);
  }
  const Bytes wire = codec::encode(*nodes);
  for (std::size_t n = 0; n < wire.size(); n += 7) {
    CHECK_FALSE(RatchetTree::decode(suite(), BytesView(wire).first(n)).ok());
  }
}
