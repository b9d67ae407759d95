#pragma once
// One member's state of one MLS group (RFC 9420 §11-12): create, add and remove members and
// refresh keys with a commit (always with an UpdatePath), join from a Welcome, process what
// others commit, and protect and open application messages.
//
// This is the first cut of the group API (issue 5): proposals are sent by value inside commits;
// stand-alone proposals, PSKs, external commits, ReInit and the credential-validation hook come
// next. A commit is applied to the committer's own state when it is created: the relay orders
// handshake messages per group, so the first commit of an epoch that the relay accepts is the
// one everybody applies.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/framing.hpp"
#include "gchat/mls/key_schedule.hpp"
#include "gchat/mls/ratchet_tree.hpp"
#include "gchat/mls/secret_tree.hpp"
#include "gchat/mls/treekem.hpp"
#include "gchat/mls/welcome.hpp"

namespace gchat::mls {

// Who a member is, with the keys only they hold.
struct Identity {
  Credential credential;
  crypto::SignatureKeyPair signature;
};

// A key package and the private keys that go with it (kept by its owner until it is used).
struct KeyPackageBundle {
  KeyPackage key_package;
  SecretBytes init_private_key;
  SecretBytes encryption_private_key;
};

// KeyPackageTBS signed with "KeyPackageTBS", its leaf signed with "LeafNodeTBS".
Result<KeyPackageBundle> make_key_package(const crypto::CipherSuite& suite, const Identity& identity,
                                          std::uint64_t not_before, std::uint64_t not_after);
// §10.1: suite, signatures, distinct init and encryption keys, leaf source, and the lifetime at
// `now` (Unix seconds) when given. Receivers of a commit do not re-check the lifetime: the
// committer checked it against its clock, and clocks differ.
Status validate_key_package(const crypto::CipherSuite& suite, const KeyPackage& kp, std::optional<std::uint64_t> now);

struct CommitOutput {
  MlsMessage commit;                 // PublicMessage, to every current member
  std::optional<MlsMessage> welcome;  // to the added members
};

struct Received {
  enum class Kind { application, proposal, commit } kind = Kind::application;
  LeafIndex sender = 0;
  Bytes application_data;           // application
  std::vector<LeafIndex> added;     // commit
  std::vector<LeafIndex> removed;   // commit
  std::vector<LeafIndex> updated;   // commit: members whose Update proposals it applied
  bool we_were_removed = false;     // commit: this member is no longer in the group
};

// The credential-validation hook (§5.3.1): called for every leaf a member is asked to accept — the
// leaves of a tree it joins, added key packages, Update leaves and committers' new leaves — and
// able to refuse any of them. The identity layer fills it with certificate-chain and clearance
// checks; by default only basic credentials are accepted.
enum class CredentialUse { joined_tree, add, update, commit };
using CredentialValidator = std::function<Status(const LeafNode& leaf, CredentialUse use)>;
Status accept_basic_credentials(const LeafNode& leaf, CredentialUse use);

// What a joiner may need besides the Welcome: the ratchet tree when the GroupInfo does not carry
// it, and the external pre-shared keys the Welcome names.
struct ExternalPsk {
  Bytes id;
  SecretBytes secret;
};
struct JoinOptions {
  std::optional<Bytes> ratchet_tree;  // the ratchet_tree extension's data
  const std::vector<ExternalPsk>* external_psks = nullptr;
  CredentialValidator validator = accept_basic_credentials;
};

class Group {
 public:
  static Result<Group> create(const crypto::CipherSuite& suite, Bytes group_id, const Identity& identity,
                              CredentialValidator validator = accept_basic_credentials);
  // `bundle` is consumed: its private keys move into the group state.
  static Result<Group> join(const crypto::CipherSuite& suite, const Welcome& welcome, KeyPackageBundle bundle,
                            const Identity& identity, const JoinOptions& options = {});

  // External join (§12.4.3.2): a new device of an existing member joins from the GroupInfo the
  // relay keeps, without waiting for anyone to add it. Returns the joined group and the commit to
  // send to the group's members.
  struct ExternalJoin;
  static Result<ExternalJoin> join_external(const crypto::CipherSuite& suite, const GroupInfo& info,
                                            const Identity& identity,
                                            CredentialValidator validator = accept_basic_credentials);
  // A signed GroupInfo of the current epoch with the ratchet tree and the external public key, for
  // external joins.
  Result<MlsMessage> group_info() const;

  // Adds the owners of `adds`, removes the members at `removes`, and refreshes this member's path.
  Result<CommitOutput> commit(const std::vector<KeyPackage>& adds, const std::vector<LeafIndex>& removes,
                              std::uint64_t now);
  // Stand-alone proposals (PublicMessages), cached by every member until the next commit, which
  // includes all of them by reference.
  Result<MlsMessage> propose_update();
  Result<MlsMessage> propose_remove(LeafIndex leaf);
  Result<MlsMessage> propose_add(const KeyPackage& key_package, std::uint64_t now);
  Result<MlsMessage> protect(BytesView application_data, BytesView authenticated_data = {});
  Result<Received> process(const MlsMessage& message);

  // The whole state for persistence: tree, private keys, epoch secrets, secret-tree ratchets,
  // transcript hash, pending proposals. The bytes are secret (the local store encrypts them); the
  // identity's signature key is not included and is given back on restore.
  SecretBytes serialize() const;
  static Result<Group> deserialize(const crypto::CipherSuite& suite, BytesView data, const Identity& identity,
                                   CredentialValidator validator = accept_basic_credentials);

  const Bytes& group_id() const noexcept { return context_.group_id; }
  std::uint64_t epoch() const noexcept { return context_.epoch; }
  LeafIndex own_leaf() const noexcept { return private_.leaf; }
  const RatchetTree& tree() const noexcept { return tree_; }
  BytesView epoch_authenticator() const noexcept { return secrets_.epoch_authenticator; }
  std::vector<LeafIndex> members() const;
  bool active() const noexcept { return active_; }
  Result<SecretBytes> export_secret(std::string_view label, BytesView context, std::uint16_t length) const;

 private:
  explicit Group(const crypto::CipherSuite& suite) : suite_(&suite), tree_(suite) {}
  // Applies the key schedule for the next epoch and the new transcript hashes; an external commit
  // brings its own init secret.
  Status enter_epoch(GroupContext next, BytesView commit_secret, BytesView confirmed_hash, BytesView confirmation_tag,
                     std::optional<BytesView> init_secret = std::nullopt);
  // Makes `context` (with its confirmed transcript hash) and `secrets` the current epoch.
  void install_epoch(GroupContext context, EpochSecrets secrets, BytesView confirmation_tag);
  Result<GroupInfo> make_group_info(const GroupContext& context, const RatchetTree& tree, BytesView tag,
                                    BytesView external_secret) const;

  struct CachedProposal {
    Bytes ref;
    Proposal proposal;
    LeafIndex sender;
  };
  Result<MlsMessage> send_proposal(Proposal proposal);
  Status cache_proposal(WireFormat wire_format, const FramedContent& content, const FramedContentAuthData& auth);
  void start_epoch_caches();

  const crypto::CipherSuite* suite_;
  CredentialValidator validator_ = accept_basic_credentials;
  std::vector<CachedProposal> pending_;             // this epoch's proposals
  std::map<Bytes, SecretBytes> own_update_keys_;    // our proposed leaf encryption keys -> private keys
  GroupContext context_;
  RatchetTree tree_;
  TreeKemPrivate private_;
  EpochSecrets secrets_;
  Bytes interim_transcript_hash_;
  Bytes confirmation_tag_;  // of the current epoch, for GroupInfos
  std::unique_ptr<SecretTree> secret_tree_;
  Identity identity_;
  bool active_ = true;
};

struct Group::ExternalJoin {
  Group group;
  MlsMessage commit;
};

}  // namespace gchat::mls
