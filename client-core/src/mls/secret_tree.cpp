#include "gchat/mls/secret_tree.hpp"

#include <sodium.h>

#include <string>

#include "gchat/codec/tls.hpp"

#include "gchat/mls/crypto_ops.hpp"

namespace gchat::mls {

using namespace tree;

SecretTree::SecretTree(const crypto::CipherSuite& suite, BytesView encryption_secret, std::uint32_t n_leaves,
                       Limits limits)
    : suite_(suite), n_leaves_(n_leaves), limits_(limits), nodes_(n_leaves ? node_width(n_leaves) : 0),
      leaves_(n_leaves) {
  if (n_leaves > 0) nodes_[root(n_leaves)] = SecretBytes(encryption_secret);
}

Status SecretTree::derive_leaf(LeafIndex leaf) {
  const NodeIndex target = node_of_leaf(leaf);
  // Walk down from the root along the leaf's path; at each node that still holds a secret, derive
  // both children and delete it (§9: a node's secret is not needed once its children exist).
  NodeIndex x = root(n_leaves_);
  const auto nh = static_cast<std::uint16_t>(suite_.hash_length());
  while (x != target) {
    const NodeIndex l = *left(x);
    const NodeIndex r = *right(x);
    if (!nodes_[x].empty()) {
      GCHAT_TRY(nodes_[l], expand_with_label(suite_, nodes_[x], "tree", as_bytes("left"), nh));
      GCHAT_TRY(nodes_[r], expand_with_label(suite_, nodes_[x], "tree", as_bytes("right"), nh));
      nodes_[x].wipe();
    }
    x = is_in_subtree(target, l) ? l : r;
  }
  if (nodes_[target].empty()) return fail(Errc::internal, "secret tree: leaf secret already consumed");
  LeafRatchets ratchets;
  GCHAT_TRY(ratchets.handshake.secret, expand_with_label(suite_, nodes_[target], "handshake", {}, nh));
  GCHAT_TRY(ratchets.application.secret, expand_with_label(suite_, nodes_[target], "application", {}, nh));
  nodes_[target].wipe();
  leaves_[leaf] = std::move(ratchets);
  return {};
}

Result<SecretTree::Ratchet*> SecretTree::ratchet(LeafIndex leaf, RatchetType type) {
  if (leaf >= n_leaves_) {
    return fail(Errc::mls_invalid_sender,
                "leaf " + std::to_string(leaf) + " is outside a tree of " + std::to_string(n_leaves_) + " leaves");
  }
  if (!leaves_[leaf]) GCHAT_TRY_STATUS(derive_leaf(leaf));
  auto& l = *leaves_[leaf];
  return type == RatchetType::handshake ? &l.handshake : &l.application;
}

Result<RatchetKey> SecretTree::derive_key(const Ratchet& r) const {
  RatchetKey k;
  k.generation = r.next_generation;
  GCHAT_TRY(k.key, derive_tree_secret(suite_, r.secret, "key", r.next_generation,
                                      static_cast<std::uint16_t>(suite_.aead_key_length())));
  GCHAT_TRY(k.nonce, derive_tree_secret(suite_, r.secret, "nonce", r.next_generation,
                                        static_cast<std::uint16_t>(suite_.aead_nonce_length())));
  return k;
}

Status SecretTree::advance(Ratchet& r) const {
  if (r.next_generation == UINT32_MAX) return fail(Errc::mls_generation_too_far, "ratchet generation exhausted");
  GCHAT_TRY(SecretBytes next, derive_tree_secret(suite_, r.secret, "secret", r.next_generation,
                                                 static_cast<std::uint16_t>(suite_.hash_length())));
  r.secret = std::move(next);  // the previous secret is wiped by SecretBytes' assignment
  ++r.next_generation;
  return {};
}

Result<RatchetKey> SecretTree::next(LeafIndex leaf, RatchetType type) {
  GCHAT_TRY(Ratchet * r, ratchet(leaf, type));
  GCHAT_TRY(RatchetKey k, derive_key(*r));
  GCHAT_TRY_STATUS(advance(*r));
  return k;
}

Result<RatchetKey> SecretTree::get(LeafIndex leaf, RatchetType type, std::uint32_t generation) {
  GCHAT_TRY(Ratchet * r, ratchet(leaf, type));
  if (generation < r->next_generation) {
    auto it = r->retained.find(generation);
    if (it == r->retained.end()) {
      return fail(Errc::mls_generation_reused,
                  "generation " + std::to_string(generation) + " was already used or is too old");
    }
    RatchetKey k = std::move(it->second);
    r->retained.erase(it);
    return k;
  }
  if (generation - r->next_generation > limits_.max_forward) {
    return fail(Errc::mls_generation_too_far, "generation " + std::to_string(generation) + " is more than " +
                                                  std::to_string(limits_.max_forward) + " ahead of " +
                                                  std::to_string(r->next_generation));
  }
  while (r->next_generation < generation) {
    GCHAT_TRY(RatchetKey skipped, derive_key(*r));
    if (limits_.max_retained > 0) {
      if (r->retained.size() >= limits_.max_retained) r->retained.erase(r->retained.begin());
      r->retained.emplace(skipped.generation, std::move(skipped));
    }
    GCHAT_TRY_STATUS(advance(*r));
  }
  GCHAT_TRY(RatchetKey k, derive_key(*r));
  GCHAT_TRY_STATUS(advance(*r));
  return k;
}

void SecretTree::put_back(LeafIndex leaf, RatchetType type, RatchetKey key) {
  if (leaf >= n_leaves_ || !leaves_[leaf]) return;
  auto& l = *leaves_[leaf];
  Ratchet& r = type == RatchetType::handshake ? l.handshake : l.application;
  if (key.generation < r.next_generation) r.retained.emplace(key.generation, std::move(key));
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
  for (NodeIndex x = 0; x < nodes_.size(); ++x) {
    if (!nodes_[x].empty()) t.nodes.push_back({x, copy(nodes_[x])});
  }
  auto store = [](const Ratchet& r) {
    StoredRatchet out{copy(r.secret), r.next_generation, {}};
    for (const auto& [gen, k] : r.retained) out.retained.push_back({gen, copy(k.key), copy(k.nonce)});
    return out;
  };
  for (LeafIndex i = 0; i < leaves_.size(); ++i) {
    if (leaves_[i]) t.leaves.push_back({i, store(leaves_[i]->handshake), store(leaves_[i]->application)});
  }
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
  if (t.n_leaves == 0 || t.n_leaves > (1u << 24)) return bad("leaf count out of range");
  SecretTree tree(suite, Bytes(suite.hash_length(), 0), t.n_leaves, Limits{t.max_forward, t.max_retained});
  tree.nodes_[root(t.n_leaves)].wipe();
  for (auto& n : t.nodes) {
    if (n.node >= tree.nodes_.size() || n.secret.size() != suite.hash_length()) return bad("node out of range");
    tree.nodes_[n.node] = SecretBytes::take(n.secret);
  }
  auto restore = [&](StoredRatchet& in, Ratchet& out) -> bool {
    if (in.secret.size() != suite.hash_length()) return false;
    out.secret = SecretBytes::take(in.secret);
    out.next_generation = in.next_generation;
    for (auto& k : in.retained) {
      if (k.generation >= in.next_generation) return false;
      out.retained.emplace(k.generation, RatchetKey{k.generation, SecretBytes::take(k.key), SecretBytes::take(k.nonce)});
    }
    return true;
  };
  for (auto& l : t.leaves) {
    if (l.leaf >= t.n_leaves || tree.leaves_[l.leaf]) return bad("leaf out of range or repeated");
    LeafRatchets r;
    if (!restore(l.handshake, r.handshake) || !restore(l.application, r.application)) return bad("bad ratchet");
    tree.leaves_[l.leaf] = std::move(r);
  }
  wipe(t);
  return tree;
}

}  // namespace gchat::mls
