#include "gchat/mls/group.hpp"

#include <sodium.h>

#include <algorithm>
#include <set>
#include <string>

#include "gchat/crypto/hpke.hpp"
#include "gchat/mls/crypto_ops.hpp"

namespace gchat::mls {

using namespace tree;

namespace {

constexpr std::uint16_t kRatchetTreeExtension = 2;
constexpr std::uint16_t kExternalPubExtension = 4;
constexpr std::string_view kExternalInitLabel = "MLS 1.0 external init secret";
constexpr std::size_t kPaddingBlock = 32;

Identity clone_identity(const Identity& id) {
  return Identity{id.credential, crypto::SignatureKeyPair{id.signature.private_key.clone(), id.signature.public_key}};
}

Capabilities default_capabilities(const crypto::CipherSuite& suite) {
  Capabilities c;
  c.versions = {static_cast<std::uint16_t>(ProtocolVersion::mls10)};
  c.cipher_suites = {suite.id()};
  c.credentials = {static_cast<std::uint16_t>(CredentialType::basic)};
  return c;
}

Bytes key_package_tbs(const KeyPackage& kp) {
  Writer w;
  codec::encode_value(w, kp.version);
  codec::encode_value(w, kp.cipher_suite);
  codec::encode_value(w, kp.init_key);
  codec::encode_value(w, kp.leaf_node);
  codec::encode_value(w, kp.extensions);
  return w.take();
}

Bytes zeros(const crypto::CipherSuite& suite) { return Bytes(suite.hash_length(), 0); }

// Secrets nothing needs once the epoch is set up (§8, §9): the intermediate ones, and the
// encryption secret, which lives on only inside the secret tree.
void drop_used_secrets(EpochSecrets& s) {
  s.joiner_secret.wipe();
  s.welcome_secret.wipe();
  s.epoch_secret.wipe();
  s.encryption_secret.wipe();
  s.confirmation_key.wipe();
}

// Proposals a commit covers, in the order they apply (§12.3): updates, removes, adds.
struct Changes {
  const ExternalInit* external_init = nullptr;
  std::vector<std::pair<LeafIndex, const LeafNode*>> updates;
  std::vector<LeafIndex> removes;
  std::vector<const KeyPackage*> adds;
};

template <typename Pending>
Result<Changes> changes_of(const Commit& commit, const Pending& pending, LeafIndex committer) {
  Changes c;
  for (const auto& p : commit.proposals) {
    const Proposal* proposal = std::get_if<Proposal>(&p.value);
    std::optional<LeafIndex> proposer;
    if (!proposal) {
      const auto& ref = std::get<Bytes>(p.value);
      for (const auto& cached : pending) {
        if (cached.ref == ref) {
          proposal = &cached.proposal;
          proposer = cached.sender;
        }
      }
      if (!proposal) return fail(Errc::mls_invalid_commit, "the commit names a proposal this member has not seen");
    }
    if (const auto* u = std::get_if<Update>(&proposal->body)) {
      if (!proposer) return fail(Errc::mls_invalid_proposal, "an Update cannot be committed by value");
      if (*proposer == committer) return fail(Errc::mls_invalid_proposal, "a committer cannot commit its own Update");
      c.updates.emplace_back(*proposer, &u->leaf_node);
    } else if (const auto* r = std::get_if<Remove>(&proposal->body)) {
      c.removes.push_back(r->removed);
    } else if (const auto* a = std::get_if<Add>(&proposal->body)) {
      c.adds.push_back(&a->key_package);
    } else if (const auto* e = std::get_if<ExternalInit>(&proposal->body)) {
      if (proposer || c.external_init) return fail(Errc::mls_invalid_proposal, "ExternalInit must come once, by value");
      c.external_init = e;
    } else {
      return fail(Errc::mls_invalid_proposal,
                  "proposal type " + std::to_string(static_cast<int>(proposal->type())) + " is not supported yet");
    }
  }
  std::set<LeafIndex> unique(c.removes.begin(), c.removes.end());
  if (unique.size() != c.removes.size()) return fail(Errc::mls_invalid_proposal, "a member is removed twice");
  if (unique.count(committer)) return fail(Errc::mls_invalid_proposal, "a committer cannot remove itself");
  std::set<LeafIndex> updated;
  for (const auto& [leaf, node] : c.updates) {
    if (!updated.insert(leaf).second) return fail(Errc::mls_invalid_proposal, "a member updates twice");
  }
  // §12.2: an Update from a member the same commit removes is dropped.
  std::erase_if(c.updates, [&](const auto& u) { return unique.count(u.first) > 0; });
  return c;
}

Bytes proposal_ref(const crypto::CipherSuite& suite, WireFormat wire_format, const FramedContent& content,
                   const FramedContentAuthData& auth) {
  Writer w;
  codec::encode_value(w, wire_format);
  codec::encode_value(w, content);
  encode_auth(w, auth, content.content_type());
  return ref_hash(suite, "MLS 1.0 Proposal Reference", w.bytes());
}

// §7.3 / §12.2: an added member's keys must not be in use in the tree already.
Status check_unique_keys(const RatchetTree& tree, const KeyPackage& kp) {
  for (NodeIndex x = 0; x < tree.node_count(); ++x) {
    if (tree.blank(x)) continue;
    if (is_leaf(x)) {
      const LeafNode* l = tree.leaf(leaf_of_node(x));
      if (l->signature_key == kp.leaf_node.signature_key || l->encryption_key == kp.leaf_node.encryption_key) {
        return fail(Errc::mls_invalid_proposal, "an added member's key is already in use at leaf " +
                                                    std::to_string(leaf_of_node(x)));
      }
    } else if (tree.parent(x)->encryption_key == kp.leaf_node.encryption_key) {
      return fail(Errc::mls_invalid_proposal, "an added member's encryption key is already in use in the tree");
    }
  }
  return {};
}

// An Update's new leaf: its keys must not be in use by any other node.
Status check_update_leaf(const RatchetTree& tree, LeafIndex sender, const LeafNode& leaf) {
  for (NodeIndex x = 0; x < tree.node_count(); ++x) {
    if (tree.blank(x) || x == node_of_leaf(sender)) continue;
    const Bytes& enc = is_leaf(x) ? tree.leaf(leaf_of_node(x))->encryption_key : tree.parent(x)->encryption_key;
    if (enc == leaf.encryption_key) return fail(Errc::mls_invalid_proposal, "an Update reuses an encryption key in use");
    if (is_leaf(x) && tree.leaf(leaf_of_node(x))->signature_key == leaf.signature_key) {
      return fail(Errc::mls_invalid_proposal, "an Update uses another member's signature key");
    }
  }
  return {};
}

// Applies a commit's proposals to `tree` in RFC order; `now` checks the added key packages'
// lifetimes when given (the committer's side).
Status apply_changes(const crypto::CipherSuite& suite, RatchetTree& tree, const Changes& c,
                     std::vector<LeafIndex>& added, std::optional<std::uint64_t> now,
                     const CredentialValidator& validator) {
  for (const auto& [leaf, node] : c.updates) {
    GCHAT_TRY_STATUS(validator(*node, CredentialUse::update));
    GCHAT_TRY_STATUS(check_update_leaf(tree, leaf, *node));
    GCHAT_TRY_STATUS(tree.update_leaf(leaf, *node));
  }
  for (LeafIndex leaf : c.removes) GCHAT_TRY_STATUS(tree.remove_leaf(leaf));
  for (const KeyPackage* kp : c.adds) {
    GCHAT_TRY_STATUS(validate_key_package(suite, *kp, now));
    GCHAT_TRY_STATUS(validator(kp->leaf_node, CredentialUse::add));
    GCHAT_TRY_STATUS(check_unique_keys(tree, *kp));
    added.push_back(tree.add_leaf(kp->leaf_node));
  }
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
// context's tree hash, it is valid (signatures, parent hashes, unique keys), the GroupInfo is
// signed by one of its members, and the credential hook accepts every leaf.
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
  for (LeafIndex i = 0; i < tree.leaf_count(); ++i) {
    if (const LeafNode* l = tree.leaf(i)) GCHAT_TRY_STATUS(validator(*l, CredentialUse::joined_tree));
  }
  return tree;
}

}  // namespace

Status accept_basic_credentials(const LeafNode& leaf, CredentialUse) {
  if (leaf.credential.credential_type != CredentialType::basic) {
    return fail(Errc::mls_invalid_credential, "only basic credentials are accepted without a validator");
  }
  return {};
}

// --- Key packages ----------------------------------------------------------------------------

Result<KeyPackageBundle> make_key_package(const crypto::CipherSuite& suite, const Identity& identity,
                                          std::uint64_t not_before, std::uint64_t not_after) {
  KeyPackageBundle b;
  auto init = suite.hpke().generate_key_pair();
  auto enc = suite.hpke().generate_key_pair();
  KeyPackage& kp = b.key_package;
  kp.cipher_suite = suite.id();
  kp.init_key = init.public_key;
  kp.leaf_node.encryption_key = enc.public_key;
  kp.leaf_node.signature_key = identity.signature.public_key;
  kp.leaf_node.credential = identity.credential;
  kp.leaf_node.capabilities = default_capabilities(suite);
  kp.leaf_node.leaf_node_source = LeafNodeSource::key_package;
  kp.leaf_node.lifetime = {not_before, not_after};
  GCHAT_TRY(kp.leaf_node.signature, sign_leaf_node(suite, kp.leaf_node, identity.signature.private_key, {}, 0));
  GCHAT_TRY(kp.signature, sign_with_label(suite, identity.signature.private_key, "KeyPackageTBS", key_package_tbs(kp)));
  b.init_private_key = std::move(init.private_key);
  b.encryption_private_key = std::move(enc.private_key);
  return b;
}

Status validate_key_package(const crypto::CipherSuite& suite, const KeyPackage& kp, std::optional<std::uint64_t> now) {
  if (kp.version != ProtocolVersion::mls10 || kp.cipher_suite != suite.id()) {
    return fail(Errc::mls_invalid_key_package, "the key package is for another version or cipher suite");
  }
  if (kp.leaf_node.leaf_node_source != LeafNodeSource::key_package) {
    return fail(Errc::mls_invalid_key_package, "the key package's leaf is not a key-package leaf");
  }
  if (kp.init_key == kp.leaf_node.encryption_key) {
    return fail(Errc::mls_invalid_key_package, "the init key and the encryption key are the same");
  }
  if (now && (*now < kp.leaf_node.lifetime.not_before || *now > kp.leaf_node.lifetime.not_after)) {
    return fail(Errc::mls_invalid_key_package, "the key package is outside its lifetime");
  }
  auto st = verify_with_label(suite, kp.leaf_node.signature_key, "KeyPackageTBS", key_package_tbs(kp), kp.signature);
  if (!st.ok()) return fail(Errc::mls_invalid_key_package, "the key package signature does not verify");
  st = verify_leaf_node(suite, kp.leaf_node, {}, 0);
  if (!st.ok()) return fail(Errc::mls_invalid_key_package, "the key package's leaf signature does not verify");
  return {};
}

// --- Creation and joining --------------------------------------------------------------------

Result<Group> Group::create(const crypto::CipherSuite& suite, Bytes group_id, const Identity& identity,
                            CredentialValidator validator) {
  Group g(suite);
  g.validator_ = std::move(validator);
  g.identity_ = clone_identity(identity);
  GCHAT_TRY(auto bundle, make_key_package(suite, identity, 0, ~std::uint64_t{0}));
  const LeafIndex me = g.tree_.add_leaf(bundle.key_package.leaf_node);
  g.private_.leaf = me;
  g.private_.keys.emplace(node_of_leaf(me), std::move(bundle.encryption_private_key));
  g.context_.cipher_suite = suite.id();
  g.context_.group_id = std::move(group_id);
  g.context_.epoch = 0;
  g.context_.tree_hash = g.tree_.tree_hash();
  Bytes init(suite.hash_length());
  randombytes_buf(init.data(), init.size());
  const SecretBytes init_secret = SecretBytes::take(init);
  GCHAT_TRY(g.secrets_, derive_epoch(suite, init_secret, zeros(suite), zeros(suite), codec::encode(g.context_)));
  g.confirmation_tag_ = confirmation_tag(suite, g.secrets_.confirmation_key, g.context_.confirmed_transcript_hash);
  g.secret_tree_ = std::make_unique<SecretTree>(suite, g.secrets_.encryption_secret, g.tree_.leaf_count());
  drop_used_secrets(g.secrets_);
  return g;
}

Result<Group> Group::join(const crypto::CipherSuite& suite, const Welcome& welcome, KeyPackageBundle bundle,
                          const Identity& identity, const JoinOptions& options) {
  GCHAT_TRY(auto secrets, open_group_secrets(suite, welcome, key_package_ref(suite, bundle.key_package),
                                             bundle.init_private_key));
  // §8.4: the PSKs the Welcome names, in order; only external ones are supported so far.
  std::vector<PskInput> psks;
  for (const auto& id : secrets.psks) {
    if (id.psktype != PskType::external) {
      return fail(Errc::mls_invalid_welcome, "resumption PSKs are not supported yet");
    }
    const ExternalPsk* found = nullptr;
    if (options.external_psks) {
      for (const auto& p : *options.external_psks) {
        if (p.id == id.psk_id) found = &p;
      }
    }
    if (!found) return fail(Errc::mls_invalid_welcome, "the Welcome names an external PSK this member does not have");
    psks.push_back({id, found->secret});
  }
  GCHAT_TRY(SecretBytes psk, psk_secret(suite, psks));
  GCHAT_TRY(SecretBytes ws, welcome_secret(suite, secrets.joiner_secret, psk));
  GCHAT_TRY(GroupInfo info, open_group_info(suite, welcome, ws));

  Group g(suite);
  g.identity_ = clone_identity(identity);
  const Bytes* tree_data =
      options.ratchet_tree ? &*options.ratchet_tree : find_extension(info.extensions, kRatchetTreeExtension);
  if (!tree_data) return fail(Errc::mls_invalid_welcome, "no ratchet tree: neither in the GroupInfo nor given");
  g.validator_ = options.validator;
  GCHAT_TRY(g.tree_, validated_tree(suite, info, *tree_data, g.validator_));

  std::optional<LeafIndex> me;
  for (LeafIndex i = 0; i < g.tree_.leaf_count() && !me; ++i) {
    const LeafNode* l = g.tree_.leaf(i);
    if (l && l->encryption_key == bundle.key_package.leaf_node.encryption_key &&
        l->signature_key == bundle.key_package.leaf_node.signature_key) {
      me = i;
    }
  }
  if (!me) return fail(Errc::mls_invalid_welcome, "this key package's leaf is not in the tree");

  g.context_ = info.group_context;
  GCHAT_TRY(g.secrets_, derive_epoch_from_joiner(suite, secrets.joiner_secret, psk, codec::encode(g.context_)));
  if (confirmation_tag(suite, g.secrets_.confirmation_key, g.context_.confirmed_transcript_hash) != info.confirmation_tag) {
    return fail(Errc::mls_bad_confirmation_tag, "the GroupInfo's confirmation tag does not verify");
  }
  g.interim_transcript_hash_ = interim_transcript_hash(suite, g.context_.confirmed_transcript_hash, info.confirmation_tag);
  g.confirmation_tag_ = info.confirmation_tag;

  g.private_.leaf = *me;
  g.private_.keys.emplace(node_of_leaf(*me), std::move(bundle.encryption_private_key));
  if (secrets.path_secret) {
    // The path secret is for the lowest node we share with the committer; the non-blank nodes
    // above it on our direct path were all set by that commit, one path step each.
    const NodeIndex lca = common_ancestor(node_of_leaf(*me), node_of_leaf(info.signer));
    SecretBytes secret(secrets.path_secret->path_secret);
    for (NodeIndex x : direct_path(node_of_leaf(*me), g.tree_.leaf_count())) {
      if (!is_in_subtree(lca, x) || g.tree_.blank(x)) continue;
      GCHAT_TRY_STATUS(g.private_.set_path_secret(suite, x, secret, g.tree_.parent(x)->encryption_key));
      GCHAT_TRY(SecretBytes next, derive_secret(suite, secret, "path"));
      secret = std::move(next);
    }
  }
  g.secret_tree_ = std::make_unique<SecretTree>(suite, g.secrets_.encryption_secret, g.tree_.leaf_count());
  drop_used_secrets(g.secrets_);
  return g;
}

// --- Epochs ----------------------------------------------------------------------------------

Status Group::enter_epoch(GroupContext next, BytesView commit_secret, BytesView confirmed_hash,
                          BytesView confirmation_tag_value, std::optional<BytesView> init_secret) {
  next.confirmed_transcript_hash.assign(confirmed_hash.begin(), confirmed_hash.end());
  GCHAT_TRY(auto secrets, derive_epoch(*suite_, init_secret ? *init_secret : secrets_.init_secret.view(), commit_secret,
                                       zeros(*suite_), codec::encode(next)));
  const Bytes expected = confirmation_tag(*suite_, secrets.confirmation_key, confirmed_hash);
  if (!confirmation_tag_value.empty() && !equal_ct(expected, confirmation_tag_value)) {
    return fail(Errc::mls_bad_confirmation_tag, "the commit's confirmation tag does not verify");
  }
  install_epoch(std::move(next), std::move(secrets), expected);
  return {};
}

void Group::install_epoch(GroupContext context, EpochSecrets secrets, BytesView tag) {
  interim_transcript_hash_ = interim_transcript_hash(*suite_, context.confirmed_transcript_hash, tag);
  confirmation_tag_.assign(tag.begin(), tag.end());
  context_ = std::move(context);
  secrets_ = std::move(secrets);
  secret_tree_ = std::make_unique<SecretTree>(*suite_, secrets_.encryption_secret, tree_.leaf_count());
  drop_used_secrets(secrets_);
}

std::vector<LeafIndex> Group::members() const {
  std::vector<LeafIndex> out;
  for (LeafIndex i = 0; i < tree_.leaf_count(); ++i) {
    if (tree_.leaf(i)) out.push_back(i);
  }
  return out;
}

Result<SecretBytes> Group::export_secret(std::string_view label, BytesView context, std::uint16_t length) const {
  return mls_exporter(*suite_, secrets_.exporter_secret, label, context, length);
}

// --- Committing ------------------------------------------------------------------------------

Result<CommitOutput> Group::commit(const std::vector<KeyPackage>& adds, const std::vector<LeafIndex>& removes,
                                   std::uint64_t now) {
  if (!active_) return fail(Errc::mls_invalid_commit, "this member has left the group");
  Commit commit;
  // Every proposal of this epoch by reference, except those a committer may not commit (its own
  // Update, its own removal), then the explicit removes and adds by value.
  // A member that proposed several Updates gets only its last one committed.
  std::map<LeafIndex, std::size_t> last_update;
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    if (std::holds_alternative<Update>(pending_[i].proposal.body)) last_update[pending_[i].sender] = i;
  }
  std::set<LeafIndex> removing;
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    const auto& p = pending_[i];
    if (std::holds_alternative<Update>(p.proposal.body) && (p.sender == private_.leaf || last_update[p.sender] != i)) {
      continue;
    }
    const auto* r = std::get_if<Remove>(&p.proposal.body);
    if (r && (r->removed == private_.leaf || !removing.insert(r->removed).second)) continue;
    commit.proposals.push_back(ProposalOrRef{p.ref});
  }
  for (LeafIndex r : removes) {
    if (r == private_.leaf) return fail(Errc::mls_invalid_proposal, "a member cannot remove itself with a commit");
    if (removing.insert(r).second) commit.proposals.push_back(ProposalOrRef{Proposal{Remove{r}}});
  }
  for (const auto& kp : adds) commit.proposals.push_back(ProposalOrRef{Proposal{Add{kp}}});
  GCHAT_TRY(Changes changes, changes_of(commit, pending_, private_.leaf));
  RatchetTree next_tree = tree_;
  std::vector<LeafIndex> added;
  GCHAT_TRY_STATUS(apply_changes(*suite_, next_tree, changes, added, now, validator_));
  std::vector<KeyPackage> joining;
  for (const KeyPackage* kp : changes.adds) joining.push_back(*kp);

  GroupContext next = context_;
  next.epoch = context_.epoch + 1;
  GCHAT_TRY(CreatedPath created, create_update_path(*suite_, next_tree, private_.leaf, identity_.signature.private_key,
                                                    next, added, private_));
  commit.path = created.path;

  FramedContent content;
  content.group_id = context_.group_id;
  content.epoch = context_.epoch;
  content.sender = Sender{SenderType::member, private_.leaf};
  content.body = commit;
  const Bytes old_context = codec::encode(context_);
  GCHAT_TRY(Bytes signature, sign_content(*suite_, WireFormat::public_message, content, old_context,
                                          identity_.signature.private_key));
  const Bytes confirmed =
      confirmed_transcript_hash(*suite_, interim_transcript_hash_, WireFormat::public_message, content, signature);

  // The new epoch, computed on copies so that a failure leaves this state as it was.
  GroupContext new_context = next;
  new_context.confirmed_transcript_hash = confirmed;
  GCHAT_TRY(auto new_secrets, derive_epoch(*suite_, secrets_.init_secret, created.commit_secret, zeros(*suite_),
                                           codec::encode(new_context)));
  const Bytes tag = confirmation_tag(*suite_, new_secrets.confirmation_key, confirmed);
  GCHAT_TRY(PublicMessage pub, protect_public(*suite_, context_, secrets_.membership_key, content,
                                              identity_.signature.private_key, tag));

  CommitOutput out;
  out.commit = MlsMessage{ProtocolVersion::mls10, std::move(pub)};
  if (!joining.empty()) {
    GCHAT_TRY(GroupInfo info, make_group_info(new_context, next_tree, tag, new_secrets.external_secret));
    Welcome welcome;
    welcome.cipher_suite = suite_->id();
    GCHAT_TRY(welcome.encrypted_group_info, seal_group_info(*suite_, info, new_secrets.welcome_secret));
    for (std::size_t i = 0; i < joining.size(); ++i) {
      GroupSecrets gs;
      gs.joiner_secret.assign(new_secrets.joiner_secret.view().begin(), new_secrets.joiner_secret.view().end());
      for (const auto& step : created.path_secrets) {
        if (is_in_subtree(node_of_leaf(added[i]), step.copath_child)) {
          gs.path_secret = PathSecret{Bytes(step.path_secret.view().begin(), step.path_secret.view().end())};
          break;
        }
      }
      auto sealed = seal_group_secrets(*suite_, joining[i], gs, welcome.encrypted_group_info);
      sodium_memzero(gs.joiner_secret.data(), gs.joiner_secret.size());
      if (gs.path_secret) sodium_memzero(gs.path_secret->path_secret.data(), gs.path_secret->path_secret.size());
      if (!sealed.ok()) return Unexpected{sealed.error()};
      welcome.secrets.push_back(std::move(*sealed));
    }
    out.welcome = MlsMessage{ProtocolVersion::mls10, std::move(welcome)};
  }

  tree_ = std::move(next_tree);
  private_ = std::move(created.own);
  start_epoch_caches();
  install_epoch(std::move(new_context), std::move(new_secrets), tag);
  return out;
}

// --- GroupInfo and external joins ------------------------------------------------------------

Result<GroupInfo> Group::make_group_info(const GroupContext& context, const RatchetTree& tree, BytesView tag,
                                         BytesView external_secret) const {
  GroupInfo info;
  info.group_context = context;
  info.extensions.push_back(Extension{kRatchetTreeExtension, tree.encode()});
  GCHAT_TRY(auto external, suite_->hpke().derive_key_pair(external_secret));
  info.extensions.push_back(Extension{kExternalPubExtension, codec::encode(external.public_key)});
  info.confirmation_tag.assign(tag.begin(), tag.end());
  info.signer = private_.leaf;
  GCHAT_TRY_STATUS(sign_group_info(*suite_, info, identity_.signature.private_key));
  return info;
}

Result<MlsMessage> Group::group_info() const {
  if (!active_) return fail(Errc::mls_invalid_message, "this member has left the group");
  GCHAT_TRY(GroupInfo info, make_group_info(context_, tree_, confirmation_tag_, secrets_.external_secret));
  return MlsMessage{ProtocolVersion::mls10, std::move(info)};
}

Result<Group::ExternalJoin> Group::join_external(const crypto::CipherSuite& suite, const GroupInfo& info,
                                                 const Identity& identity, CredentialValidator validator) {
  const Bytes* tree_data = find_extension(info.extensions, kRatchetTreeExtension);
  const Bytes* external_pub = find_extension(info.extensions, kExternalPubExtension);
  if (!tree_data || !external_pub) return fail(Errc::mls_invalid_welcome, "the GroupInfo lacks the tree or external key");
  GCHAT_TRY(Bytes external_key, codec::decode_exact<Bytes>(*external_pub));

  Group g(suite);
  g.validator_ = std::move(validator);
  g.identity_ = clone_identity(identity);
  GCHAT_TRY(g.tree_, validated_tree(suite, info, *tree_data, g.validator_));

  // The init secret, shared with the members through the ExternalInit's KEM output.
  GCHAT_TRY(auto hpke, suite.hpke().setup_base_s(external_key, {}));
  GCHAT_TRY(SecretBytes init_secret, hpke.context.export_secret(as_bytes(kExternalInitLabel), suite.hash_length()));

  // Our leaf at the leftmost free place, then a full path from it.
  GCHAT_TRY(auto template_leaf, make_key_package(suite, identity, 0, ~std::uint64_t{0}));
  const LeafIndex me = g.tree_.add_leaf(template_leaf.key_package.leaf_node);
  TreeKemPrivate own;
  own.leaf = me;
  GroupContext next = info.group_context;
  next.epoch = info.group_context.epoch + 1;
  GCHAT_TRY(CreatedPath created,
            create_update_path(suite, g.tree_, me, identity.signature.private_key, next, {}, own));

  Commit commit;
  commit.proposals.push_back(ProposalOrRef{Proposal{ExternalInit{hpke.enc}}});
  commit.path = created.path;
  FramedContent content;
  content.group_id = info.group_context.group_id;
  content.epoch = info.group_context.epoch;
  content.sender = Sender{SenderType::new_member_commit, 0};
  content.body = commit;
  GCHAT_TRY(Bytes signature, sign_content(suite, WireFormat::public_message, content,
                                          codec::encode(info.group_context), identity.signature.private_key));
  const Bytes interim = interim_transcript_hash(suite, info.group_context.confirmed_transcript_hash, info.confirmation_tag);
  const Bytes confirmed = confirmed_transcript_hash(suite, interim, WireFormat::public_message, content, signature);
  next.confirmed_transcript_hash = confirmed;
  GCHAT_TRY(auto secrets, derive_epoch(suite, init_secret, created.commit_secret, zeros(suite), codec::encode(next)));
  const Bytes tag = confirmation_tag(suite, secrets.confirmation_key, confirmed);
  GCHAT_TRY(PublicMessage pub, protect_public(suite, info.group_context, {}, content, identity.signature.private_key, tag));

  g.private_ = std::move(created.own);
  g.install_epoch(std::move(next), std::move(secrets), tag);
  return ExternalJoin{std::move(g), MlsMessage{ProtocolVersion::mls10, std::move(pub)}};
}

// --- Messages --------------------------------------------------------------------------------

Result<MlsMessage> Group::protect(BytesView application_data, BytesView authenticated_data) {
  if (!active_) return fail(Errc::mls_invalid_message, "this member has left the group");
  FramedContent content;
  content.group_id = context_.group_id;
  content.epoch = context_.epoch;
  content.sender = Sender{SenderType::member, private_.leaf};
  content.authenticated_data.assign(authenticated_data.begin(), authenticated_data.end());
  content.body = Bytes(application_data.begin(), application_data.end());
  const std::size_t padding = (kPaddingBlock - application_data.size() % kPaddingBlock) % kPaddingBlock;
  GCHAT_TRY(PrivateMessage m, protect_private(*suite_, context_, *secret_tree_, secrets_.sender_data_secret, content,
                                              identity_.signature.private_key, {}, padding));
  return MlsMessage{ProtocolVersion::mls10, std::move(m)};
}

Result<Received> Group::process(const MlsMessage& message) {
  if (!active_) return fail(Errc::mls_invalid_message, "this member has left the group");
  auto signature_key = [this](LeafIndex leaf) -> Result<Bytes> {
    const LeafNode* l = tree_.leaf(leaf);
    if (!l) return fail(Errc::mls_invalid_sender, "no member at leaf " + std::to_string(leaf));
    return l->signature_key;
  };
  FramedContent content;
  FramedContentAuthData auth;
  WireFormat wire_format = message.wire_format();
  if (const auto* pub = std::get_if<PublicMessage>(&message.body)) {
    Bytes key;
    if (pub->content.sender.sender_type == SenderType::member) {
      GCHAT_TRY(key, signature_key(pub->content.sender.index));
    } else if (pub->content.sender.sender_type == SenderType::new_member_commit) {
      // An external commit is signed by the key in the leaf its path brings.
      const auto* c = std::get_if<Commit>(&pub->content.body);
      if (!c || !c->path) return fail(Errc::mls_invalid_commit, "an external commit needs a path");
      key = c->path->leaf_node.signature_key;
    } else {
      return fail(Errc::mls_invalid_sender, "messages from external senders are not supported yet");
    }
    GCHAT_TRY_STATUS(verify_public(*suite_, context_, secrets_.membership_key, *pub, key));
    content = pub->content;
    auth = pub->auth;
  } else if (const auto* priv = std::get_if<PrivateMessage>(&message.body)) {
    GCHAT_TRY(auto opened, unprotect_private(*suite_, context_, *secret_tree_, secrets_.sender_data_secret, *priv,
                                             signature_key));
    content = std::move(opened.content);
    auth = std::move(opened.auth);
  } else {
    return fail(Errc::mls_invalid_message, "not a message for an existing group");
  }

  Received r;
  r.sender = content.sender.index;
  if (auto* data = std::get_if<Bytes>(&content.body)) {
    r.kind = Received::Kind::application;
    r.application_data = std::move(*data);
    return r;
  }
  if (std::holds_alternative<Proposal>(content.body)) {
    GCHAT_TRY_STATUS(cache_proposal(wire_format, content, auth));
    r.kind = Received::Kind::proposal;
    return r;
  }
  const auto* commit = std::get_if<Commit>(&content.body);
  const bool external = content.sender.sender_type == SenderType::new_member_commit;
  if (!external && content.sender.index == private_.leaf) {
    return fail(Errc::mls_invalid_commit, "this member's own commit was applied when it was made");
  }
  r.kind = Received::Kind::commit;
  GCHAT_TRY(Changes changes, changes_of(*commit, pending_, external ? ~LeafIndex{0} : content.sender.index));
  if (external != (changes.external_init != nullptr)) {
    return fail(Errc::mls_invalid_commit, "ExternalInit belongs in external commits, and only there");
  }
  if (external && (!changes.adds.empty() || !changes.updates.empty())) {
    return fail(Errc::mls_invalid_commit, "an external commit may only remove the joiner's old leaf");
  }
  r.removed = changes.removes;
  if (std::find(changes.removes.begin(), changes.removes.end(), private_.leaf) != changes.removes.end()) {
    active_ = false;
    r.we_were_removed = true;
    return r;
  }
  RatchetTree next_tree = tree_;
  GCHAT_TRY_STATUS(apply_changes(*suite_, next_tree, changes, r.added, std::nullopt, validator_));
  if (commit->path) GCHAT_TRY_STATUS(validator_(commit->path->leaf_node, CredentialUse::commit));
  LeafIndex committer = content.sender.index;
  std::optional<SecretBytes> external_init_secret;
  if (external) {
    // The joiner takes the leftmost free leaf; the init secret comes from its KEM output.
    committer = next_tree.add_leaf(commit->path->leaf_node);
    r.sender = committer;
    r.added.push_back(committer);
    GCHAT_TRY(auto external_key, suite_->hpke().derive_key_pair(secrets_.external_secret));
    GCHAT_TRY(auto hpke, suite_->hpke().setup_base_r(changes.external_init->kem_output, external_key.private_key, {}));
    GCHAT_TRY(external_init_secret, hpke.export_secret(as_bytes(kExternalInitLabel), suite_->hash_length()));
  }
  if (!commit->path && (!changes.removes.empty() || !changes.updates.empty())) {
    return fail(Errc::mls_invalid_commit, "a commit with removes or updates must carry a path");
  }
  GroupContext next = context_;
  next.epoch = context_.epoch + 1;
  TreeKemPrivate next_private = private_.clone();
  for (const auto& [leaf, node] : changes.updates) {
    r.updated.push_back(leaf);
    if (leaf != private_.leaf) continue;
    // Our own Update was committed: our leaf now has the key we proposed, our path is blank.
    auto key = own_update_keys_.find(node->encryption_key);
    if (key == own_update_keys_.end()) return fail(Errc::mls_invalid_commit, "the commit applies an Update we did not make");
    for (NodeIndex x : direct_path(node_of_leaf(private_.leaf), tree_.leaf_count())) next_private.keys.erase(x);
    next_private.keys.insert_or_assign(node_of_leaf(private_.leaf), key->second.clone());
  }
  SecretBytes commit_secret;
  if (commit->path) {
    // Members added by this commit get the path secrets from the Welcome (an external joiner
    // made the path itself, so nothing is excluded for it).
    std::vector<LeafIndex> excluded = external ? std::vector<LeafIndex>{} : r.added;
    GCHAT_TRY(auto processed, process_update_path(*suite_, next_tree, committer, *commit->path, next, excluded,
                                                  next_private));
    commit_secret = std::move(processed.commit_secret);
  } else {
    next.tree_hash = next_tree.tree_hash();
    commit_secret = SecretBytes(zeros(*suite_));
  }
  const Bytes confirmed = confirmed_transcript_hash(*suite_, interim_transcript_hash_, wire_format, content, auth.signature);
  if (auth.confirmation_tag.empty()) return fail(Errc::mls_invalid_commit, "the commit has no confirmation tag");
  // Applied only once everything checked out.
  RatchetTree previous_tree = std::move(tree_);
  tree_ = std::move(next_tree);
  auto st = enter_epoch(std::move(next), commit_secret, confirmed, auth.confirmation_tag,
                        external_init_secret ? std::optional<BytesView>(external_init_secret->view()) : std::nullopt);
  if (!st.ok()) {
    tree_ = std::move(previous_tree);
    return Unexpected{st.error()};
  }
  private_ = std::move(next_private);
  start_epoch_caches();
  return r;
}

// --- Proposals -------------------------------------------------------------------------------

void Group::start_epoch_caches() {
  pending_.clear();
  own_update_keys_.clear();
}

Status Group::cache_proposal(WireFormat wire_format, const FramedContent& content, const FramedContentAuthData& auth) {
  const auto& proposal = std::get<Proposal>(content.body);
  const LeafIndex sender = content.sender.index;
  if (const auto* u = std::get_if<Update>(&proposal.body)) {
    if (u->leaf_node.leaf_node_source != LeafNodeSource::update) {
      return fail(Errc::mls_invalid_proposal, "an Update's leaf is not an update leaf");
    }
    auto st = verify_leaf_node(*suite_, u->leaf_node, context_.group_id, sender);
    if (!st.ok()) return fail(Errc::mls_invalid_proposal, "an Update's leaf signature does not verify");
    GCHAT_TRY_STATUS(check_update_leaf(tree_, sender, u->leaf_node));
    GCHAT_TRY_STATUS(validator_(u->leaf_node, CredentialUse::update));
  } else if (const auto* r = std::get_if<Remove>(&proposal.body)) {
    if (!tree_.leaf(r->removed)) return fail(Errc::mls_invalid_proposal, "a Remove names a leaf that is not a member");
  } else if (const auto* a = std::get_if<Add>(&proposal.body)) {
    GCHAT_TRY_STATUS(validate_key_package(*suite_, a->key_package, std::nullopt));
    GCHAT_TRY_STATUS(validator_(a->key_package.leaf_node, CredentialUse::add));
  } else {
    return fail(Errc::mls_invalid_proposal,
                "proposal type " + std::to_string(static_cast<int>(proposal.type())) + " is not supported yet");
  }
  pending_.push_back({proposal_ref(*suite_, wire_format, content, auth), proposal, sender});
  return {};
}

Result<MlsMessage> Group::send_proposal(Proposal proposal) {
  if (!active_) return fail(Errc::mls_invalid_proposal, "this member has left the group");
  FramedContent content;
  content.group_id = context_.group_id;
  content.epoch = context_.epoch;
  content.sender = Sender{SenderType::member, private_.leaf};
  content.body = std::move(proposal);
  GCHAT_TRY(PublicMessage pub, protect_public(*suite_, context_, secrets_.membership_key, content,
                                              identity_.signature.private_key));
  // Our own proposals are pending like everybody else's.
  pending_.push_back({proposal_ref(*suite_, WireFormat::public_message, pub.content, pub.auth),
                      std::get<Proposal>(pub.content.body), private_.leaf});
  return MlsMessage{ProtocolVersion::mls10, std::move(pub)};
}

Result<MlsMessage> Group::propose_update() {
  const LeafNode* current = tree_.leaf(private_.leaf);
  LeafNode leaf = *current;
  auto key = suite_->hpke().generate_key_pair();
  leaf.encryption_key = key.public_key;
  leaf.leaf_node_source = LeafNodeSource::update;
  leaf.parent_hash.clear();
  GCHAT_TRY(leaf.signature, sign_leaf_node(*suite_, leaf, identity_.signature.private_key, context_.group_id, private_.leaf));
  own_update_keys_.insert_or_assign(key.public_key, std::move(key.private_key));
  return send_proposal(Proposal{Update{std::move(leaf)}});
}

Result<MlsMessage> Group::propose_remove(LeafIndex leaf) {
  if (!tree_.leaf(leaf)) return fail(Errc::mls_invalid_proposal, "leaf " + std::to_string(leaf) + " is not a member");
  return send_proposal(Proposal{Remove{leaf}});
}

Result<MlsMessage> Group::propose_add(const KeyPackage& key_package, std::uint64_t now) {
  GCHAT_TRY_STATUS(validate_key_package(*suite_, key_package, now));
  GCHAT_TRY_STATUS(validator_(key_package.leaf_node, CredentialUse::add));
  GCHAT_TRY_STATUS(check_unique_keys(tree_, key_package));
  return send_proposal(Proposal{Add{key_package}});
}

// --- Persistence -----------------------------------------------------------------------------

namespace {

constexpr std::uint16_t kStateFormat = 1;

struct StoredKey {
  std::uint32_t node = 0;
  Bytes key;
  GCHAT_TLS_FIELDS(node, key)
};
struct StoredUpdateKey {
  Bytes public_key;
  Bytes private_key;
  GCHAT_TLS_FIELDS(public_key, private_key)
};
struct StoredProposal {
  Bytes ref;
  Proposal proposal;
  std::uint32_t sender = 0;
};
void tls_encode(Writer& w, const StoredProposal& v) {
  codec::encode_value(w, v.ref);
  codec::encode_value(w, v.proposal);
  codec::encode_value(w, v.sender);
}
Status tls_decode(Reader& r, StoredProposal& v) {
  GCHAT_TRY_STATUS(codec::decode_value(r, v.ref));
  GCHAT_TRY_STATUS(codec::decode_value(r, v.proposal));
  return codec::decode_value(r, v.sender);
}
struct StoredGroup {
  std::uint16_t format = kStateFormat;
  std::uint16_t cipher_suite = 0;
  GroupContext context;
  Bytes tree;
  std::uint32_t own_leaf = 0;
  std::vector<StoredKey> private_keys;
  Bytes init_secret, sender_data_secret, exporter_secret, external_secret, membership_key, resumption_psk,
      epoch_authenticator, interim_transcript_hash, confirmation_tag, secret_tree;
  std::vector<StoredProposal> pending;
  std::vector<StoredUpdateKey> own_update_keys;
  bool active = true;
  GCHAT_TLS_FIELDS(format, cipher_suite, context, tree, own_leaf, private_keys, init_secret, sender_data_secret,
                   exporter_secret, external_secret, membership_key, resumption_psk, epoch_authenticator,
                   interim_transcript_hash, confirmation_tag, secret_tree, pending, own_update_keys, active)
};

Bytes copy(BytesView v) { return Bytes(v.begin(), v.end()); }

void wipe(StoredGroup& g) {
  for (Bytes* b : {&g.init_secret, &g.sender_data_secret, &g.exporter_secret, &g.external_secret, &g.membership_key,
                   &g.resumption_psk, &g.epoch_authenticator, &g.secret_tree}) {
    sodium_memzero(b->data(), b->size());
  }
  for (auto& k : g.private_keys) sodium_memzero(k.key.data(), k.key.size());
  for (auto& k : g.own_update_keys) sodium_memzero(k.private_key.data(), k.private_key.size());
}

}  // namespace

SecretBytes Group::serialize() const {
  StoredGroup g;
  g.cipher_suite = suite_->id();
  g.context = context_;
  g.tree = tree_.encode();
  g.own_leaf = private_.leaf;
  for (const auto& [node, key] : private_.keys) g.private_keys.push_back({node, copy(key)});
  g.init_secret = copy(secrets_.init_secret);
  g.sender_data_secret = copy(secrets_.sender_data_secret);
  g.exporter_secret = copy(secrets_.exporter_secret);
  g.external_secret = copy(secrets_.external_secret);
  g.membership_key = copy(secrets_.membership_key);
  g.resumption_psk = copy(secrets_.resumption_psk);
  g.epoch_authenticator = copy(secrets_.epoch_authenticator);
  g.interim_transcript_hash = interim_transcript_hash_;
  g.confirmation_tag = confirmation_tag_;
  g.secret_tree = copy(secret_tree_->serialize());
  for (const auto& p : pending_) g.pending.push_back({p.ref, p.proposal, p.sender});
  for (const auto& [pub, key] : own_update_keys_) g.own_update_keys.push_back({pub, copy(key)});
  g.active = active_;
  Bytes encoded = codec::encode(g);
  wipe(g);
  return SecretBytes::take(encoded);
}

Result<Group> Group::deserialize(const crypto::CipherSuite& suite, BytesView data, const Identity& identity,
                                 CredentialValidator validator) {
  GCHAT_TRY(StoredGroup stored, codec::decode_exact<StoredGroup>(data));
  struct Wiper {
    StoredGroup& g;
    ~Wiper() { wipe(g); }
  } wiper{stored};
  if (stored.format != kStateFormat) return fail(Errc::invalid_value, "unknown group state format");
  if (stored.cipher_suite != suite.id()) return fail(Errc::invalid_argument, "the state is for another cipher suite");
  Group g(suite);
  g.validator_ = std::move(validator);
  g.identity_ = clone_identity(identity);
  g.context_ = stored.context;
  GCHAT_TRY(g.tree_, RatchetTree::decode(suite, stored.tree));
  if (g.tree_.tree_hash() != g.context_.tree_hash) return fail(Errc::storage_corrupt, "the stored tree does not match");
  const LeafNode* own = g.tree_.leaf(stored.own_leaf);
  if (stored.active && (!own || own->signature_key != identity.signature.public_key)) {
    return fail(Errc::invalid_argument, "the stored state belongs to another identity");
  }
  g.private_.leaf = stored.own_leaf;
  for (auto& k : stored.private_keys) g.private_.keys.insert_or_assign(k.node, SecretBytes(k.key));
  g.secrets_.init_secret = SecretBytes(stored.init_secret);
  g.secrets_.sender_data_secret = SecretBytes(stored.sender_data_secret);
  g.secrets_.exporter_secret = SecretBytes(stored.exporter_secret);
  g.secrets_.external_secret = SecretBytes(stored.external_secret);
  g.secrets_.membership_key = SecretBytes(stored.membership_key);
  g.secrets_.resumption_psk = SecretBytes(stored.resumption_psk);
  g.secrets_.epoch_authenticator = SecretBytes(stored.epoch_authenticator);
  g.interim_transcript_hash_ = stored.interim_transcript_hash;
  g.confirmation_tag_ = stored.confirmation_tag;
  GCHAT_TRY(SecretTree tree, SecretTree::deserialize(suite, stored.secret_tree));
  if (tree.leaf_count() != g.tree_.leaf_count()) return fail(Errc::storage_corrupt, "the stored secret tree does not match");
  g.secret_tree_ = std::make_unique<SecretTree>(std::move(tree));
  for (auto& p : stored.pending) g.pending_.push_back({p.ref, p.proposal, p.sender});
  for (auto& k : stored.own_update_keys) g.own_update_keys_.insert_or_assign(k.public_key, SecretBytes(k.private_key));
  g.active_ = stored.active;
  return g;
}

}  // namespace gchat::mls
