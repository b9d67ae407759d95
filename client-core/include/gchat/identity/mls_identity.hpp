#pragma once
// G-Chat identity inside MLS: the gchat credential (a device's certificate chain), the group
// policy extension, and the rules every client applies to every leaf and every epoch — chains back
// to the pinned root, clearance at least the group's level, agency allowed, policy changed only by
// a group admin.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gchat/identity/verify.hpp"
#include "gchat/mls/group.hpp"

namespace gchat::identity {

// From the private-use range of RFC 9420 §17.3.
inline constexpr std::uint16_t kPolicyExtensionType = 0xF0A2;

// A serialized certificate chain (gchat.identity.v1.Chain) as an MLS credential of type gchat, for
// verification by MemberVerifier (a Hello's chain, a channel post's publisher, a subscriber's chain).
mls::Credential gchat_credential(BytesView chain);

// A device's MLS identity: its chain as a gchat credential, its device key as the signature key,
// and the G-Chat types it supports.
Result<mls::Identity> mls_identity(const v1::Chain& chain, const SigningKey& device_key);

// The GroupContext extensions of a G-Chat group: the policy, the required capabilities (every
// member must speak the gchat credential and the policy extension) and, when given, the relay as
// the group's external sender (it proposes the Removes that clearance changes call for).
struct RelaySender {
  Bytes signature_key;
  std::string relay_id;
};
std::vector<mls::Extension> group_extensions(const v1::GroupPolicy& policy,
                                             const std::optional<RelaySender>& relay = std::nullopt);
mls::Extension policy_extension(const v1::GroupPolicy& policy);
// The policy of a group; refused when missing or malformed.
Result<v1::GroupPolicy> policy_of(const std::vector<mls::Extension>& extensions);
// Whether this person may be a member of a group with this policy (front ends use it to grey out
// people in a member picker; clients and relay use it to refuse).
Status admissible(const VerifiedUser& user, const v1::GroupPolicy& policy);
bool is_listed(const google::protobuf::RepeatedPtrField<v1::UserRef>& list, const VerifiedUser& user);
// Whether going from `before` to `after` is a declassification: a lower level, or more agencies
// admitted (from a list to any agency, or an agency added to the list).
bool declassifies(const v1::GroupPolicy& before, const v1::GroupPolicy& after);
// The agency and user a gchat credential names, read without verification (for leaves verified
// when they were admitted).
std::optional<v1::UserRef> user_of(const mls::Credential& credential);

// Verifies credentials and epochs for every group of one client. Verified chains are cached (a
// 10,000-member join would otherwise verify 40,000 certificate signatures); a cached chain is
// re-checked against the clock and the current revocation list at every use.
class MemberVerifier : public std::enable_shared_from_this<MemberVerifier> {
 public:
  using Clock = std::function<std::int64_t()>;
  // `relay_key`: the one key accepted as the groups' external sender (empty: none).
  MemberVerifier(Bytes root_key, Bytes relay_key, Clock clock = {});

  void set_revocations(std::shared_ptr<const Revocations> revoked);
  Result<VerifiedDevice> verify(const mls::Credential& credential, BytesView signature_key) const;
  // A member already in a group (its leaf was verified when it was admitted or refreshed): as
  // verify, except that an expired chain is judged as of its last valid second. The relay refuses
  // an expired device at authentication, so it cannot send until it renews; what it sent before
  // stays readable, and a tree holding it can still be joined. Revocation applies as always.
  Result<VerifiedDevice> verify_member(const mls::Credential& credential, BytesView signature_key) const;
  Status check_credential(const mls::Credential& credential, BytesView signature_key, mls::CredentialUse use) const;
  Status check_epoch(const mls::EpochChange& change) const;
  // Who may propose what (GroupRules::proposal_check), judged by the proposal's sender against the
  // policy of the epoch it is proposed in: any member adds people the policy admits and refreshes
  // or removes its own devices; only the group's admins remove others, change the policy (never
  // its kind, the relay as external sender or the required capabilities), inject PSKs or
  // reinitialize; the relay only removes, with the administrator's signed act as evidence.
  Status check_proposal(const mls::ProposalSource& source) const;
  // A relay's Remove of `removed`: the act in `evidence` (a RemovalEvidence), signed by an
  // administrator of the member's agency whose chain verifies now, sets the member's clearance
  // below the group's level with a certificate newer than the leaf's, or revokes the device or user.
  Status check_removal_evidence(const mls::RatchetTree& tree, mls::LeafIndex removed, const v1::GroupPolicy& policy,
                                BytesView evidence) const;

  // The hooks for mls::Group, bound to this verifier (which they keep alive).
  mls::GroupRules rules() const;

 private:
  Result<VerifiedDevice> verify_leaf(const mls::RatchetTree& tree, mls::LeafIndex leaf) const;
  Result<VerifiedDevice> verify_at(const mls::Credential& credential, BytesView signature_key, std::int64_t t) const;
  std::int64_t now() const;

  Bytes root_key_;
  Bytes relay_key_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Revocations> revoked_;
  mutable std::unordered_map<std::string, VerifiedDevice> cache_;
  // Agencies and administrators are shared by thousands of members: their two signatures are
  // checked once (keyed by the two signed certificates' bytes) and re-checked only for time and
  // revocation.
  mutable std::unordered_map<std::string, VerifiedAdmin> admins_;
};

inline constexpr std::size_t kVerifiedChainCacheSize = 100'000;

}  // namespace gchat::identity
