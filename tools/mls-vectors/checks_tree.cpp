// tree-validation and tree-operations vectors.
#include "gchat/mls/ratchet_tree.hpp"
#include "runner.hpp"

namespace gchat::vectors {

using nlohmann::json;

void check_tree_validation(const json& c) {
  const auto& suite = suite_of(c);
  const auto tree = must(mls::RatchetTree::decode(suite, hex(c, "tree")), "decode tree");
  const auto& resolutions = c.at("resolutions");
  const auto& hashes = c.at("tree_hashes");
  expect(resolutions.size() == tree.node_count() && hashes.size() == tree.node_count(),
         "node count: the tree has " + std::to_string(tree.node_count()) + " nodes, the vector " +
             std::to_string(hashes.size()));
  for (mls::NodeIndex x = 0; x < tree.node_count(); ++x) {
    const auto expected = resolutions[x].get<std::vector<std::uint32_t>>();
    expect(tree.resolution(x) == expected, "resolution of node " + std::to_string(x));
    const auto want = from_hex(hashes[x].get<std::string>());
    expect(want.has_value(), "tree_hashes[" + std::to_string(x) + "] is not hex");
    expect_equal(tree.tree_hash(x), *want, "tree hash of node " + std::to_string(x));
  }
  must(tree.verify(hex(c, "group_id")), "tree validation");
}

void check_tree_operations(const json& c) {
  const auto& suite = suite_of(c);
  auto tree = must(mls::RatchetTree::decode(suite, hex(c, "tree_before")), "decode tree_before");
  expect_equal(tree.tree_hash(), hex(c, "tree_hash_before"), "tree_hash_before");
  const auto proposal = must(codec::decode_exact<mls::Proposal>(hex(c, "proposal")), "decode proposal");
  const auto sender = c.at("proposal_sender").get<std::uint32_t>();
  if (const auto* add = std::get_if<mls::Add>(&proposal.body)) {
    tree.add_leaf(add->key_package.leaf_node);
  } else if (const auto* update = std::get_if<mls::Update>(&proposal.body)) {
    must(tree.update_leaf(sender, update->leaf_node), "update");
  } else if (const auto* remove = std::get_if<mls::Remove>(&proposal.body)) {
    must(tree.remove_leaf(remove->removed), "remove");
  } else {
    throw CaseFailure{"unexpected proposal type " + std::to_string(static_cast<int>(proposal.type()))};
  }
  expect_equal(tree.encode(), hex(c, "tree_after"), "tree_after");
  expect_equal(tree.tree_hash(), hex(c, "tree_hash_after"), "tree_hash_after");
  // The same tree decoded afresh hashes the same: the cached hashes were kept right.
  const auto fresh = must(mls::RatchetTree::decode(suite, hex(c, "tree_after")), "decode tree_after");
  expect_equal(fresh.tree_hash(), tree.tree_hash(), "tree hash of tree_after decoded afresh");
}

}  // namespace gchat::vectors
