#include "gchat/mls/secret_tree.hpp"

#include <sodium.h>

#include <algorithm>
#include <bit>
#include <optional>
#include <stdexcept>
#include <string>

#include "gchat/codec/tls.hpp"

#include "gchat/mls/crypto_ops.hpp"

namespace gchat::mls {

using namespace tree;

namespace {

// Leaves of the perfect tree holding n leaves (§4: every MLS tree has 2^d leaves).
std::uint32_t full_leaves(std::uint32_t n_leaves) noexcept { return n_leaves <= 1 ? 1 : std::bit_ceil(n_leaves); }

bool limits_in_range(const SecretTree::Limits& l) {
  return l.max_forward <= SecretTree::kMaxForward && l.max_retained <= SecretTree::kMaxRetained;
}

template <typename Leaf>
auto& pick(Leaf& l, RatchetType type) {
  return type == RatchetType::handshake ? l.handshake : l.application;
}

}  // namespace

SecretTree::SecretTree(const crypto::CipherSuite& suite, BytesView encryption_secret, std::uint32_t n_leaves,
                       Limits limits)
    : suite_(suite), n_leaves_(n_leaves), limits_(limits) {
  if (n_leaves > kMaxLeaves) throw std::invalid_argument("secret tree: too many leaves");
  if (!limits_in_range(limits)) throw std::invalid_argument("secret tree: limits out of range");
  if (n_leaves > 0) nodes_.emplace(root_node(), SecretBytes(encryption_secret));
}

NodeIndex SecretTree::root_node() const noexcept { return root(full_leaves(n_leaves_)); }

Status SecretTree::check_sender(LeafIndex leaf) const {
  if (leaf >= n_leaves_) {
    return fail(Errc::mls_invalid_sender,
                "leaf " + std::to_string(leaf) + " is outside a tree of " + std::to_string(n_leaves_) + " leaves");
  }
  return {};
}

Status SecretTree::check_window(const Ratchet& r, std::uint32_t generation) const {
  // Consuming UINT32_MAX would leave no next generation to hold.
  if (generation == UINT32_MAX) return fail(Errc::mls_generation_too_far, "ratchet generation exhausted");
  if (generation - r.next_generation > limits_.max_forward) {
    return fail(Errc::mls_generation_too_far, "generation " + std::to_string(generation) + " is more than " +
                                                  std::to_string(limits_.max_forward) + " ahead of " +
                                                  std::to_string(r.next_generation));
  }
  return {};
}

Result<SecretTree::LeafStart> SecretTree::start_leaf(LeafIndex leaf) const {
  const NodeIndex target = node_of_leaf(leaf);
  const auto nh = static_cast<std::uint16_t>(suite_.hash_length());
  // The one node on the leaf's path that still holds a secret: every node above it has been
  // deleted once its children existed (§9).
  NodeIndex x = root_node();
  auto held = nodes_.find(x);
  while (held == nodes_.end()) {
    if (x == target) return fail(Errc::internal, "secret tree: leaf secret already consumed");
    const NodeIndex l = *left(x);
    x = is_in_subtree(target, l) ? l : *right(x);
    held = nodes_.find(x);
  }
  LeafStart s;
  s.holder = x;
  SecretBytes secret = held->second.clone();
  while (x != target) {
    const NodeIndex l = *left(x);
    const NodeIndex r = *right(x);
    GCHAT_TRY(SecretBytes left_secret, expand_with_label(suite_, secret, "tree", as_bytes("left"), nh));
    GCHAT_TRY(SecretBytes right_secret, expand_with_label(suite_, secret, "tree", as_bytes("right"), nh));
    const bool go_left = is_in_subtree(target, l);
    s.siblings.emplace_back(go_left ? r : l, std::move(go_left ? right_secret : left_secret));
    secret = std::move(go_left ? left_secret : right_secret);
    x = go_left ? l : r;
  }
  GCHAT_TRY(s.ratchets.handshake.secret, expand_with_label(suite_, secret, "handshake", {}, nh));
  GCHAT_TRY(s.ratchets.application.secret, expand_with_label(suite_, secret, "application", {}, nh));
  return s;
}

Result<RatchetKey> SecretTree::derive_key(BytesView ratchet_secret, std::uint32_t generation) const {
  RatchetKey k;
  k.generation = generation;
  GCHAT_TRY(k.key, derive_tree_secret(suite_, ratchet_secret, "key", generation,
                                      static_cast<std::uint16_t>(suite_.aead_key_length())));
  GCHAT_TRY(k.nonce, derive_tree_secret(suite_, ratchet_secret, "nonce", generation,
                                        static_cast<std::uint16_t>(suite_.aead_nonce_length())));
  return k;
}

Result<SecretBytes> SecretTree::next_secret(BytesView ratchet_secret, std::uint32_t generation) const {
  return derive_tree_secret(suite_, ratchet_secret, "secret", generation,
                            static_cast<std::uint16_t>(suite_.hash_length()));
}

Result<RatchetKey> SecretTree::key_in(const Ratchet& r, std::uint32_t generation) const {
  if (generation < r.next_generation) {
    auto it = r.retained.find(generation);
    if (it == r.retained.end()) {
      return fail(Errc::mls_generation_reused,
                  "generation " + std::to_string(generation) + " was already used or is too old");
    }
    return RatchetKey{generation, it->second.key.clone(), it->second.nonce.clone()};
  }
  GCHAT_TRY_STATUS(check_window(r, generation));
  SecretBytes secret = r.secret.clone();
  for (std::uint32_t g = r.next_generation; g < generation; ++g) {
    GCHAT_TRY(secret, next_secret(secret, g));
  }
  return derive_key(secret, generation);
}

Result<RatchetKey> SecretTree::key_for(LeafIndex leaf, RatchetType type, std::uint32_t generation) const {
  GCHAT_TRY_STATUS(check_sender(leaf));
  if (auto it = leaves_.find(leaf); it != leaves_.end()) return key_in(pick(it->second, type), generation);
  GCHAT_TRY(LeafStart start, start_leaf(leaf));
  return key_in(pick(start.ratchets, type), generation);
}

Status SecretTree::consume(LeafIndex leaf, RatchetType type, std::uint32_t generation) {
  GCHAT_TRY_STATUS(check_sender(leaf));
  // Everything is computed first and committed at the end, so a failure changes nothing.
  std::optional<LeafStart> start;
  auto it = leaves_.find(leaf);
  if (it == leaves_.end()) {
    GCHAT_TRY(LeafStart s, start_leaf(leaf));
    start.emplace(std::move(s));
  }
  Ratchet& r = pick(start ? start->ratchets : it->second, type);
  if (generation < r.next_generation) {
    auto k = r.retained.find(generation);
    if (k == r.retained.end()) {
      return fail(Errc::mls_generation_reused,
                  "generation " + std::to_string(generation) + " was already used or is too old");
    }
    r.retained.erase(k);
    return {};
  }
  GCHAT_TRY_STATUS(check_window(r, generation));
  // Of the skipped generations only the newest max_retained can be kept: derive keys for those.
  const std::uint32_t keep_from = generation - std::min(generation - r.next_generation, limits_.max_retained);
  SecretBytes secret = r.secret.clone();
  std::vector<RatchetKey> skipped;
  for (std::uint32_t g = r.next_generation; g < generation; ++g) {
    if (g >= keep_from) {
      GCHAT_TRY(RatchetKey k, derive_key(secret, g));
      skipped.push_back(std::move(k));
    }
    GCHAT_TRY(secret, next_secret(secret, g));
  }
  GCHAT_TRY(secret, next_secret(secret, generation));

  r.secret = std::move(secret);  // the previous secret is wiped by SecretBytes' assignment
  r.next_generation = generation + 1;
  for (auto& k : skipped) r.retained.emplace(k.generation, std::move(k));
  while (r.retained.size() > limits_.max_retained) r.retained.erase(r.retained.begin());
  if (start) {
    nodes_.erase(start->holder);
    for (auto& [x, s] : start->siblings) nodes_.insert_or_assign(x, std::move(s));
    leaves_.emplace(leaf, std::move(start->ratchets));
  }
  return {};
}

Result<RatchetKey> SecretTree::get(LeafIndex leaf, RatchetType type, std::uint32_t generation) {
  GCHAT_TRY(RatchetKey k, key_for(leaf, type, generation));
  GCHAT_TRY_STATUS(consume(leaf, type, generation));
  return k;
}

Result<RatchetKey> SecretTree::next(LeafIndex leaf, RatchetType type) {
  GCHAT_TRY_STATUS(check_sender(leaf));
  auto it = leaves_.find(leaf);
  return get(leaf, type, it == leaves_.end() ? 0 : pick(it->second, type).next_generation);
}

namespace {

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

Bytes copy(BytesView v) { return Bytes(v.begin(), v.end()); }
void wipe(Bytes& b) { sodium_memzero(b.data(), b.size()); }
void wipe(StoredRatchet& r) {
  wipe(r.secret);
  for (auto& k : r.retained) {
    wipe(k.key);
    wipe(k.nonce);
  }
}
void wipe(StoredTree& t) {
  for (auto& n : t.nodes) wipe(n.secret);
  for (auto& l : t.leaves) {
    wipe(l.handshake);
    wipe(l.application);
  }
}

}  // namespace

SecretBytes SecretTree::serialize() const {
  StoredTree t{n_leaves_, limits_.max_forward, limits_.max_retained, {}, {}};
  for (const auto& [x, secret] : nodes_) t.nodes.push_back({x, copy(secret)});
  auto store = [](const Ratchet& r) {
    StoredRatchet out{copy(r.secret), r.next_generation, {}};
    for (const auto& [gen, k] : r.retained) out.retained.push_back({gen, copy(k.key), copy(k.nonce)});
    return out;
  };
  for (const auto& [i, l] : leaves_) t.leaves.push_back({i, store(l.handshake), store(l.application)});
  Bytes encoded = codec::encode(t);
  wipe(t);
  return SecretBytes::take(encoded);
}

Result<SecretTree> SecretTree::deserialize(const crypto::CipherSuite& suite, BytesView data) {
  GCHAT_TRY(StoredTree t, codec::decode_exact<StoredTree>(data));
  auto bad = [&](const char* what) {
    wipe(t);
    return fail(Errc::malformed, std::string("stored secret tree: ") + what);
  };
  if (t.n_leaves == 0 || t.n_leaves > kMaxLeaves) return bad("leaf count out of range");
  const Limits limits{t.max_forward, t.max_retained};
  if (!limits_in_range(limits)) return bad("limits out of range");
  const std::uint32_t full = full_leaves(t.n_leaves);
  const std::size_t nh = suite.hash_length();

  SecretTree tree(suite, {}, t.n_leaves, limits);
  tree.nodes_.clear();
  for (auto& n : t.nodes) {
    if (n.node >= node_width(full)) return bad("node out of range");
    if (n.secret.size() != nh) return bad("node secret of the wrong size");
    if (!tree.nodes_.emplace(n.node, SecretBytes::take(n.secret)).second) return bad("node repeated");
  }
  auto restore = [&](StoredRatchet& in, Ratchet& out) -> bool {
    if (in.secret.size() != nh || in.retained.size() > limits.max_retained) return false;
    out.secret = SecretBytes::take(in.secret);
    out.next_generation = in.next_generation;
    for (auto& k : in.retained) {
      if (k.generation >= in.next_generation || k.key.size() != suite.aead_key_length() ||
          k.nonce.size() != suite.aead_nonce_length()) {
        return false;
      }
      RatchetKey key{k.generation, SecretBytes::take(k.key), SecretBytes::take(k.nonce)};
      if (!out.retained.emplace(k.generation, std::move(key)).second) return false;
    }
    return true;
  };
  for (auto& l : t.leaves) {
    if (l.leaf >= t.n_leaves || tree.leaves_.contains(l.leaf)) return bad("leaf out of range or repeated");
    LeafRatchets r;
    if (!restore(l.handshake, r.handshake) || !restore(l.application, r.application)) return bad("bad ratchet");
    tree.leaves_.emplace(l.leaf, std::move(r));
  }

  // §9: each leaf of the full tree gets its secret from exactly one place, a node on its path that
  // still holds one or its own started ratchets. So no held node lies above another or above a
  // started leaf, and the subtrees of all of them together hold every leaf.
  auto held_above = [&](NodeIndex x) {
    for (auto p = parent(x, full); p; p = parent(*p, full)) {
      if (tree.nodes_.contains(*p)) return true;
    }
    return false;
  };
  std::uint64_t covered = 0;
  for (const auto& [x, secret] : tree.nodes_) {
    if (held_above(x)) return bad("a node secret is held below another");
    covered += std::uint64_t{1} << level(x);
  }
  for (const auto& [leaf, ratchets] : tree.leaves_) {
    if (tree.nodes_.contains(node_of_leaf(leaf)) || held_above(node_of_leaf(leaf))) {
      return bad("a started leaf still has a node secret on its path");
    }
    ++covered;
  }
  if (covered != full) return bad("node secrets do not cover every leaf");
  wipe(t);
  return tree;
}

}  // namespace gchat::mls
