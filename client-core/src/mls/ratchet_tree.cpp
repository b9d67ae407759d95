#include "gchat/mls/ratchet_tree.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <unordered_set>

#include "gchat/mls/crypto_ops.hpp"

namespace gchat::mls {

using codec::decode_value;
using codec::encode_value;
using namespace tree;

namespace {

std::uint32_t next_power_of_two(std::uint32_t n) {
  std::uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

Unexpected invalid_tree(const std::string& what) { return fail(Errc::mls_invalid_tree, what); }

}  // namespace

// --- Node encoding ---------------------------------------------------------------------------

void tls_encode(Writer& w, const Node& v) {
  if (const auto* leaf = std::get_if<LeafNode>(&v.value)) {
    encode_value(w, NodeType::leaf);
    encode_value(w, *leaf);
  } else {
    encode_value(w, NodeType::parent);
    encode_value(w, std::get<ParentNode>(v.value));
  }
}

Status tls_decode(Reader& r, Node& v) {
  NodeType type{};
  GCHAT_TRY_STATUS(decode_value(r, type));
  if (type == NodeType::leaf) {
    LeafNode leaf;
    GCHAT_TRY_STATUS(decode_value(r, leaf));
    v.value = std::move(leaf);
    return {};
  }
  if (type == NodeType::parent) {
    ParentNode parent;
    GCHAT_TRY_STATUS(decode_value(r, parent));
    v.value = std::move(parent);
    return {};
  }
  return fail(Errc::invalid_value, "node type " + std::to_string(static_cast<int>(type)) + " is not supported");
}

Bytes leaf_node_tbs(const LeafNode& leaf, BytesView group_id, LeafIndex index) {
  Writer w;
  encode_leaf_node_content(w, leaf);
  if (leaf.leaf_node_source == LeafNodeSource::update || leaf.leaf_node_source == LeafNodeSource::commit) {
    w.opaque(group_id);
    w.u32(index);
  }
  return w.take();
}

Result<Bytes> sign_leaf_node(const crypto::CipherSuite& suite, const LeafNode& leaf, BytesView signature_private_key,
                             BytesView group_id, LeafIndex index) {
  return sign_with_label(suite, signature_private_key, "LeafNodeTBS", leaf_node_tbs(leaf, group_id, index));
}

Status verify_leaf_node(const crypto::CipherSuite& suite, const LeafNode& leaf, BytesView group_id, LeafIndex index) {
  return verify_with_label(suite, leaf.signature_key, "LeafNodeTBS", leaf_node_tbs(leaf, group_id, index),
                           leaf.signature);
}

// --- Structure -------------------------------------------------------------------------------

Result<RatchetTree> RatchetTree::decode(const crypto::CipherSuite& suite, BytesView data) {
  GCHAT_TRY(auto nodes, codec::decode_exact<std::vector<std::optional<Node>>>(data));
  if (nodes.empty()) return invalid_tree("the ratchet tree is empty");
  if (!nodes.back()) return invalid_tree("the ratchet tree ends with a blank node");
  if (nodes.size() > node_width(1u << 31)) return invalid_tree("the ratchet tree is too large");
  const auto leaves = next_power_of_two(static_cast<std::uint32_t>(nodes.size() / 2 + 1));
  RatchetTree t(suite);
  t.resize(node_width(leaves));
  for (NodeIndex x = 0; x < nodes.size(); ++x) {
    if (nodes[x]) t.set(x, std::move(nodes[x]));
  }
  for (NodeIndex x = 0; x < t.nodes_.size(); ++x) {
    if (!t.nodes_[x]) continue;
    const bool leaf_node = std::holds_alternative<LeafNode>(t.nodes_[x]->value);
    if (leaf_node != is_leaf(x)) {
      return invalid_tree("node " + std::to_string(x) + " is a " + (leaf_node ? "leaf" : "parent") + " in a " +
                          (is_leaf(x) ? "leaf" : "parent") + " position");
    }
    if (const auto* p = std::get_if<ParentNode>(&t.nodes_[x]->value)) {
      for (std::size_t i = 0; i < p->unmerged_leaves.size(); ++i) {
        const auto l = p->unmerged_leaves[i];
        if (l >= leaves || !is_in_subtree(node_of_leaf(l), x) || t.blank(node_of_leaf(l))) {
          return invalid_tree("node " + std::to_string(x) + " lists leaf " + std::to_string(l) +
                              " as unmerged, which is not a member below it");
        }
        if (std::find(p->unmerged_leaves.begin(), p->unmerged_leaves.begin() + static_cast<std::ptrdiff_t>(i), l) !=
            p->unmerged_leaves.begin() + static_cast<std::ptrdiff_t>(i)) {
          return invalid_tree("node " + std::to_string(x) + " lists unmerged leaf " + std::to_string(l) + " twice");
        }
      }
    }
  }
  return t;
}

Bytes RatchetTree::encode() const {
  std::size_t end = nodes_.size();
  while (end > 0 && !nodes_[end - 1]) --end;
  Writer w;
  w.with_length_prefix([&](Writer& inner) {
    for (std::size_t x = 0; x < end; ++x) {
      if (nodes_[x]) {
        inner.u8(1);
        encode_value(inner, *nodes_[x]);
      } else {
        inner.u8(0);
      }
    }
  });
  return w.take();
}

const LeafNode* RatchetTree::leaf(LeafIndex i) const noexcept {
  const NodeIndex x = node_of_leaf(i);
  if (blank(x)) return nullptr;
  return std::get_if<LeafNode>(&nodes_[x]->value);
}

const ParentNode* RatchetTree::parent(NodeIndex x) const noexcept {
  if (blank(x)) return nullptr;
  return std::get_if<ParentNode>(&nodes_[x]->value);
}

std::vector<NodeIndex> RatchetTree::resolution(NodeIndex x) const {
  std::vector<NodeIndex> out;
  if (x < nodes_.size()) resolution_into(x, out);
  return out;
}

void RatchetTree::resolution_into(NodeIndex x, std::vector<NodeIndex>& out) const {
  if (!blank(x)) {
    out.push_back(x);
    if (const auto* p = parent(x)) {
      for (auto l : p->unmerged_leaves) out.push_back(node_of_leaf(l));
    }
    return;
  }
  // A blank subtree without members resolves to nothing: skip it without walking it.
  if (is_leaf(x) || !has_members_below(x)) return;
  resolution_into(*left(x), out);
  resolution_into(*right(x), out);
}

// --- Tree hash -------------------------------------------------------------------------------

void RatchetTree::invalidate(NodeIndex x) const {
  const auto n = leaf_count();
  for (std::optional<NodeIndex> y = x; y; y = tree::parent(*y, n)) hash_valid_[*y] = 0;
}

void RatchetTree::set(NodeIndex x, std::optional<Node> node) {
  const bool was = nodes_[x] != nullptr;
  nodes_[x] = node ? std::make_shared<const Node>(std::move(*node)) : nullptr;
  const bool now = nodes_[x] != nullptr;
  if (is_leaf(x) && was != now) {
    const auto n = leaf_count();
    for (std::optional<NodeIndex> y = x; y; y = tree::parent(*y, n)) members_below_[*y] += now ? 1 : -1u;
  }
  invalidate(x);
}

void RatchetTree::resize(std::size_t width) {
  const std::size_t old = nodes_.size();
  const std::uint32_t old_root_members = old ? members_below_[old / 2] : 0;
  nodes_.resize(width);
  hashes_.resize(width);
  hash_valid_.resize(width, 0);
  members_below_.resize(width, 0);
  if (width > old && old > 0) {
    // Extended: the old tree is the new root's left subtree.
    const std::size_t root_index = width / 2;
    members_below_[root_index] = old_root_members;
    hash_valid_[root_index] = 0;
  }
}

Bytes RatchetTree::tree_hash() const { return tree_hash(root(leaf_count())); }

Bytes RatchetTree::tree_hash(NodeIndex x) const {
  const std::size_t nh = suite_->hash_length();
  if (!hash_valid_[x]) {
    const Bytes h = hash_node(x, nullptr);
    std::copy(h.begin(), h.end(), hashes_[x].begin());
    hash_valid_[x] = 1;
  }
  return Bytes(hashes_[x].begin(), hashes_[x].begin() + static_cast<std::ptrdiff_t>(nh));
}

// TreeHashInput of x; with `removed`, as if those leaves were blank and absent from every
// unmerged_leaves list (the "original" tree of §7.9).
Bytes RatchetTree::hash_node(NodeIndex x, const std::vector<LeafIndex>* removed) const {
  auto removed_below = [&](NodeIndex y) {
    if (!removed) return false;
    return std::any_of(removed->begin(), removed->end(), [&](LeafIndex l) { return is_in_subtree(node_of_leaf(l), y); });
  };
  Writer w;
  if (is_leaf(x)) {
    encode_value(w, NodeType::leaf);
    w.u32(leaf_of_node(x));
    const LeafNode* l = removed_below(x) ? nullptr : leaf(leaf_of_node(x));
    if (l) {
      w.u8(1);
      encode_value(w, *l);
    } else {
      w.u8(0);
    }
  } else {
    encode_value(w, NodeType::parent);
    if (const ParentNode* p = parent(x)) {
      w.u8(1);
      if (removed_below(x)) {
        ParentNode filtered = *p;
        std::erase_if(filtered.unmerged_leaves, [&](std::uint32_t l) {
          return std::find(removed->begin(), removed->end(), l) != removed->end();
        });
        encode_value(w, filtered);
      } else {
        encode_value(w, *p);
      }
    } else {
      w.u8(0);
    }
    for (NodeIndex child : {*left(x), *right(x)}) {
      w.opaque(removed_below(child) ? hash_node(child, removed) : tree_hash(child));
    }
  }
  return suite_->hash(w.bytes());
}

// --- Parent hashes ---------------------------------------------------------------------------

Bytes RatchetTree::parent_hash(NodeIndex p, NodeIndex sibling) const {
  const ParentNode* node = parent(p);
  if (!node) return {};
  // ParentHashInput { encryption_key; parent_hash; original_sibling_tree_hash }
  Writer w;
  w.opaque(node->encryption_key);
  w.opaque(node->parent_hash);
  w.opaque(node->unmerged_leaves.empty() ? tree_hash(sibling) : hash_node(sibling, &node->unmerged_leaves));
  return suite_->hash(w.bytes());
}

Status RatchetTree::verify_parent_hashes() const {
  for (NodeIndex x = 1; x < nodes_.size(); x += 2) {
    const ParentNode* p = parent(x);
    if (!p) continue;
    int valid = 0;
    const NodeIndex l = *left(x), r = *right(x);
    for (auto [child, sibling] : {std::pair{l, r}, std::pair{r, l}}) {
      const Bytes expected = parent_hash(x, sibling);
      std::set<NodeIndex> unmerged_below;
      for (auto leaf_index : p->unmerged_leaves) {
        if (is_in_subtree(node_of_leaf(leaf_index), child)) unmerged_below.insert(node_of_leaf(leaf_index));
      }
      const auto res = resolution(child);
      for (NodeIndex d : res) {
        const Bytes* ph = nullptr;
        if (const ParentNode* dp = parent(d)) {
          ph = &dp->parent_hash;
        } else if (const LeafNode* dl = leaf(leaf_of_node(d))) {
          if (dl->leaf_node_source == LeafNodeSource::commit) ph = &dl->parent_hash;
        }
        if (!ph || *ph != expected) continue;
        std::set<NodeIndex> rest(res.begin(), res.end());
        rest.erase(d);
        if (rest == unmerged_below) ++valid;
      }
    }
    if (valid != 1) {
      return invalid_tree("parent node " + std::to_string(x) + " is not parent-hash valid (" + std::to_string(valid) +
                          " descendants vouch for it)");
    }
  }
  return {};
}

Status RatchetTree::verify_leaf_signatures(BytesView group_id) const {
  for (LeafIndex i = 0; i < leaf_count(); ++i) {
    const LeafNode* l = leaf(i);
    if (!l) continue;
    auto st = verify_leaf_node(*suite_, *l, group_id, i);
    if (!st.ok()) return fail(Errc::bad_signature, "leaf " + std::to_string(i) + ": the signature does not verify");
  }
  return {};
}

Status RatchetTree::verify(BytesView group_id) const {
  std::set<Bytes> encryption_keys, signature_keys;
  for (NodeIndex x = 0; x < nodes_.size(); ++x) {
    if (blank(x)) continue;
    const Bytes& key = is_leaf(x) ? leaf(leaf_of_node(x))->encryption_key : parent(x)->encryption_key;
    if (!encryption_keys.insert(key).second) {
      return invalid_tree("node " + std::to_string(x) + " repeats an encryption key used elsewhere in the tree");
    }
    if (is_leaf(x) && !signature_keys.insert(leaf(leaf_of_node(x))->signature_key).second) {
      return invalid_tree("leaf " + std::to_string(leaf_of_node(x)) + " repeats another leaf's signature key");
    }
  }
  GCHAT_TRY_STATUS(verify_leaf_signatures(group_id));
  return verify_parent_hashes();
}

// --- Paths ---------------------------------------------------------------------------------

std::vector<RatchetTree::PathStep> RatchetTree::filtered_direct_path(LeafIndex sender) const {
  std::vector<PathStep> out;
  const NodeIndex leaf_node = node_of_leaf(sender);
  for (NodeIndex x : direct_path(leaf_node, leaf_count())) {
    const NodeIndex l = *left(x), r = *right(x);
    const NodeIndex copath = is_in_subtree(leaf_node, l) ? r : l;
    if (has_members_below(copath)) out.push_back({x, copath});
  }
  return out;
}

Result<Bytes> RatchetTree::apply_path(LeafIndex sender, const std::vector<Bytes>& public_keys) {
  if (!leaf(sender)) return fail(Errc::mls_invalid_commit, "the path's sender is not a member");
  const auto steps = filtered_direct_path(sender);
  if (steps.size() != public_keys.size()) {
    return fail(Errc::mls_invalid_commit, "the path has " + std::to_string(public_keys.size()) +
                                              " nodes where the filtered direct path has " +
                                              std::to_string(steps.size()));
  }
  for (NodeIndex x : direct_path(node_of_leaf(sender), leaf_count())) set(x, std::nullopt);
  // Top down: each node's parent_hash is the parent hash of the next filtered node above it.
  for (std::size_t i = steps.size(); i-- > 0;) {
    Bytes ph = i + 1 < steps.size() ? parent_hash(steps[i + 1].node, steps[i + 1].copath_child) : Bytes{};
    set(steps[i].node, Node{ParentNode{public_keys[i], std::move(ph), {}}});
  }
  return steps.empty() ? Bytes{} : parent_hash(steps[0].node, steps[0].copath_child);
}

Status RatchetTree::set_leaf(LeafIndex i, LeafNode leaf_node) {
  if (!leaf(i)) return fail(Errc::mls_invalid_proposal, "leaf " + std::to_string(i) + " is not a member");
  set(node_of_leaf(i), Node{std::move(leaf_node)});
  return {};
}

// --- Membership edits ------------------------------------------------------------------------

LeafIndex RatchetTree::add_leaf(LeafNode leaf_node) {
  LeafIndex index = 0;
  while (index < leaf_count() && !blank(node_of_leaf(index))) ++index;
  if (nodes_.empty()) {
    resize(1);
  } else if (index == leaf_count()) {
    // Extend: the old tree becomes the left subtree of a new root; indices are unchanged.
    resize(2 * nodes_.size() + 1);
  }
  set(node_of_leaf(index), Node{std::move(leaf_node)});
  for (NodeIndex x : direct_path(node_of_leaf(index), leaf_count())) {
    if (blank(x)) continue;
    ParentNode p = std::get<ParentNode>(nodes_[x]->value);
    p.unmerged_leaves.push_back(index);
    set(x, Node{std::move(p)});
  }
  return index;
}

Status RatchetTree::update_leaf(LeafIndex i, LeafNode leaf_node) {
  if (!leaf(i)) return fail(Errc::mls_invalid_proposal, "leaf " + std::to_string(i) + " is not a member");
  set(node_of_leaf(i), Node{std::move(leaf_node)});
  for (NodeIndex x : direct_path(node_of_leaf(i), leaf_count())) set(x, std::nullopt);
  return {};
}

Status RatchetTree::remove_leaf(LeafIndex i) {
  if (!leaf(i)) return fail(Errc::mls_invalid_proposal, "leaf " + std::to_string(i) + " is not a member");
  set(node_of_leaf(i), std::nullopt);
  for (NodeIndex x : direct_path(node_of_leaf(i), leaf_count())) set(x, std::nullopt);
  truncate();
  return {};
}

void RatchetTree::truncate() {
  // While the right subtree holds nothing, drop it and the root (§7.7).
  while (leaf_count() > 1) {
    const std::size_t half = nodes_.size() / 2;  // the root's index
    // No member on the right means no non-blank node there: removals blank their direct paths.
    if (has_members_below(*right(static_cast<NodeIndex>(half)))) break;
    resize(half);
  }
}

}  // namespace gchat::mls
