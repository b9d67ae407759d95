#include "group_rules.hpp"

#include <algorithm>

#include "gchat/mls/crypto_ops.hpp"
#include "gchat/mls/key_schedule.hpp"

namespace gchat::mls::detail {

using namespace tree;

bool contains(const std::vector<std::uint16_t>& values, std::uint16_t v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

std::uint16_t type_of(const Credential& c) { return static_cast<std::uint16_t>(c.credential_type); }

Result<Requirements> requirements_of(const std::vector<Extension>& extensions) {
  Requirements r;
  std::set<std::uint16_t> seen;
  for (const auto& e : extensions) {
    if (!seen.insert(e.extension_type).second) {
      return fail(Errc::mls_invalid_proposal, "extension type " + std::to_string(e.extension_type) + " appears twice");
    }
    if (e.extension_type == extension_type::required_capabilities) {
      GCHAT_TRY(r.required, codec::decode_exact<RequiredCapabilities>(e.extension_data));
    } else if (e.extension_type == extension_type::external_senders) {
      GCHAT_TRY(r.external_senders, codec::decode_exact<std::vector<ExternalSender>>(e.extension_data));
    } else if (!extension_type::is_default(e.extension_type)) {
      r.context_extensions.push_back(e.extension_type);
    }
  }
  return r;
}

bool is_default_proposal(std::uint16_t t) {
  return t >= static_cast<std::uint16_t>(ProposalType::add) &&
         t <= static_cast<std::uint16_t>(ProposalType::group_context_extensions);
}

// §7.3: the leaf supports the version, the suite, its own credential type and extensions, and what
// the group requires.
Status check_leaf_supports(const crypto::CipherSuite& suite, const LeafNode& leaf, const Requirements& req) {
  const Capabilities& caps = leaf.capabilities;
  auto refuse = [](const std::string& what) {
    return fail(Errc::mls_unsupported_capability, "a leaf does not support " + what);
  };
  if (!contains(caps.versions, static_cast<std::uint16_t>(ProtocolVersion::mls10))) return refuse("MLS 1.0");
  if (!contains(caps.cipher_suites, suite.id())) return refuse("the group's cipher suite");
  if (!contains(caps.credentials, type_of(leaf.credential))) return refuse("its own credential type");
  for (const auto& e : leaf.extensions) {
    if (!extension_type::is_default(e.extension_type) && !contains(caps.extensions, e.extension_type)) {
      return refuse("its own extension " + std::to_string(e.extension_type));
    }
  }
  for (auto t : req.context_extensions) {
    if (!contains(caps.extensions, t)) return refuse("the group's extension " + std::to_string(t));
  }
  for (auto t : req.required.extension_types) {
    if (!extension_type::is_default(t) && !contains(caps.extensions, t)) {
      return refuse("the required extension " + std::to_string(t));
    }
  }
  for (auto t : req.required.proposal_types) {
    if (!is_default_proposal(t) && !contains(caps.proposals, t)) return refuse("the required proposal " + std::to_string(t));
  }
  for (auto t : req.required.credential_types) {
    if (!contains(caps.credentials, t)) return refuse("the required credential type " + std::to_string(t));
  }
  return {};
}

// A leaf entering the tree (an Add, an Update, a committer's new leaf; `replacing` is the leaf it
// takes the place of), §7.3 and §12.2: it supports what the group requires, its keys are in use
// nowhere else in the tree, and it and every member can use each other's credential types. One
// pass over the tree.
Status check_new_leaf(const crypto::CipherSuite& suite, const RatchetTree& tree, const LeafNode& leaf,
                      std::optional<LeafIndex> replacing, const Requirements& req) {
  GCHAT_TRY_STATUS(check_leaf_supports(suite, leaf, req));
  const std::uint16_t type = type_of(leaf.credential);
  for (NodeIndex x = 0; x < tree.node_count(); ++x) {
    if (tree.blank(x)) continue;
    if (!is_leaf(x)) {
      if (tree.parent(x)->encryption_key == leaf.encryption_key) {
        return fail(Errc::mls_invalid_proposal, "a new leaf's encryption key is already in use in the tree");
      }
      continue;
    }
    const LeafIndex i = leaf_of_node(x);
    if (replacing && i == *replacing) continue;
    const LeafNode* other = tree.leaf(i);
    if (other->encryption_key == leaf.encryption_key || other->signature_key == leaf.signature_key) {
      return fail(Errc::mls_invalid_proposal, "a new leaf's key is already in use at leaf " + std::to_string(i));
    }
    if (!contains(other->capabilities.credentials, type)) {
      return fail(Errc::mls_unsupported_capability,
                  "the member at leaf " + std::to_string(i) + " does not support the new leaf's credential type");
    }
    if (!contains(leaf.capabilities.credentials, type_of(other->credential))) {
      return fail(Errc::mls_unsupported_capability,
                  "a new leaf does not support the credential type of leaf " + std::to_string(i));
    }
  }
  return {};
}

// Every leaf of a tree against the requirements, and every credential type in use against every
// leaf; the external senders through the credential hook.
Status check_tree_supports(const crypto::CipherSuite& suite, const RatchetTree& tree, const Requirements& req,
                           const CredentialValidator& validator) {
  std::set<std::uint16_t> types;
  for (LeafIndex i = 0; i < tree.leaf_count(); ++i) {
    const LeafNode* l = tree.leaf(i);
    if (!l) continue;
    GCHAT_TRY_STATUS(check_leaf_supports(suite, *l, req));
    types.insert(type_of(l->credential));
  }
  for (LeafIndex i = 0; i < tree.leaf_count(); ++i) {
    const LeafNode* l = tree.leaf(i);
    if (!l) continue;
    for (auto t : types) {
      if (!contains(l->capabilities.credentials, t)) {
        return fail(Errc::mls_unsupported_capability,
                    "the member at leaf " + std::to_string(i) + " does not support credential type " + std::to_string(t));
      }
    }
  }
  for (const auto& s : req.external_senders) {
    GCHAT_TRY_STATUS(validator(s.credential, s.signature_key, CredentialUse::external_sender));
  }
  return {};
}

// §8.4, §12.1.4.
Status check_psk_id(const crypto::CipherSuite& suite, const PreSharedKeyId& id) {
  if (id.psk_nonce.size() != suite.hash_length()) {
    return fail(Errc::mls_invalid_proposal, "a PSK nonce must be as long as the suite's hash");
  }
  if (id.psktype == PskType::resumption && id.usage != ResumptionPskUsage::application) {
    return fail(Errc::mls_invalid_proposal, "reinit and branch PSKs belong to reinitialization and branching only");
  }
  return {};
}

Bytes proposal_ref(const crypto::CipherSuite& suite, WireFormat wire_format, const FramedContent& content,
                   const FramedContentAuthData& auth) {
  Writer w;
  codec::encode_value(w, wire_format);
  codec::encode_value(w, content);
  encode_auth(w, auth, content.content_type());
  return ref_hash(suite, "MLS 1.0 Proposal Reference", w.bytes());
}

// Applies a commit's proposals to `tree` in RFC order (§12.3) under the requirements of the next
// epoch's extensions; `now`, when given, holds the added key packages to this client's lifetime
// policy (its own commits; receivers of others' commits give none).
Status apply_changes(const crypto::CipherSuite& suite, RatchetTree& tree, const Requirements& req, const Changes& c,
                     std::vector<LeafIndex>& added, std::optional<std::uint64_t> now,
                     const CredentialValidator& validator) {
  for (const auto& [leaf, node] : c.updates) {
    GCHAT_TRY_STATUS(validator(node->credential, node->signature_key, CredentialUse::update));
    GCHAT_TRY_STATUS(check_new_leaf(suite, tree, *node, leaf, req));
    GCHAT_TRY_STATUS(tree.update_leaf(leaf, *node));
  }
  for (LeafIndex leaf : c.removes) GCHAT_TRY_STATUS(tree.remove_leaf(leaf));
  for (const KeyPackage* kp : c.adds) {
    GCHAT_TRY_STATUS(validate_key_package(suite, *kp, now));
    GCHAT_TRY_STATUS(validator(kp->leaf_node.credential, kp->leaf_node.signature_key, CredentialUse::add));
    GCHAT_TRY_STATUS(check_new_leaf(suite, tree, kp->leaf_node, std::nullopt, req));
    added.push_back(tree.add_leaf(kp->leaf_node));
  }
  if (c.extensions) GCHAT_TRY_STATUS(check_tree_supports(suite, tree, req, validator));
  return {};
}

// The extension of a type in a list, or nullptr.
const Bytes* find_extension(const std::vector<Extension>& extensions, std::uint16_t type) {
  for (const auto& e : extensions) {
    if (e.extension_type == type) return &e.extension_data;
  }
  return nullptr;
}

// The tree a GroupInfo describes, checked as a joiner must (§12.4.3.1): it hashes to the group
// context's tree hash, it is valid (signatures, parent hashes, unique keys, every leaf supporting
// what the group requires), the GroupInfo is signed by one of its members, and the credential hook
// accepts every leaf and external sender.
Result<RatchetTree> validated_tree(const crypto::CipherSuite& suite, const GroupInfo& info, BytesView tree_data,
                                   const CredentialValidator& validator) {
  GCHAT_TRY(RatchetTree tree, RatchetTree::decode(suite, tree_data));
  if (tree.tree_hash() != info.group_context.tree_hash) {
    return fail(Errc::mls_invalid_welcome, "the ratchet tree does not match the group's tree hash");
  }
  GCHAT_TRY_STATUS(tree.verify(info.group_context.group_id));
  const LeafNode* signer = tree.leaf(info.signer);
  if (!signer) return fail(Errc::mls_invalid_welcome, "the GroupInfo's signer is not a member");
  GCHAT_TRY_STATUS(verify_group_info(suite, info, signer->signature_key));
  GCHAT_TRY(Requirements req, requirements_of(info.group_context.extensions));
  GCHAT_TRY_STATUS(check_tree_supports(suite, tree, req, validator));
  for (LeafIndex i = 0; i < tree.leaf_count(); ++i) {
    if (const LeafNode* l = tree.leaf(i)) {
      GCHAT_TRY_STATUS(validator(l->credential, l->signature_key, CredentialUse::joined_tree));
    }
  }
  return tree;
}

namespace {

// The RFC's own rules for one proposal.
Status check_proposal_rfc(const crypto::CipherSuite& suite, const GroupContext& context, const RatchetTree& tree,
                          const CredentialValidator& validator, const Proposal& proposal, const Sender& sender) {
  if (const auto* u = std::get_if<Update>(&proposal.body)) {
    if (sender.sender_type != SenderType::member) return fail(Errc::mls_invalid_proposal, "only members send Updates");
    if (u->leaf_node.leaf_node_source != LeafNodeSource::update) {
      return fail(Errc::mls_invalid_proposal, "an Update's leaf is not an update leaf");
    }
    const LeafNode* current = tree.leaf(sender.index);
    if (current && current->encryption_key == u->leaf_node.encryption_key) {
      return fail(Errc::mls_invalid_proposal, "an Update must bring a new encryption key");
    }
    auto st = verify_leaf_node(suite, u->leaf_node, context.group_id, sender.index);
    if (!st.ok()) return fail(Errc::mls_invalid_proposal, "an Update's leaf signature does not verify");
    GCHAT_TRY(Requirements req, requirements_of(context.extensions));
    GCHAT_TRY_STATUS(check_new_leaf(suite, tree, u->leaf_node, sender.index, req));
    return validator(u->leaf_node.credential, u->leaf_node.signature_key, CredentialUse::update);
  }
  if (const auto* r = std::get_if<Remove>(&proposal.body)) {
    if (!tree.leaf(r->removed)) return fail(Errc::mls_invalid_proposal, "a Remove names a leaf that is not a member");
    return {};
  }
  if (const auto* a = std::get_if<Add>(&proposal.body)) {
    GCHAT_TRY_STATUS(validate_key_package(suite, a->key_package, std::nullopt));
    GCHAT_TRY(Requirements req, requirements_of(context.extensions));
    GCHAT_TRY_STATUS(check_leaf_supports(suite, a->key_package.leaf_node, req));
    return validator(a->key_package.leaf_node.credential, a->key_package.leaf_node.signature_key, CredentialUse::add);
  }
  if (const auto* k = std::get_if<PreSharedKey>(&proposal.body)) return check_psk_id(suite, k->psk);
  if (const auto* ri = std::get_if<ReInit>(&proposal.body)) {
    if (ri->version < ProtocolVersion::mls10) return fail(Errc::mls_invalid_proposal, "a ReInit may not go back a version");
    return {};
  }
  if (const auto* g = std::get_if<GroupContextExtensions>(&proposal.body)) {
    GCHAT_TRY(Requirements req, requirements_of(g->extensions));
    return check_tree_supports(suite, tree, req, validator);
  }
  return fail(Errc::mls_invalid_proposal, "an ExternalInit is only valid inside an external commit");
}

}  // namespace

Status check_proposal(const crypto::CipherSuite& suite, const GroupContext& context, const RatchetTree& tree,
                      const GroupRules& rules, const Proposal& proposal, const Sender& sender,
                      BytesView authenticated_data) {
  GCHAT_TRY_STATUS(check_proposal_rfc(suite, context, tree, rules.validator, proposal, sender));
  if (!rules.proposal_check) return {};
  return rules.proposal_check(ProposalSource{context, tree, proposal, sender, authenticated_data, false});
}

Status check_room_for(const std::vector<PendingProposal>& pending, BytesView ref) {
  if (pending.size() >= kMaxPendingProposals) {
    return fail(Errc::mls_invalid_proposal, "too many proposals are pending in this epoch; a commit comes first");
  }
  for (const auto& p : pending) {
    if (std::equal(p.ref.begin(), p.ref.end(), ref.begin(), ref.end())) {
      return fail(Errc::mls_invalid_proposal, "this proposal is already pending (a replay)");
    }
  }
  return {};
}

Result<std::uint64_t> next_epoch(std::uint64_t epoch) {
  if (epoch == UINT64_MAX) return fail(Errc::mls_invalid_commit, "the group's epoch counter is exhausted");
  return epoch + 1;
}

Status check_proposal_senders(const GroupContext& context, const RatchetTree& tree, const GroupRules& rules,
                              const Commit& commit, const std::vector<PendingProposal>& pending,
                              const Sender& committer_sender, BytesView commit_authenticated_data) {
  if (!rules.proposal_check) return {};
  for (const auto& p : commit.proposals) {
    if (const auto* by_value = std::get_if<Proposal>(&p.value)) {
      GCHAT_TRY_STATUS(rules.proposal_check(
          ProposalSource{context, tree, *by_value, committer_sender, commit_authenticated_data, true}));
      continue;
    }
    const auto& ref = std::get<Bytes>(p.value);
    const auto it = std::find_if(pending.begin(), pending.end(), [&](const PendingProposal& c) { return c.ref == ref; });
    if (it == pending.end()) return fail(Errc::mls_invalid_commit, "the commit names a proposal this member has not seen");
    GCHAT_TRY_STATUS(
        rules.proposal_check(ProposalSource{context, tree, it->proposal, it->sender, it->authenticated_data, false}));
  }
  return {};
}

Result<Bytes> external_sender_key(const GroupContext& context, std::uint32_t index) {
  const Bytes* data = find_extension(context.extensions, extension_type::external_senders);
  if (!data) return fail(Errc::mls_invalid_sender, "this group has no external senders");
  GCHAT_TRY(auto senders, codec::decode_exact<std::vector<ExternalSender>>(*data));
  if (index >= senders.size()) return fail(Errc::mls_invalid_sender, "no external sender " + std::to_string(index));
  return senders[index].signature_key;
}

void tls_encode(Writer& w, const LegacyPendingProposal& v) {
  codec::encode_value(w, v.p.ref);
  codec::encode_value(w, v.p.proposal);
  codec::encode_value(w, v.p.sender);
}
Status tls_decode(Reader& r, LegacyPendingProposal& v) {
  GCHAT_TRY_STATUS(codec::decode_value(r, v.p.ref));
  GCHAT_TRY_STATUS(codec::decode_value(r, v.p.proposal));
  return codec::decode_value(r, v.p.sender);
}

Result<Bytes> public_sender_key(const GroupContext& context, const RatchetTree& tree, const PublicMessage& pub) {
  const Proposal* proposal = std::get_if<Proposal>(&pub.content.body);
  switch (pub.content.sender.sender_type) {
    case SenderType::member: {
      const LeafNode* l = tree.leaf(pub.content.sender.index);
      if (!l) return fail(Errc::mls_invalid_sender, "no member at leaf " + std::to_string(pub.content.sender.index));
      return l->signature_key;
    }
    case SenderType::new_member_commit: {
      const auto* c = std::get_if<Commit>(&pub.content.body);
      if (!c || !c->path) return fail(Errc::mls_invalid_commit, "an external commit needs a path");
      return c->path->leaf_node.signature_key;
    }
    case SenderType::external: {
      if (!proposal || std::holds_alternative<Update>(proposal->body) ||
          std::holds_alternative<ExternalInit>(proposal->body)) {
        return fail(Errc::mls_invalid_message, "an external sender may only send Add, Remove, PSK, ReInit and "
                                               "GroupContextExtensions proposals");
      }
      return external_sender_key(context, pub.content.sender.index);
    }
    case SenderType::new_member_proposal: {
      const Add* add = proposal ? std::get_if<Add>(&proposal->body) : nullptr;
      if (!add) return fail(Errc::mls_invalid_message, "a new member may only propose its own Add");
      return add->key_package.leaf_node.signature_key;
    }
  }
  return fail(Errc::mls_invalid_sender, "unknown sender type");
}

Bytes interim_of(const crypto::CipherSuite& suite, const GroupInfo& info) {
  return interim_transcript_hash(suite, info.group_context.confirmed_transcript_hash, info.confirmation_tag);
}

}  // namespace gchat::mls::detail

namespace gchat::mls {
void tls_encode(Writer& w, const PendingProposal& v) {
  detail::tls_encode(w, detail::LegacyPendingProposal{v});
  codec::encode_value(w, v.authenticated_data);
}
Status tls_decode(Reader& r, PendingProposal& v) {
  detail::LegacyPendingProposal legacy;
  GCHAT_TRY_STATUS(detail::tls_decode(r, legacy));
  v = std::move(legacy.p);
  return codec::decode_value(r, v.authenticated_data);
}
}  // namespace gchat::mls
