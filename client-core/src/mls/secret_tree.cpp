#include "gchat/mls/secret_tree.hpp"

#include <string>

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

}  // namespace gchat::mls
