// treekem vectors: processing the given UpdatePaths as every other member, and creating new ones.
#include <map>
#include <optional>

#include "gchat/crypto/hpke.hpp"
#include "gchat/mls/treekem.hpp"
#include "runner.hpp"

namespace gchat::vectors {

using nlohmann::json;

void check_treekem(const json& c) {
  const auto& suite = suite_of(c);
  const auto tree = must(mls::RatchetTree::decode(suite, hex(c, "ratchet_tree")), "decode ratchet_tree");
  mls::GroupContext base;
  base.cipher_suite = suite.id();
  base.group_id = hex(c, "group_id");
  base.epoch = c.at("epoch").get<std::uint64_t>();
  base.confirmed_transcript_hash = hex(c, "confirmed_transcript_hash");

  // Each member's private view, checked against the public tree.
  std::map<mls::LeafIndex, mls::TreeKemPrivate> privates;
  std::map<mls::LeafIndex, Bytes> signature_keys;
  for (const auto& lp : c.at("leaves_private")) {
    const auto index = lp.at("index").get<std::uint32_t>();
    const std::string at = "leaf " + std::to_string(index) + ": ";
    mls::TreeKemPrivate p;
    p.leaf = index;
    const auto* leaf = tree.leaf(index);
    expect(leaf != nullptr, at + "blank in the tree");
    const Bytes enc = hex(lp, "encryption_priv");
    expect_equal(must(suite.hpke().public_key_from_private(enc), at + "encryption key"), leaf->encryption_key,
                 at + "encryption public key");
    p.keys.emplace(mls::tree::node_of_leaf(index), SecretBytes(enc));
    for (const auto& ps : lp.at("path_secrets")) {
      const auto node = ps.at("node").get<std::uint32_t>();
      const auto* parent = tree.parent(node);
      expect(parent != nullptr, at + "path secret for blank node " + std::to_string(node));
      must(p.set_path_secret(suite, node, hex(ps, "path_secret"), parent->encryption_key),
           at + "path secret for node " + std::to_string(node));
    }
    signature_keys[index] = hex(lp, "signature_priv");
    privates.emplace(index, std::move(p));
  }

  for (const auto& up : c.at("update_paths")) {
    const auto sender = up.at("sender").get<std::uint32_t>();
    const std::string at = "path from " + std::to_string(sender) + ": ";
    const auto path = must(codec::decode_exact<mls::UpdatePath>(hex(up, "update_path")), at + "decode UpdatePath");
    const auto& expected_secrets = up.at("path_secrets");
    std::optional<Bytes> tree_hash_after;
    for (auto& [j, priv] : privates) {
      if (j == sender) continue;
      auto t = tree;
      auto ctx = base;
      auto mine = priv.clone();
      auto out = must(mls::process_update_path(suite, t, sender, path, ctx, {}, mine),
                      at + "processing as leaf " + std::to_string(j));
      expect(!expected_secrets.at(j).is_null(), at + "no expected path secret for leaf " + std::to_string(j));
      expect_equal(out.path_secret, *from_hex(expected_secrets.at(j).get<std::string>()),
                   at + "path secret decrypted by leaf " + std::to_string(j));
      expect_equal(out.commit_secret, hex(up, "commit_secret"), at + "commit secret at leaf " + std::to_string(j));
      tree_hash_after = t.tree_hash();
    }
    if (tree_hash_after) expect_equal(*tree_hash_after, hex(up, "tree_hash_after"), at + "tree_hash_after");

    // A fresh path from the same sender, processed by everyone else.
    auto t = tree;
    auto ctx = base;
    auto created = must(mls::create_update_path(suite, t, sender, signature_keys.at(sender), ctx, {}, privates.at(sender)),
                        at + "create_update_path");
    const Bytes wire = codec::encode(created.path);
    const auto reparsed = must(codec::decode_exact<mls::UpdatePath>(wire), at + "own UpdatePath re-decoded");
    for (auto& [j, priv] : privates) {
      if (j == sender) continue;
      auto tj = tree;
      auto cj = base;
      auto mine = priv.clone();
      auto out = must(mls::process_update_path(suite, tj, sender, reparsed, cj, {}, mine),
                      at + "own path processed by leaf " + std::to_string(j));
      expect_equal(out.commit_secret, created.commit_secret, at + "own path's commit secret at leaf " + std::to_string(j));
      expect_equal(tj.tree_hash(), t.tree_hash(), at + "own path's tree hash at leaf " + std::to_string(j));
    }
  }
}

}  // namespace gchat::vectors
