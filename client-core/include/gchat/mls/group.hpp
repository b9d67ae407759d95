#pragma once
// One member's state of one MLS group (RFC 9420 §11-12): create, add and remove members and
// refresh keys with a commit (always with an UpdatePath), join from a Welcome or by an external
// commit, send and cache proposals (Add, Update, Remove, PreSharedKey, GroupContextExtensions,
// ReInit; from members, from the external senders the group lists, and a joiner's own Add),
// process what others commit, and protect and open application messages.
//
// A commit is applied to the committer's own state when it is created: the relay orders
// handshake messages per group, so the first commit of an epoch that the relay accepts is the
// one everybody applies (a committer whose commit lost keeps a copy of its state from before).
//
// What is left out, on purpose: creating the successor group after a committed ReInit and
// subgroup branching (both need resumption PSKs from another group; a ReInit is validated,
// committed and then closes this group for sending).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
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
  // What this client supports beyond MLS 1.0, the group's suite and its own credential type
  // (which its leaves always list): other credential types and non-default extension and proposal
  // types.
  Capabilities extra_capabilities;
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
// The longest lifetime a key package this client adds may claim (§7.2 asks every application to
// set one). It is this client's policy for what it chooses to add, not a rule for others' commits:
// other implementations use lifetimes up to the maximum.
constexpr std::uint64_t kMaxKeyPackageLifetime = 90ull * 24 * 3600;

// §10.1: suite, signatures, distinct init and encryption keys, leaf source. With `now` (Unix
// seconds: this client choosing what it adds, by its own commit or Add proposal) also the local
// policy: a lifetime no longer than kMaxKeyPackageLifetime with `now` inside it. Without it (a key
// package in a proposal or commit from someone else) the lifetime is not judged: §7.3 only
// recommends the time check to receivers, and a member must not refuse a commit the RFC accepts.
Status validate_key_package(const crypto::CipherSuite& suite, const KeyPackage& kp, std::optional<std::uint64_t> now);

// Proposals a member (and the relay) keeps for one epoch at most: each is saved with the group's
// state, so an unbounded flood of valid proposals from one member would grow every member's store.
inline constexpr std::size_t kMaxPendingProposals = 1000;

// A proposal cached in this epoch, with who sent it and the authenticated data of the message that
// carried it (where evidence for it travels, e.g. the administrator's act behind a relay's Remove).
struct PendingProposal {
  Bytes ref;
  Proposal proposal;
  Sender sender;
  Bytes authenticated_data;
};

struct CommitOptions {
  // The Welcome's GroupInfo carries the ratchet tree. At 10,000 members that is 2.5 MB to encode,
  // sign and encrypt with every Add; without it, joiners take the tree from elsewhere (the relay
  // keeps the public tree of each group) through JoinOptions::ratchet_tree.
  bool ratchet_tree_in_welcome = true;
  // New GroupContext extensions, as a GroupContextExtensions proposal by value in this commit (it
  // replaces any such proposal pending by reference).
  std::optional<std::vector<Extension>> extensions;
  // Which pending proposals of others go in by reference (empty: all that make a valid list). An
  // application commits on its own only what its policy lets each proposal's sender ask for; the
  // rest waits for a person.
  std::function<bool(const PendingProposal&)> take_pending;
  // The commit's FramedContent.authenticated_data.
  Bytes authenticated_data;
};

struct CommitOutput {
  MlsMessage commit;                 // PublicMessage, to every current member
  std::optional<MlsMessage> welcome;  // to the added members
};

struct Received {
  enum class Kind { application, proposal, commit } kind = Kind::application;
  SenderType sender_type = SenderType::member;
  LeafIndex sender = 0;                     // leaf (members), index in external_senders (external)
  std::optional<ProposalType> proposal;     // proposal
  Bytes application_data;           // application
  std::vector<LeafIndex> added;     // commit
  std::vector<LeafIndex> removed;   // commit
  std::vector<LeafIndex> updated;   // commit: members whose Update proposals it applied
  bool we_were_removed = false;     // commit: this member is no longer in the group
  bool extensions_changed = false;  // commit: the GroupContext extensions were replaced
  LeafIndex extensions_by = 0;      // commit: the member who proposed them (the committer, by value)
  std::optional<ReInit> reinit;     // commit: the group is closed; its successor is described here
};

// Proposals from outside the group (§12.1.8), as PublicMessages for the group's current epoch:
// from the external sender at `sender_index` of the group's external_senders extension (Add,
// Remove, PreSharedKey, ReInit, GroupContextExtensions), or a joiner's own Add.
Result<MlsMessage> external_proposal(const crypto::CipherSuite& suite, BytesView group_id, std::uint64_t epoch,
                                     std::uint32_t sender_index, Proposal proposal,
                                     BytesView signature_private_key, BytesView authenticated_data = {});
Result<MlsMessage> new_member_proposal(const crypto::CipherSuite& suite, BytesView group_id, std::uint64_t epoch,
                                       const KeyPackage& key_package, BytesView signature_private_key);

// The credential-validation hook (§5.3.1): called for every leaf a member is asked to accept — the
// leaves of a tree it joins, added key packages, Update leaves and committers' new leaves — and
// able to refuse any of them. The identity layer fills it with certificate-chain and clearance
// checks; by default only basic credentials are accepted.
// External senders named in a GroupContextExtensions proposal or in a joined group's context are
// checked too (`external_sender`). The hook sees the credential and the signature key it vouches
// for.
enum class CredentialUse { joined_tree, add, update, commit, external_sender };
using CredentialValidator =
    std::function<Status(const Credential& credential, BytesView signature_key, CredentialUse use)>;
Status accept_basic_credentials(const Credential& credential, BytesView signature_key, CredentialUse use);

// What a joiner may need besides the Welcome: the ratchet tree when the GroupInfo does not carry
// it, and the external pre-shared keys the Welcome names.
struct ExternalPsk {
  Bytes id;
  SecretBytes secret;
};
// The epoch hook: what the application checks of each new epoch beyond RFC 9420 (the identity
// layer: clearance levels, allowed agencies, who may change the group's policy). It is called
// before an epoch is entered — by the creator, by a committer before it sends, by every receiver
// of a commit, by a joiner — and can refuse it; the group state is then unchanged.
struct EpochChange {
  const GroupContext* previous = nullptr;  // null when the group is created or joined
  const GroupContext* next = nullptr;      // the context of the new epoch (its extensions hold the policy)
  const RatchetTree* tree = nullptr;       // the tree of the new epoch
  std::optional<LeafIndex> committer;      // the member committing; none for creation, joins, external commits
  std::vector<LeafIndex> admitted;         // leaves new or replaced in this epoch (every leaf on a join)
  // Of `admitted`, the leaves of existing members that now carry a new leaf node (Updates, the
  // committer's path), with the tree they had before; the application checks the member is still
  // the same person.
  std::vector<LeafIndex> replaced;
  const RatchetTree* previous_tree = nullptr;
  bool extensions_changed() const { return previous && previous->extensions != next->extensions; }
};
using EpochCheck = std::function<Status(const EpochChange& change)>;

// The proposal hook: whether the application lets this sender ask for this proposal in this
// epoch. Called when a proposal arrives (before it is cached, by members and by the relay's
// PublicGroup), when this member sends one, and for every proposal a commit covers, by reference
// or by value, before the commit is applied — judged by who *proposed* it (for a proposal by value,
// the committer; for an external commit, the joiner), never by who commits it.
struct ProposalSource {
  const GroupContext& context;   // the epoch it is judged in
  const RatchetTree& tree;       // that epoch's tree
  const Proposal& proposal;
  const Sender& sender;
  BytesView authenticated_data;  // of the message that carried the proposal
  bool by_value = false;         // inside the commit itself
};
using ProposalCheck = std::function<Status(const ProposalSource& source)>;

// Everything the application decides about a group beyond the RFC.
struct GroupRules {
  GroupRules() = default;
  template <typename F, typename = std::enable_if_t<std::is_constructible_v<CredentialValidator, F&&> &&
                                                    !std::is_same_v<std::decay_t<F>, GroupRules>>>
  GroupRules(F&& credential_validator)  // NOLINT: a validator alone is a GroupRules
      : validator(std::forward<F>(credential_validator)) {}
  GroupRules(CredentialValidator v, EpochCheck e) : validator(std::move(v)), epoch_check(std::move(e)) {}

  CredentialValidator validator = accept_basic_credentials;
  EpochCheck epoch_check;  // empty: nothing beyond the RFC
  ProposalCheck proposal_check;  // empty: every sender may propose what the RFC allows it
  // Proposals and commits must come as PublicMessages (a PrivateMessage may then carry only
  // application data), so that an outside verifier — G-Chat's relay — sees every change of
  // membership and policy. This member's own proposals and commits are always PublicMessages.
  bool public_handshakes_only = false;
};

struct JoinOptions {
  std::optional<Bytes> ratchet_tree;  // the ratchet_tree extension's data
  const std::vector<ExternalPsk>* external_psks = nullptr;
  GroupRules rules;
};

class Group {
 public:
  // `extensions`: the GroupContext extensions of epoch 0 (e.g. the application's group policy).
  static Result<Group> create(const crypto::CipherSuite& suite, Bytes group_id, const Identity& identity,
                              GroupRules rules = {}, std::vector<Extension> extensions = {});
  // `bundle` is consumed: its private keys move into the group state.
  static Result<Group> join(const crypto::CipherSuite& suite, const Welcome& welcome, KeyPackageBundle bundle,
                            const Identity& identity, const JoinOptions& options = {});

  // External join (§12.4.3.2): a new device of an existing member joins from the GroupInfo the
  // relay keeps, without waiting for anyone to add it. Returns the joined group and the commit to
  // send to the group's members.
  struct ExternalJoin;
  // `replaces`: this member's old leaf, removed by the same commit (a device that lost its state
  // and rejoins); it must carry the same credential.
  static Result<ExternalJoin> join_external(const crypto::CipherSuite& suite, const GroupInfo& info,
                                            const Identity& identity,
                                            GroupRules rules = {},
                                            std::optional<LeafIndex> replaces = std::nullopt);
  // A signed GroupInfo of the current epoch with the ratchet tree and the external public key, for
  // external joins.
  Result<MlsMessage> group_info() const;

  // Adds the owners of `adds`, removes the members at `removes`, and refreshes this member's path.
  Result<CommitOutput> commit(const std::vector<KeyPackage>& adds, const std::vector<LeafIndex>& removes,
                              std::uint64_t now, const CommitOptions& options = {});
  // Stand-alone proposals (PublicMessages), cached by every member until the next commit, which
  // includes all of them by reference.
  Result<MlsMessage> propose_update();
  Result<MlsMessage> propose_remove(LeafIndex leaf);
  Result<MlsMessage> propose_add(const KeyPackage& key_package, std::uint64_t now);
  // Injects a PSK into the next epoch: an external one this member holds (add_external_psk), or
  // the resumption PSK of a recent epoch of this group (the last kResumptionEpochs are kept).
  Result<MlsMessage> propose_external_psk(BytesView psk_id);
  Result<MlsMessage> propose_resumption_psk(std::uint64_t epoch);
  // Replaces the GroupContext extensions (e.g. external_senders, required_capabilities); refused
  // when a member would not support them.
  Result<MlsMessage> propose_group_context_extensions(std::vector<Extension> extensions);
  Result<MlsMessage> propose_reinit(ReInit reinit);
  // A renewed credential of this member, for the same signature key (e.g. a certificate chain
  // re-issued before it expires, or with another clearance): checked by the credential hook, kept
  // for this client's later messages, and carried into the tree by this member's next commit (its
  // path's new leaf node). Until then credential_current() is false.
  Status renew_credential(Credential credential);
  bool credential_current() const;
  // External PSKs this member may be asked to inject (kept in the serialized state).
  void add_external_psk(Bytes id, SecretBytes secret);
  static constexpr std::size_t kResumptionEpochs = 4;
  Result<MlsMessage> protect(BytesView application_data, BytesView authenticated_data = {});
  Result<Received> process(const MlsMessage& message);

  // The whole state for persistence: tree, private keys, epoch secrets, secret-tree ratchets,
  // transcript hash, pending proposals. The bytes are secret (the local store encrypts them); the
  // identity's signature key is not included and is given back on restore.
  SecretBytes serialize() const;
  static Result<Group> deserialize(const crypto::CipherSuite& suite, BytesView data, const Identity& identity,
                                   GroupRules rules = {});

  const Bytes& group_id() const noexcept { return context_.group_id; }
  const crypto::CipherSuite& suite() const noexcept { return *suite_; }
  const GroupContext& context() const noexcept { return context_; }
  // Set once a ReInit is committed: the group takes no more messages to send.
  const std::optional<ReInit>& pending_reinit() const noexcept { return reinit_; }
  std::uint64_t epoch() const noexcept { return context_.epoch; }
  LeafIndex own_leaf() const noexcept { return private_.leaf; }
  const RatchetTree& tree() const noexcept { return tree_; }
  BytesView epoch_authenticator() const noexcept { return secrets_.epoch_authenticator; }
  std::vector<LeafIndex> members() const;
  bool active() const noexcept { return active_; }
  // This epoch's proposals (this member's own included), in the order they arrived.
  const std::vector<PendingProposal>& pending_proposals() const noexcept { return pending_; }
  Result<SecretBytes> export_secret(std::string_view label, BytesView context, std::uint16_t length) const;

 private:
  explicit Group(const crypto::CipherSuite& suite) : suite_(&suite), tree_(suite) {}
  // Applies the key schedule for the next epoch and the new transcript hashes; an external commit
  // brings its own init secret.
  Status enter_epoch(GroupContext next, BytesView commit_secret, BytesView psk, BytesView confirmed_hash,
                     BytesView confirmation_tag, std::optional<BytesView> init_secret = std::nullopt);
  // Makes `context` (with its confirmed transcript hash) and `secrets` the current epoch.
  void install_epoch(GroupContext context, EpochSecrets secrets, BytesView confirmation_tag);
  Result<GroupInfo> make_group_info(const GroupContext& context, const RatchetTree* tree, BytesView tag,
                                    BytesView external_secret) const;

  Result<MlsMessage> send_proposal(Proposal proposal);
  Status check_proposal(const Proposal& proposal, const Sender& sender, BytesView authenticated_data) const;
  Status cache_proposal(WireFormat wire_format, const FramedContent& content, const FramedContentAuthData& auth);
  void start_epoch_caches();
  Status check_can_send() const;
  // The PSK inputs of a commit, looked up in this member's store.
  Result<SecretBytes> psk_secret_of(const std::vector<const PreSharedKeyId*>& ids) const;
  Result<Bytes> external_sender_key(std::uint32_t index) const;

  const crypto::CipherSuite* suite_;
  GroupRules rules_;
  Status check_epoch(const EpochChange& change) const {
    return rules_.epoch_check ? rules_.epoch_check(change) : Status{};
  }
  std::vector<PendingProposal> pending_;            // this epoch's proposals
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
  std::optional<ReInit> reinit_;
  std::map<Bytes, SecretBytes> external_psks_;
  std::map<std::uint64_t, SecretBytes> resumption_psks_;  // earlier epochs, newest kResumptionEpochs
};

struct Group::ExternalJoin {
  Group group;
  MlsMessage commit;
};

}  // namespace gchat::mls
