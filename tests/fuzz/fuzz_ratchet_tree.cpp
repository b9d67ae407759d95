// Untrusted ratchet trees (the ratchet_tree extension, the tree in every stored state), through
// the decoder's structural checks and everything a member does with a tree: tree hash, parent
// hashes, leaf signatures, resolutions, filtered direct paths, and the edits of a commit (add,
// update, remove, merging a path). Checked: encoding is canonical; a resolution holds only
// non-blank nodes below its node; a filtered path only direct-path nodes whose copath child has
// members; after every edit the cached tree hash equals the hash of the tree decoded afresh from
// its encoding; and merging a path into a tree whose parent hashes verify keeps them verifying.
#include "fuzz.hpp"
#include "world.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

constexpr std::size_t kMaxNodesChecked = 512;  // the per-node checks are linear each
constexpr std::uint32_t kMaxLeavesChecked = 64;

void checked_hash(const RatchetTree& t, const char* edit) {
  const Bytes encoded = t.encode();
  auto fresh = RatchetTree::decode(fuzz::world().suite, encoded);
  if (!fresh.ok()) {
    if (encoded != Bytes{0}) fuzz_fail(edit);  // only a tree of blank nodes does not decode
    return;
  }
  if (fresh->tree_hash() != t.tree_hash()) fuzz_fail(edit);
}

void check_shape(const RatchetTree& t) {
  const std::uint32_t n = std::min<std::uint32_t>(t.node_count(), kMaxNodesChecked);
  for (NodeIndex x = 0; x < n; ++x) {
    for (NodeIndex y : t.resolution(x)) {
      if (t.blank(y) || !tree::is_in_subtree(y, x))
        fuzz_fail("a resolution holds a node that is blank or not below");
    }
  }
  const std::uint32_t leaves = std::min(t.leaf_count(), kMaxLeavesChecked);
  for (LeafIndex i = 0; i < leaves; ++i) {
    if (!t.leaf(i)) continue;
    const auto path = tree::direct_path(tree::node_of_leaf(i), t.leaf_count());
    for (const auto& step : t.filtered_direct_path(i)) {
      if (std::find(path.begin(), path.end(), step.node) == path.end() ||
          t.resolution(step.copath_child).empty()) {
        fuzz_fail("a filtered direct path holds a node it should not");
      }
    }
  }
}

// A commit's edits, each on a copy of the tree.
void edit(const RatchetTree& tree) {
  const auto& w = fuzz::world();
  const LeafNode& newcomer = w.bundles.back().key_package.leaf_node;
  {
    RatchetTree t = tree;
    const LeafIndex added = t.add_leaf(newcomer);
    if (!t.leaf(added)) fuzz_fail("an added leaf is not in the tree");
    checked_hash(t, "the cached tree hash is stale after an add");
  }
  std::optional<LeafIndex> member;
  for (LeafIndex i = 0; i < std::min(tree.leaf_count(), kMaxLeavesChecked) && !member; ++i) {
    if (tree.leaf(i)) member = i;
  }
  if (!member) return;
  {
    RatchetTree t = tree;
    (void)t.tree_hash();  // fill the cache, so that the edit must invalidate it
    if (!t.remove_leaf(*member).ok()) fuzz_fail("a member's leaf cannot be removed");
    if (t.leaf(*member)) fuzz_fail("a removed leaf is still in the tree");
    checked_hash(t, "the cached tree hash is stale after a remove");
  }
  {
    RatchetTree t = tree;
    (void)t.tree_hash();
    if (!t.update_leaf(*member, newcomer).ok()) fuzz_fail("a member's leaf cannot be updated");
    checked_hash(t, "the cached tree hash is stale after an update");
  }
  {
    RatchetTree t = tree;
    const bool valid_before = t.verify_parent_hashes().ok();
    const auto steps = t.filtered_direct_path(*member);
    std::vector<Bytes> keys;
    for (std::size_t i = 0; i < steps.size(); ++i)
      keys.push_back(Bytes(32, static_cast<std::uint8_t>(0xe0 + i)));
    auto parent_hash = t.apply_path(*member, keys);
    if (!parent_hash.ok()) fuzz_fail("a path of the right length does not merge");
    LeafNode leaf = *t.leaf(*member);
    leaf.leaf_node_source = LeafNodeSource::commit;
    leaf.parent_hash = *parent_hash;
    if (!t.set_leaf(*member, std::move(leaf)).ok()) fuzz_fail("a member's leaf cannot be replaced");
    checked_hash(t, "the cached tree hash is stale after merging a path");
    if (valid_before && !t.verify_parent_hashes().ok())
      fuzz_fail("merging a path broke the tree's parent hashes");
  }
}

}  // namespace

std::vector<Bytes> fuzz_seeds() {
  return fuzz::world().trees;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& w = fuzz::world();
  fuzz::reset_randomness();
  const BytesView in(data, size);
  auto tree = RatchetTree::decode(w.suite, in);
  const bool seed = is_one_of(in, w.trees);
  if (seed && (!tree.ok() || !tree->verify(Bytes{'w', 'o', 'r', 'l', 'd'}).ok()))
    fuzz_fail("a seed tree does not verify");
  if (!tree.ok()) return 0;
  if (!same_bytes(tree->encode(), in)) fuzz_fail("a decoded ratchet tree re-encodes differently");
  checked_hash(*tree, "a decoded tree's hash changes when decoded again");
  (void)tree->verify_parent_hashes();
  (void)tree->verify(Bytes{'w', 'o', 'r', 'l', 'd'});
  check_shape(*tree);
  edit(*tree);
  return 0;
}
