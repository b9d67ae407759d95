#pragma once
// A group as an observer without its secrets sees it: the relay. It holds the GroupContext, the
// public ratchet tree, the interim transcript hash and the pending proposals, and checks every
// handshake message as far as public data allows — the sender's signature (not the membership
// tag, which needs the membership key), the proposals and the commit's proposal list (§12.2), the
// path's parent hashes and leaf signature, each new leaf's credential and the application's epoch
// check — before following the commit into the next epoch. A commit it refuses is one every
// honest member refuses too; what it accepts it can trust about membership, because membership
// changes only by commits it has seen.

#include <cstdint>
#include <optional>
#include <vector>

#include "gchat/mls/group.hpp"

namespace gchat::mls {

class PublicGroup {
 public:
  // From a GroupInfo carrying the ratchet tree (signed by a member; the tree is validated as a
  // joiner would).
  static Result<PublicGroup> from_group_info(const crypto::CipherSuite& suite, const GroupInfo& info, GroupRules rules);

  struct Observed {
    enum class Kind { proposal, commit } kind = Kind::proposal;
    SenderType sender_type = SenderType::member;
    LeafIndex sender = 0;
    std::vector<LeafIndex> added;    // commit: leaves new in this epoch (an external joiner included)
    std::vector<LeafIndex> removed;  // commit: leaves that left (their nodes are blank now)
    std::vector<LeafNode> removed_leaves;  // commit: what those leaves held, in the same order
    bool extensions_changed = false;
    LeafIndex extensions_by = 0;  // commit: the member who proposed the new extensions
  };
  // A PublicMessage of the current epoch; anything else is refused. On failure nothing changes.
  Result<Observed> observe(const MlsMessage& message);

  const GroupContext& context() const noexcept { return context_; }
  const RatchetTree& tree() const noexcept { return tree_; }
  std::uint64_t epoch() const noexcept { return context_.epoch; }
  // Leaves whose signature key is `key` (a device is one leaf, but a stale state might hold two).
  std::vector<LeafIndex> leaves_with_key(BytesView key) const;

  Bytes serialize() const;
  static Result<PublicGroup> deserialize(const crypto::CipherSuite& suite, BytesView data, GroupRules rules);

 private:
  explicit PublicGroup(const crypto::CipherSuite& suite) : suite_(&suite), tree_(suite) {}
  const crypto::CipherSuite* suite_;
  GroupContext context_;
  RatchetTree tree_;
  Bytes interim_transcript_hash_;
  std::vector<PendingProposal> pending_;
  GroupRules rules_;
  bool closed_ = false;  // a ReInit was committed
};

}  // namespace gchat::mls
