#include "gchat/identity/mls_identity.hpp"

#include <algorithm>
#include <ctime>
#include <set>

#include "gchat/codec/tls.hpp"

namespace gchat::identity {
namespace {

constexpr std::uint16_t kGchatCredential = static_cast<std::uint16_t>(mls::CredentialType::gchat);

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::string user_key(const VerifiedUser& u) { return u.agency.agency_id + "/" + u.user_id; }

Status check_policy_shape(const v1::GroupPolicy& p) {
  if (p.kind() == v1::GROUP_KIND_UNSPECIFIED || !v1::GroupKind_IsValid(p.kind())) {
    return fail(Errc::policy_not_permitted, "the group policy has no valid kind");
  }
  if (!clearance_from_int(p.level())) return fail(Errc::policy_not_permitted, "the group policy has an unknown level");
  for (const auto& a : p.allowed_agencies()) {
    if (!valid_id(a)) return fail(Errc::policy_not_permitted, "the group policy names an invalid agency id");
  }
  for (const auto* list : {&p.admins(), &p.publishers()}) {
    for (const auto& u : *list) {
      if (!valid_id(u.agency_id()) || !valid_id(u.user_id())) {
        return fail(Errc::policy_not_permitted, "the group policy names an invalid user");
      }
    }
  }
  return {};
}

// The user certificate a gchat credential carries, read without verification (the leaf was
// verified when it was admitted).
std::optional<v1::UserCertificate> certificate_of(const mls::Credential& credential) {
  if (credential.credential_type != mls::CredentialType::gchat) return std::nullopt;
  v1::Chain chain;
  v1::UserCertificate user;
  if (!chain.ParseFromArray(credential.identity.data(), static_cast<int>(credential.identity.size())) ||
      !user.ParseFromString(chain.user().body())) {
    return std::nullopt;
  }
  return user;
}


bool still_valid(const VerifiedDevice& d, std::int64_t now, const Revocations* revoked) {
  if (now >= d.not_after) return false;
  if (!revoked) return true;
  const VerifiedUser& u = d.user;
  return !revoked->device(d.device_key) && !revoked->user(u.agency.agency_id, u.user_id) &&
         !revoked->user_serial(u.serial) && !(u.basis_serial && revoked->user_serial(u.basis_serial)) &&
         !revoked->admin(u.agency.agency_id, u.admin_id) &&
         !revoked->agency(u.agency.agency_id);
}

}  // namespace

std::optional<v1::UserRef> user_of(const mls::Credential& credential) {
  const auto user = certificate_of(credential);
  if (!user) return std::nullopt;
  v1::UserRef ref;
  ref.set_agency_id(user->agency_id());
  ref.set_user_id(user->user_id());
  return ref;
}

bool declassifies(const v1::GroupPolicy& before, const v1::GroupPolicy& after) {
  if (after.level() < before.level()) return true;
  if (before.allowed_agencies().empty()) return false;  // every agency already
  if (after.allowed_agencies().empty()) return true;
  return std::any_of(after.allowed_agencies().begin(), after.allowed_agencies().end(), [&](const std::string& a) {
    return std::find(before.allowed_agencies().begin(), before.allowed_agencies().end(), a) ==
           before.allowed_agencies().end();
  });
}

mls::Credential gchat_credential(BytesView chain) {
  mls::Credential c;
  c.credential_type = mls::CredentialType::gchat;
  c.identity = Bytes(chain.begin(), chain.end());
  return c;
}

Result<mls::Identity> mls_identity(const v1::Chain& chain, const SigningKey& device_key) {
  mls::Identity id;
  id.credential = gchat_credential(as_bytes(chain.SerializeAsString()));
  if (id.credential.identity.size() > kMaxChainSize) return fail(Errc::cert_malformed, "the certificate chain is too large");
  id.signature.private_key = device_key.seed().clone();
  id.signature.public_key = device_key.public_key();
  id.extra_capabilities.extensions = {kPolicyExtensionType};
  id.extra_capabilities.credentials = {kGchatCredential};
  return id;
}

mls::Extension policy_extension(const v1::GroupPolicy& policy) {
  return mls::Extension{kPolicyExtensionType, serialize_canonical(policy)};
}

std::vector<mls::Extension> group_extensions(const v1::GroupPolicy& policy, const std::optional<RelaySender>& relay) {
  std::vector<mls::Extension> out;
  mls::RequiredCapabilities required;
  required.extension_types = {kPolicyExtensionType};
  required.credential_types = {kGchatCredential};
  out.push_back({mls::extension_type::required_capabilities, codec::encode(required)});
  if (relay) {
    mls::ExternalSender sender;
    sender.signature_key = relay->signature_key;
    sender.credential.credential_type = mls::CredentialType::basic;
    sender.credential.identity = bytes_of("relay:" + relay->relay_id);
    out.push_back({mls::extension_type::external_senders, codec::encode(std::vector<mls::ExternalSender>{sender})});
  }
  out.push_back(policy_extension(policy));
  return out;
}

Result<v1::GroupPolicy> policy_of(const std::vector<mls::Extension>& extensions) {
  const mls::Extension* found = nullptr;
  for (const auto& e : extensions) {
    if (e.extension_type == kPolicyExtensionType) found = &e;
  }
  if (!found) return fail(Errc::policy_not_permitted, "a G-Chat group must carry a group policy");
  v1::GroupPolicy policy;
  auto parsed = parse_canonical(found->extension_data, policy, "group policy");
  if (!parsed.ok()) return fail(Errc::policy_not_permitted, parsed.error().message);
  GCHAT_TRY_STATUS(check_policy_shape(policy));
  return policy;
}

bool is_listed(const google::protobuf::RepeatedPtrField<v1::UserRef>& list, const VerifiedUser& user) {
  for (const auto& u : list) {
    if (u.agency_id() == user.agency.agency_id && u.user_id() == user.user_id) return true;
  }
  return false;
}

Status admissible(const VerifiedUser& user, const v1::GroupPolicy& policy) {
  const Clearance level = clearance_from_int(policy.level()).value_or(kHighestClearance);
  if (!at_least(user.clearance, level)) {
    return fail(Errc::clearance_too_low, user.name_en + " (" + user_key(user) + ") holds " + label_both(user.clearance) +
                                             ", below the group's " + label_both(level));
  }
  if (!policy.allowed_agencies().empty()) {
    bool allowed = false;
    for (const auto& a : policy.allowed_agencies()) allowed = allowed || a == user.agency.agency_id;
    if (!allowed) {
      return fail(Errc::agency_not_allowed,
                  user.name_en + " belongs to agency '" + user.agency.agency_id + "', which this group does not admit");
    }
  }
  return {};
}

MemberVerifier::MemberVerifier(Bytes root_key, Bytes relay_key, Clock clock)
    : root_key_(std::move(root_key)), relay_key_(std::move(relay_key)), clock_(std::move(clock)) {}

std::int64_t MemberVerifier::now() const {
  return clock_ ? clock_() : static_cast<std::int64_t>(std::time(nullptr));
}

void MemberVerifier::set_revocations(std::shared_ptr<const Revocations> revoked) {
  std::lock_guard lock(mutex_);
  if (revoked_ && revoked && revoked->number() < revoked_->number()) return;  // never go back to an older list
  revoked_ = std::move(revoked);
}

Result<VerifiedDevice> MemberVerifier::verify(const mls::Credential& credential, BytesView signature_key) const {
  return verify_at(credential, signature_key, now());
}

Result<VerifiedDevice> MemberVerifier::verify_member(const mls::Credential& credential, BytesView signature_key) const {
  auto now_is = verify_at(credential, signature_key, now());
  if (now_is.ok() || now_is.error().code != Errc::cert_expired) return now_is;
  // Expired: checked as of the last second of its validity (signatures, roles, revocation now).
  v1::Chain chain;
  if (!chain.ParseFromArray(credential.identity.data(), static_cast<int>(credential.identity.size()))) return now_is;
  const std::int64_t last = earliest_expiry(chain);
  if (last <= 0) return now_is;
  return verify_at(credential, signature_key, last - 1);
}

Result<VerifiedDevice> MemberVerifier::verify_at(const mls::Credential& credential, BytesView signature_key,
                                                 std::int64_t t) const {
  if (credential.credential_type != mls::CredentialType::gchat) {
    return fail(Errc::mls_invalid_credential, "G-Chat members must present a G-Chat certificate chain");
  }
  const std::string key(credential.identity.begin(), credential.identity.end());
  std::shared_ptr<const Revocations> revoked;
  {
    std::lock_guard lock(mutex_);
    revoked = revoked_;
    auto it = cache_.find(key);
    if (it != cache_.end() && still_valid(it->second, t, revoked.get())) {
      if (!equal_ct(it->second.device_key, signature_key)) {
        return fail(Errc::mls_invalid_credential, "the leaf's signature key is not the certified device key");
      }
      return it->second;
    }
  }
  if (credential.identity.size() > kMaxChainSize) return fail(Errc::cert_malformed, "the certificate chain is too large");
  v1::Chain chain;
  if (!chain.ParseFromArray(credential.identity.data(), static_cast<int>(credential.identity.size()))) {
    return fail(Errc::cert_malformed, "certificate chain is not a valid encoding");
  }
  const TrustAnchor anchor{root_key_, t, revoked.get()};
  const std::string admin_key = chain.agency().SerializeAsString() + chain.admin().SerializeAsString();
  std::optional<VerifiedAdmin> admin;
  {
    std::lock_guard lock(mutex_);
    auto it = admins_.find(admin_key);
    if (it != admins_.end() && t < it->second.not_after &&
        !(revoked && (revoked->agency(it->second.agency.agency_id) ||
                      revoked->admin(it->second.agency.agency_id, it->second.admin_id)))) {
      admin = it->second;
    }
  }
  if (!admin) {
    v1::AdminChain admin_chain;
    *admin_chain.mutable_agency() = chain.agency();
    *admin_chain.mutable_admin() = chain.admin();
    GCHAT_TRY(VerifiedAdmin verified_admin, verify_admin(admin_chain, anchor));
    std::lock_guard lock(mutex_);
    if (admins_.size() >= kVerifiedChainCacheSize) admins_.clear();
    admin = admins_.insert_or_assign(admin_key, std::move(verified_admin)).first->second;
  }
  GCHAT_TRY(VerifiedUser user, verify_user(*admin, chain.user(), anchor));
  GCHAT_TRY(VerifiedDevice device, verify_device(user, chain.device(), anchor));
  if (!equal_ct(device.device_key, signature_key)) {
    return fail(Errc::mls_invalid_credential, "the leaf's signature key is not the certified device key");
  }
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kVerifiedChainCacheSize) cache_.clear();
  cache_.insert_or_assign(key, device);
  return device;
}

Status MemberVerifier::check_credential(const mls::Credential& credential, BytesView signature_key,
                                        mls::CredentialUse use) const {
  if (use == mls::CredentialUse::external_sender) {
    // The relay is the only outside party a G-Chat group accepts proposals from.
    if (relay_key_.empty() || !equal_ct(relay_key_, signature_key)) {
      return fail(Errc::mls_invalid_credential, "an external sender other than the pinned relay key");
    }
    return {};
  }
  // A tree a device joins may hold members whose certificates expired while they were away: the
  // relay refuses them until they renew (and refresh their leaf); revocation refuses them here.
  if (use == mls::CredentialUse::joined_tree) {
    GCHAT_TRY_STATUS(verify_member(credential, signature_key));
    return {};
  }
  GCHAT_TRY_STATUS(verify(credential, signature_key));
  return {};
}

Result<VerifiedDevice> MemberVerifier::verify_leaf(const mls::RatchetTree& tree, mls::LeafIndex leaf) const {
  const mls::LeafNode* node = tree.leaf(leaf);
  if (!node) return fail(Errc::mls_invalid_sender, "no member at leaf " + std::to_string(leaf));
  return verify(node->credential, node->signature_key);
}

Status MemberVerifier::check_epoch(const mls::EpochChange& change) const {
  GCHAT_TRY(v1::GroupPolicy policy, policy_of(change.next->extensions));
  const mls::RatchetTree& tree = *change.tree;
  std::vector<mls::LeafIndex> to_check = change.admitted;
  if (change.extensions_changed()) {
    // Who may change the policy is judged by who proposed the change (check_proposal); once it
    // is changed, every member must satisfy the new one.
    if (!change.committer) {
      return fail(Errc::policy_not_permitted, "the group policy can only be changed by a member's commit");
    }
    to_check.clear();
    for (mls::LeafIndex i = 0; i < tree.leaf_count(); ++i) {
      if (tree.leaf(i)) to_check.push_back(i);
    }
  }
  // An external commit brings a new device of someone already in the group (a linked device, or
  // one that lost its state): nobody joins a G-Chat group on their own.
  if (change.previous && !change.committer && change.previous_tree) {
    for (mls::LeafIndex leaf : change.admitted) {
      GCHAT_TRY(VerifiedDevice joiner, verify_leaf(tree, leaf));
      bool known = false;
      for (mls::LeafIndex i = 0; i < change.previous_tree->leaf_count() && !known; ++i) {
        const mls::LeafNode* l = change.previous_tree->leaf(i);
        const auto was = l ? user_of(l->credential) : std::nullopt;
        known = was && was->agency_id() == joiner.user.agency.agency_id && was->user_id() == joiner.user.user_id;
      }
      if (!known) {
        return fail(Errc::policy_not_permitted, joiner.user.name_en + " (" + user_key(joiner.user) +
                                                    ") is not in this group: a member adds them");
      }
    }
  }
  for (mls::LeafIndex leaf : to_check) {
    // Joining (no previous epoch), the leaves are members already there: judged as members.
    const mls::LeafNode* node = tree.leaf(leaf);
    GCHAT_TRY(VerifiedDevice member, change.previous || !node ? verify_leaf(tree, leaf)
                                                              : verify_member(node->credential, node->signature_key));
    GCHAT_TRY_STATUS(admissible(member.user, policy));
    // A channel's MLS group holds its publishers only: listed, and allowed to publish.
    if (policy.kind() == v1::CHANNEL && (!is_listed(policy.publishers(), member.user) || !member.user.may_publish)) {
      return fail(Errc::policy_not_permitted, member.user.name_en + " is not a publisher of this channel");
    }
  }
  // A member that refreshes its leaf (an Update, a committer's path) stays the same person. Its old
  // chain was verified when it was admitted and may be revoked since (a renewed clearance), so
  // only the names are read from it.
  for (mls::LeafIndex leaf : change.replaced) {
    const mls::LeafNode* before = change.previous_tree ? change.previous_tree->leaf(leaf) : nullptr;
    if (!before) continue;
    GCHAT_TRY(VerifiedDevice now_is, verify_leaf(tree, leaf));
    const auto was = user_of(before->credential);
    if (!was || was->agency_id() != now_is.user.agency.agency_id || was->user_id() != now_is.user.user_id) {
      return fail(Errc::policy_not_permitted, "the member at leaf " + std::to_string(leaf) + " may not become " +
                                                  user_key(now_is.user));
    }
  }
  if (policy.kind() == v1::DIRECT) {
    std::set<std::string> people;
    for (mls::LeafIndex i = 0; i < tree.leaf_count(); ++i) {
      if (!tree.leaf(i)) continue;
      GCHAT_TRY(VerifiedDevice member, verify_member(tree.leaf(i)->credential, tree.leaf(i)->signature_key));
      people.insert(user_key(member.user));
    }
    if (people.size() > 2) return fail(Errc::policy_not_permitted, "a direct conversation has two people");
  }
  return {};
}

namespace {

Status refuse_proposal(const std::string& why) { return fail(Errc::policy_not_permitted, why); }

}  // namespace

Status MemberVerifier::check_removal_evidence(const mls::RatchetTree& tree, mls::LeafIndex removed,
                                              const v1::GroupPolicy& policy, BytesView evidence_bytes) const {
  const mls::LeafNode* leaf = tree.leaf(removed);
  const auto held = leaf ? certificate_of(leaf->credential) : std::nullopt;
  if (!held) return refuse_proposal("the relay proposes removing a leaf that holds no G-Chat certificate");
  if (evidence_bytes.empty()) {
    return refuse_proposal("the relay proposes a removal without the administrator's act behind it");
  }
  v1::RemovalEvidence evidence;
  if (auto parsed = parse_canonical(evidence_bytes, evidence, "removal evidence"); !parsed.ok()) {
    return refuse_proposal("the relay's removal evidence does not parse: " + parsed.error().message);
  }
  std::shared_ptr<const Revocations> revoked;
  {
    std::lock_guard lock(mutex_);
    revoked = revoked_;
  }
  const TrustAnchor anchor{root_key_, now(), revoked.get()};
  auto admin_ok = verify_admin(evidence.admin(), anchor);
  if (!admin_ok.ok()) return refuse_proposal("the administrator behind a removal does not verify: " + admin_ok.error().to_string());
  const VerifiedAdmin& admin = *admin_ok;
  auto act_ok = open_signed<v1::AdminAct>(SignedKind::admin_act, evidence.act(), admin.admin_key,
                                          "the administrative act behind a removal");
  if (!act_ok.ok()) return refuse_proposal(act_ok.error().to_string());
  const v1::AdminAct& act = *act_ok;
  const std::string who = held->agency_id() + "/" + held->user_id();
  if (admin.agency.agency_id != held->agency_id()) {
    return refuse_proposal("the act behind the removal of " + who + " is by an administrator of another agency");
  }
  switch (act.act_case()) {
    case v1::AdminAct::kSetClearance: {
      auto renewed_ok = verify_user(admin, act.set_clearance(), anchor);
      if (!renewed_ok.ok()) return refuse_proposal("the clearance act behind a removal does not verify: " +
                                                   renewed_ok.error().to_string());
      const VerifiedUser& now_is = *renewed_ok;
      if (now_is.user_id != held->user_id()) return refuse_proposal("the clearance act behind a removal is for someone else");
      const Clearance level = clearance_from_int(policy.level()).value_or(kHighestClearance);
      if (at_least(now_is.clearance, level)) {
        return refuse_proposal(who + " is still cleared for this group: the clearance act is no reason to remove them");
      }
      // An older act cannot remove a member whose certificate is newer than it (a person lowered,
      // raised again and re-admitted).
      v1::UserCertificate renewed;
      (void)renewed.ParseFromString(act.set_clearance().body());
      if (renewed.validity().not_before() < held->validity().not_before() || renewed.serial() == held->serial()) {
        return refuse_proposal("the clearance act behind the removal of " + who + " is older than the certificate " +
                               "the member holds");
      }
      return {};
    }
    case v1::AdminAct::kRevokeDevice:
      if (!admin.has(v1::USER_ADMIN)) return refuse_proposal("the revocation behind a removal is by a non-user-administrator");
      if (!leaf || as_bytes(act.revoke_device()).size() != leaf->signature_key.size() ||
          !equal_ct(as_bytes(act.revoke_device()), leaf->signature_key)) {
        return refuse_proposal("the device revocation behind a removal is for another device");
      }
      return {};
    case v1::AdminAct::kRevokeUser:
      if (!admin.has(v1::USER_ADMIN)) return refuse_proposal("the revocation behind a removal is by a non-user-administrator");
      if (act.revoke_user().agency_id() != held->agency_id() || act.revoke_user().user_id() != held->user_id()) {
        return refuse_proposal("the user revocation behind a removal is for someone else");
      }
      return {};
    default: return refuse_proposal("the act behind a removal is neither a clearance change nor a revocation");
  }
}

Status MemberVerifier::check_proposal(const mls::ProposalSource& source) const {
  GCHAT_TRY(v1::GroupPolicy policy, policy_of(source.context.extensions));
  const auto& body = source.proposal.body;
  switch (source.sender.sender_type) {
    case mls::SenderType::external: {
      // The relay proposes one thing: a removal an administrator's act calls for.
      const auto* remove = std::get_if<mls::Remove>(&body);
      if (!remove) return refuse_proposal("the relay may propose removals only");
      return check_removal_evidence(source.tree, remove->removed, policy, source.authenticated_data);
    }
    case mls::SenderType::new_member_proposal:
      return refuse_proposal("G-Chat groups take no join requests: a member adds the newcomer");
    case mls::SenderType::new_member_commit:
      // An external commit carries its ExternalInit and the removal of the joiner's own old leaf
      // (the MLS rules check it is the joiner's).
      if (std::holds_alternative<mls::ExternalInit>(body) || std::holds_alternative<mls::Remove>(body)) return {};
      return refuse_proposal("an external commit may carry nothing else than its ExternalInit and the joiner's old leaf");
    case mls::SenderType::member: break;
  }
  GCHAT_TRY(VerifiedDevice sender, verify_leaf(source.tree, source.sender.index));
  const bool admin = is_listed(policy.admins(), sender.user);
  const std::string name = sender.user.name_en + " (" + user_key(sender.user) + ")";
  if (std::holds_alternative<mls::Update>(body)) return {};  // a member refreshes its own leaf
  if (const auto* add = std::get_if<mls::Add>(&body)) {
    // Any member may invite someone the policy admits (checked here and again for the epoch).
    const auto& kp_leaf = add->key_package.leaf_node;
    GCHAT_TRY(VerifiedDevice joining, verify(kp_leaf.credential, kp_leaf.signature_key));
    return admissible(joining.user, policy);
  }
  if (const auto* remove = std::get_if<mls::Remove>(&body)) {
    const mls::LeafNode* target = source.tree.leaf(remove->removed);
    const auto held = target ? certificate_of(target->credential) : std::nullopt;
    // One's own devices (leaving, a lost device) are one's own to remove; anyone else's, an admin's.
    if (held && held->agency_id() == sender.user.agency.agency_id && held->user_id() == sender.user.user_id) return {};
    if (admin) return {};
    // A channel's publishers' group follows its signed descriptor: a publisher removes the devices
    // of people the descriptor no longer lists (the relay checks the policy against it).
    if (policy.kind() == v1::CHANNEL && is_listed(policy.publishers(), sender.user)) return {};
    return refuse_proposal(name + " is not an admin of this group and may not remove others");
  }
  if (const auto* gce = std::get_if<mls::GroupContextExtensions>(&body)) {
    if (!admin) return refuse_proposal(name + " is not an admin of this group and may not change its policy");
    GCHAT_TRY(v1::GroupPolicy next, policy_of(gce->extensions));
    if (next.kind() != policy.kind()) return refuse_proposal("a group's kind cannot change");
    // The relay stays the group's external sender (it carries out clearance changes and
    // revocations), and every member must still speak G-Chat's credential and policy extension.
    auto find = [](const std::vector<mls::Extension>& list, std::uint16_t type) -> const mls::Extension* {
      for (const auto& e : list) {
        if (e.extension_type == type) return &e;
      }
      return nullptr;
    };
    for (std::uint16_t type : {mls::extension_type::external_senders, mls::extension_type::required_capabilities}) {
      const auto* was = find(source.context.extensions, type);
      const auto* will = find(gce->extensions, type);
      if ((was == nullptr) != (will == nullptr) || (was && was->extension_data != will->extension_data)) {
        return refuse_proposal(type == mls::extension_type::external_senders
                                   ? "a policy change may not replace or drop the relay as the group's external sender"
                                   : "a policy change may not change what every member must support");
      }
    }
    return {};
  }
  if (std::holds_alternative<mls::PreSharedKey>(body) || std::holds_alternative<mls::ReInit>(body)) {
    if (admin) return {};
    return refuse_proposal(name + " is not an admin of this group and may not inject keys or reinitialize it");
  }
  return refuse_proposal("this proposal is not allowed in a G-Chat group");
}

mls::GroupRules MemberVerifier::rules() const {
  std::shared_ptr<const MemberVerifier> self = shared_from_this();
  mls::GroupRules rules(
      [self](const mls::Credential& c, BytesView key, mls::CredentialUse use) { return self->check_credential(c, key, use); },
      [self](const mls::EpochChange& change) { return self->check_epoch(change); });
  rules.proposal_check = [self](const mls::ProposalSource& source) { return self->check_proposal(source); };
  // The relay verifies every change of membership and policy, so none may travel encrypted.
  rules.public_handshakes_only = true;
  return rules;
}

}  // namespace gchat::identity
