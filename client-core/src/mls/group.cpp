#include "gchat/mls/group.hpp"

#include <sodium.h>

#include <algorithm>
#include <set>
#include <string>

#include "gchat/crypto/hpke.hpp"
#include "gchat/mls/crypto_ops.hpp"
#include "group_rules.hpp"

namespace gchat::mls {

using namespace tree;
using namespace detail;

namespace {

constexpr std::string_view kExternalInitLabel = "MLS 1.0 external init secret";
constexpr std::size_t kPaddingBlock = 32;

Identity clone_identity(const Identity& id) {
  return Identity{id.credential, crypto::SignatureKeyPair{id.signature.private_key.clone(), id.signature.public_key},
                  id.extra_capabilities};
}

void add_unique(std::vector<std::uint16_t>& to, std::uint16_t v) {
  if (std::find(to.begin(), to.end(), v) == to.end()) to.push_back(v);
}

Capabilities capabilities_of(const crypto::CipherSuite& suite, const Identity& identity) {
  Capabilities c = identity.extra_capabilities;
  add_unique(c.versions, static_cast<std::uint16_t>(ProtocolVersion::mls10));
  add_unique(c.cipher_suites, suite.id());
  add_unique(c.credentials, static_cast<std::uint16_t>(identity.credential.credential_type));
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

}  // namespace

Status accept_basic_credentials(const Credential& credential, BytesView, CredentialUse) {
  if (credential.credential_type != CredentialType::basic) {
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
  kp.leaf_node.capabilities = capabilities_of(suite, identity);
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
  if (now) {
    // This client's own policy for what it adds (§7.2 leaves the maximum to the application); a
    // key package in someone else's commit or proposal is not held to it.
    const Lifetime& life = kp.leaf_node.lifetime;
    if (life.not_after < life.not_before || life.not_after - life.not_before > kMaxKeyPackageLifetime) {
      return fail(Errc::mls_invalid_key_package, "the key package's lifetime is longer than this client accepts");
    }
    if (*now < life.not_before || *now > life.not_after) {
      return fail(Errc::mls_invalid_key_package, "the key package is outside its lifetime");
    }
  }
  auto st = verify_with_label(suite, kp.leaf_node.signature_key, "KeyPackageTBS", key_package_tbs(kp), kp.signature);
  if (!st.ok()) return fail(Errc::mls_invalid_key_package, "the key package signature does not verify");
  st = verify_leaf_node(suite, kp.leaf_node, {}, 0);
  if (!st.ok()) return fail(Errc::mls_invalid_key_package, "the key package's leaf signature does not verify");
  return {};
}

// --- Creation and joining --------------------------------------------------------------------

Result<Group> Group::create(const crypto::CipherSuite& suite, Bytes group_id, const Identity& identity,
                            GroupRules rules, std::vector<Extension> extensions) {
  Group g(suite);
  g.rules_ = std::move(rules);
  g.identity_ = clone_identity(identity);
  GCHAT_TRY(auto bundle, make_key_package(suite, identity, 0, ~std::uint64_t{0}));
  const LeafIndex me = g.tree_.add_leaf(bundle.key_package.leaf_node);
  g.private_.leaf = me;
  g.private_.keys.emplace(node_of_leaf(me), std::move(bundle.encryption_private_key));
  g.context_.cipher_suite = suite.id();
  g.context_.group_id = std::move(group_id);
  g.context_.epoch = 0;
  g.context_.tree_hash = g.tree_.tree_hash();
  g.context_.extensions = std::move(extensions);
  {
    GCHAT_TRY(Requirements req, requirements_of(g.context_.extensions));
    GCHAT_TRY_STATUS(check_tree_supports(suite, g.tree_, req, g.rules_.validator));
  }
  GCHAT_TRY_STATUS(g.check_epoch(EpochChange{nullptr, &g.context_, &g.tree_, std::nullopt, {me}, {}, nullptr}));
  Bytes init(suite.hash_length());
  randombytes_buf(init.data(), init.size());
  const SecretBytes init_secret = SecretBytes::take(init);
  GCHAT_TRY(g.secrets_, derive_epoch(suite, init_secret, zeros(suite), zeros(suite), codec::encode(g.context_)));
  g.confirmation_tag_ = confirmation_tag(suite, g.secrets_.confirmation_key, g.context_.confirmed_transcript_hash);
  // RFC 9420 §11: epoch 0's interim transcript hash covers the tag over the empty confirmed hash.
  g.interim_transcript_hash_ = interim_transcript_hash(suite, g.context_.confirmed_transcript_hash, g.confirmation_tag_);
  g.secret_tree_ = std::make_unique<SecretTree>(suite, g.secrets_.encryption_secret, g.tree_.leaf_count());
  drop_used_secrets(g.secrets_);
  return g;
}

Result<Group> Group::join(const crypto::CipherSuite& suite, const Welcome& welcome, KeyPackageBundle bundle,
                          const Identity& identity, const JoinOptions& options) {
  if (welcome.cipher_suite != suite.id() || bundle.key_package.cipher_suite != suite.id()) {
    return fail(Errc::unsupported_suite, "the Welcome or the key package is for another cipher suite");
  }
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
  if (info.group_context.cipher_suite != suite.id()) {
    return fail(Errc::unsupported_suite, "the Welcome's GroupInfo is for another cipher suite");
  }

  Group g(suite);
  g.identity_ = clone_identity(identity);
  const Bytes* tree_data =
      options.ratchet_tree ? &*options.ratchet_tree : find_extension(info.extensions, extension_type::ratchet_tree);
  if (!tree_data) return fail(Errc::mls_invalid_welcome, "no ratchet tree: neither in the GroupInfo nor given");
  g.rules_ = options.rules;
  GCHAT_TRY(g.tree_, validated_tree(suite, info, *tree_data, g.rules_.validator));

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
  GCHAT_TRY_STATUS(g.check_epoch(EpochChange{nullptr, &g.context_, &g.tree_, std::nullopt, g.members(), {}, nullptr}));
  GCHAT_TRY(g.secrets_, derive_epoch_from_joiner(suite, secrets.joiner_secret, psk, codec::encode(g.context_)));
  const Bytes expected_tag = confirmation_tag(suite, g.secrets_.confirmation_key, g.context_.confirmed_transcript_hash);
  if (expected_tag.size() != info.confirmation_tag.size() || !equal_ct(expected_tag, info.confirmation_tag)) {
    return fail(Errc::mls_bad_confirmation_tag, "the GroupInfo's confirmation tag does not verify");
  }
  g.interim_transcript_hash_ = interim_of(suite, info);
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

Status Group::enter_epoch(GroupContext next, BytesView commit_secret, BytesView psk, BytesView confirmed_hash,
                          BytesView confirmation_tag_value, std::optional<BytesView> init_secret) {
  next.confirmed_transcript_hash.assign(confirmed_hash.begin(), confirmed_hash.end());
  GCHAT_TRY(auto secrets, derive_epoch(*suite_, init_secret ? *init_secret : secrets_.init_secret.view(), commit_secret,
                                       psk, codec::encode(next)));
  const Bytes expected = confirmation_tag(*suite_, secrets.confirmation_key, confirmed_hash);
  if (confirmation_tag_value.empty() || !equal_ct(expected, confirmation_tag_value)) {
    return fail(Errc::mls_bad_confirmation_tag, "the commit's confirmation tag does not verify");
  }
  install_epoch(std::move(next), std::move(secrets), expected);
  return {};
}

void Group::install_epoch(GroupContext context, EpochSecrets secrets, BytesView tag) {
  // The resumption PSKs of the last few epochs stay available for PreSharedKey proposals (§8.6).
  if (!secrets_.resumption_psk.empty()) {
    resumption_psks_.insert_or_assign(context_.epoch, std::move(secrets_.resumption_psk));
    while (resumption_psks_.size() > kResumptionEpochs) resumption_psks_.erase(resumption_psks_.begin());
  }
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
                                   std::uint64_t now, const CommitOptions& options) {
  GCHAT_TRY_STATUS(check_can_send());
  // The pending proposals of this epoch go in by reference, as many as make a valid list (§12.2):
  // a Remove wins over an Update of the same member, a member's last Update wins over its earlier
  // ones, the first of two Adds of one client and of two PSKs with one id wins, the last
  // GroupContextExtensions wins, and a ReInit waits for an epoch with nothing else to commit.
  // Then the explicit removes and adds by value.
  // Only the proposals the application lets in (its policy judges each by its sender), and only
  // those that the proposal hook still accepts in this epoch.
  std::vector<const PendingProposal*> eligible;
  for (const auto& p : pending_) {
    if (options.take_pending && !options.take_pending(p)) continue;
    if (rules_.proposal_check &&
        !rules_.proposal_check(ProposalSource{context_, tree_, p.proposal, p.sender, p.authenticated_data, false}).ok()) {
      continue;
    }
    eligible.push_back(&p);
  }
  std::set<LeafIndex> removing;
  for (const PendingProposal* pp : eligible) {
    const auto& p = *pp;
    const auto* r = std::get_if<Remove>(&p.proposal.body);
    if (r && r->removed != private_.leaf && tree_.leaf(r->removed)) removing.insert(r->removed);
  }
  for (LeafIndex r : removes) {
    if (r == private_.leaf) return fail(Errc::mls_invalid_proposal, "a member cannot remove itself with a commit");
    removing.insert(r);
  }
  std::map<LeafIndex, std::size_t> last_update;
  std::optional<std::size_t> last_extensions, last_reinit;
  for (std::size_t i = 0; i < eligible.size(); ++i) {
    const auto& body = eligible[i]->proposal.body;
    if (std::holds_alternative<Update>(body)) last_update[eligible[i]->sender.index] = i;
    if (std::holds_alternative<GroupContextExtensions>(body)) last_extensions = i;
    if (std::holds_alternative<ReInit>(body)) last_reinit = i;
  }
  Commit commit;
  std::set<LeafIndex> removed_by_ref;
  std::set<Bytes> add_keys, psk_ids;
  for (std::size_t i = 0; i < eligible.size(); ++i) {
    const auto& p = *eligible[i];
    bool take = false;
    if (std::holds_alternative<Update>(p.proposal.body)) {
      take = p.sender.index != private_.leaf && last_update[p.sender.index] == i && !removing.count(p.sender.index);
    } else if (const auto* r = std::get_if<Remove>(&p.proposal.body)) {
      take = removing.count(r->removed) && removed_by_ref.insert(r->removed).second;
    } else if (const auto* a = std::get_if<Add>(&p.proposal.body)) {
      const Bytes& key = a->key_package.leaf_node.signature_key;
      bool member = false;
      for (LeafIndex l : members()) member = member || (tree_.leaf(l)->signature_key == key && !removing.count(l));
      // Others' Adds are committed only if they meet this client's own key package policy.
      take = !member && validate_key_package(*suite_, a->key_package, now).ok() && add_keys.insert(key).second;
    } else if (const auto* k = std::get_if<PreSharedKey>(&p.proposal.body)) {
      take = psk_ids.insert(codec::encode(k->psk)).second && psk_secret_of({&k->psk}).ok();
    } else if (std::holds_alternative<GroupContextExtensions>(p.proposal.body)) {
      take = last_extensions == i && !options.extensions;
    }
    if (take) commit.proposals.push_back(ProposalOrRef{p.ref});
  }
  for (LeafIndex r : removes) {
    if (removed_by_ref.insert(r).second) commit.proposals.push_back(ProposalOrRef{Proposal{Remove{r}}});
  }
  for (const auto& kp : adds) commit.proposals.push_back(ProposalOrRef{Proposal{Add{kp}}});
  if (options.extensions) {
    commit.proposals.push_back(ProposalOrRef{Proposal{GroupContextExtensions{*options.extensions}}});
  }
  if (commit.proposals.empty() && last_reinit) commit.proposals.push_back(ProposalOrRef{eligible[*last_reinit]->ref});

  GCHAT_TRY(Changes changes, changes_of(*suite_, commit, pending_, private_.leaf));
  GCHAT_TRY_STATUS(check_proposal_senders(context_, tree_, rules_, commit, pending_,
                                          Sender{SenderType::member, private_.leaf}, options.authenticated_data));
  GroupContext next = context_;
  GCHAT_TRY(next.epoch, next_epoch(context_.epoch));
  if (changes.extensions) next.extensions = changes.extensions->extensions;
  GCHAT_TRY(Requirements req, requirements_of(next.extensions));
  RatchetTree next_tree = tree_;
  std::vector<LeafIndex> added;
  GCHAT_TRY_STATUS(apply_changes(*suite_, next_tree, req, changes, added, now, rules_.validator));
  GCHAT_TRY(SecretBytes psk, psk_secret_of(changes.psks));
  // A renewed credential (renew_credential) goes into the path's new leaf node.
  if (const LeafNode* own = next_tree.leaf(private_.leaf);
      own && codec::encode(own->credential) != codec::encode(identity_.credential)) {
    GCHAT_TRY_STATUS(rules_.validator(identity_.credential, identity_.signature.public_key, CredentialUse::commit));
    LeafNode renewed = *own;
    renewed.credential = identity_.credential;
    GCHAT_TRY_STATUS(next_tree.set_leaf(private_.leaf, renewed));
  }
  std::vector<KeyPackage> joining;
  for (const KeyPackage* kp : changes.adds) joining.push_back(*kp);

  {
    EpochChange change{&context_, &next, &next_tree, private_.leaf, added, {}, nullptr};
    change.previous_tree = &tree_;
    for (const auto& [leaf, node] : changes.updates) change.replaced.push_back(leaf);
    change.replaced.push_back(private_.leaf);  // the path brings a new leaf node
    change.admitted.insert(change.admitted.end(), change.replaced.begin(), change.replaced.end());
    GCHAT_TRY_STATUS(check_epoch(change));
  }
  GCHAT_TRY(CreatedPath created, create_update_path(*suite_, next_tree, private_.leaf, identity_.signature.private_key,
                                                    next, added, private_));
  commit.path = created.path;

  FramedContent content;
  content.group_id = context_.group_id;
  content.epoch = context_.epoch;
  content.sender = Sender{SenderType::member, private_.leaf};
  content.authenticated_data = options.authenticated_data;
  content.body = commit;
  const Bytes old_context = codec::encode(context_);
  GCHAT_TRY(Bytes signature, sign_content(*suite_, WireFormat::public_message, content, old_context,
                                          identity_.signature.private_key));
  const Bytes confirmed =
      confirmed_transcript_hash(*suite_, interim_transcript_hash_, WireFormat::public_message, content, signature);

  // The new epoch, computed on copies so that a failure leaves this state as it was.
  GroupContext new_context = next;
  new_context.confirmed_transcript_hash = confirmed;
  GCHAT_TRY(auto new_secrets,
            derive_epoch(*suite_, secrets_.init_secret, created.commit_secret, psk, codec::encode(new_context)));
  const Bytes tag = confirmation_tag(*suite_, new_secrets.confirmation_key, confirmed);
  GCHAT_TRY(PublicMessage pub, protect_public(*suite_, context_, secrets_.membership_key, content,
                                              identity_.signature.private_key, tag));

  CommitOutput out;
  out.commit = MlsMessage{ProtocolVersion::mls10, std::move(pub)};
  if (!joining.empty()) {
    GCHAT_TRY(GroupInfo info, make_group_info(new_context, options.ratchet_tree_in_welcome ? &next_tree : nullptr, tag,
                                              new_secrets.external_secret));
    Welcome welcome;
    welcome.cipher_suite = suite_->id();
    GCHAT_TRY(welcome.encrypted_group_info, seal_group_info(*suite_, info, new_secrets.welcome_secret));
    for (std::size_t i = 0; i < joining.size(); ++i) {
      GroupSecrets gs;
      gs.joiner_secret.assign(new_secrets.joiner_secret.view().begin(), new_secrets.joiner_secret.view().end());
      for (const PreSharedKeyId* id : changes.psks) gs.psks.push_back(*id);
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

  if (changes.reinit) reinit_ = *changes.reinit;
  tree_ = std::move(next_tree);
  private_ = std::move(created.own);
  start_epoch_caches();
  install_epoch(std::move(new_context), std::move(new_secrets), tag);
  return out;
}

// --- GroupInfo and external joins ------------------------------------------------------------

Result<GroupInfo> Group::make_group_info(const GroupContext& context, const RatchetTree* tree, BytesView tag,
                                         BytesView external_secret) const {
  GroupInfo info;
  info.group_context = context;
  if (tree) info.extensions.push_back(Extension{extension_type::ratchet_tree, tree->encode()});
  GCHAT_TRY(auto external, suite_->hpke().derive_key_pair(external_secret));
  info.extensions.push_back(Extension{extension_type::external_pub, codec::encode(external.public_key)});
  info.confirmation_tag.assign(tag.begin(), tag.end());
  info.signer = private_.leaf;
  GCHAT_TRY_STATUS(sign_group_info(*suite_, info, identity_.signature.private_key));
  return info;
}

Result<MlsMessage> Group::group_info() const {
  if (!active_) return fail(Errc::mls_invalid_message, "this member has left the group");
  GCHAT_TRY(GroupInfo info, make_group_info(context_, &tree_, confirmation_tag_, secrets_.external_secret));
  return MlsMessage{ProtocolVersion::mls10, std::move(info)};
}

Result<Group::ExternalJoin> Group::join_external(const crypto::CipherSuite& suite, const GroupInfo& info,
                                                 const Identity& identity, GroupRules rules,
                                                 std::optional<LeafIndex> replaces) {
  const Bytes* tree_data = find_extension(info.extensions, extension_type::ratchet_tree);
  const Bytes* external_pub = find_extension(info.extensions, extension_type::external_pub);
  if (!tree_data || !external_pub) return fail(Errc::mls_invalid_welcome, "the GroupInfo lacks the tree or external key");
  if (info.group_context.cipher_suite != suite.id()) {
    return fail(Errc::unsupported_suite, "the GroupInfo is for another cipher suite");
  }
  GCHAT_TRY(Bytes external_key, codec::decode_exact<Bytes>(*external_pub));

  Group g(suite);
  g.rules_ = std::move(rules);
  g.identity_ = clone_identity(identity);
  GCHAT_TRY(g.tree_, validated_tree(suite, info, *tree_data, g.rules_.validator));

  // The init secret, shared with the members through the ExternalInit's KEM output.
  GCHAT_TRY(auto hpke, suite.hpke().setup_base_s(external_key, {}));
  GCHAT_TRY(SecretBytes init_secret, hpke.context.export_secret(as_bytes(kExternalInitLabel), suite.hash_length()));

  // Our old leaf out, ours in at the leftmost free place, then a full path from it.
  GCHAT_TRY(auto template_leaf, make_key_package(suite, identity, 0, ~std::uint64_t{0}));
  GCHAT_TRY(Requirements req, requirements_of(info.group_context.extensions));
  if (replaces) {
    const LeafNode* old = g.tree_.leaf(*replaces);
    if (!old || !same_encoding(old->credential, identity.credential)) {
      return fail(Errc::mls_invalid_proposal, "the leaf to replace is not this member's");
    }
    GCHAT_TRY_STATUS(g.tree_.remove_leaf(*replaces));
  }
  GCHAT_TRY_STATUS(check_new_leaf(suite, g.tree_, template_leaf.key_package.leaf_node, std::nullopt, req));
  const LeafIndex me = g.tree_.add_leaf(template_leaf.key_package.leaf_node);
  TreeKemPrivate own;
  own.leaf = me;
  GroupContext next = info.group_context;
  GCHAT_TRY(next.epoch, next_epoch(info.group_context.epoch));
  GCHAT_TRY_STATUS(g.check_epoch(EpochChange{nullptr, &next, &g.tree_, std::nullopt, g.members(), {}, nullptr}));
  GCHAT_TRY(CreatedPath created,
            create_update_path(suite, g.tree_, me, identity.signature.private_key, next, {}, own));

  Commit commit;
  commit.proposals.push_back(ProposalOrRef{Proposal{ExternalInit{hpke.enc}}});
  if (replaces) commit.proposals.push_back(ProposalOrRef{Proposal{Remove{*replaces}}});
  commit.path = created.path;
  FramedContent content;
  content.group_id = info.group_context.group_id;
  content.epoch = info.group_context.epoch;
  content.sender = Sender{SenderType::new_member_commit, 0};
  content.body = commit;
  GCHAT_TRY(Bytes signature, sign_content(suite, WireFormat::public_message, content,
                                          codec::encode(info.group_context), identity.signature.private_key));
  const Bytes interim = interim_of(suite, info);
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

Status Group::check_can_send() const {
  if (!active_) return fail(Errc::mls_invalid_message, "this member has left the group");
  if (reinit_) return fail(Errc::mls_group_reinitialized, "the group was reinitialized; its successor takes over");
  return {};
}

Result<MlsMessage> Group::protect(BytesView application_data, BytesView authenticated_data) {
  GCHAT_TRY_STATUS(check_can_send());
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

Result<Bytes> Group::external_sender_key(std::uint32_t index) const {
  return detail::external_sender_key(context_, index);
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
    GCHAT_TRY(Bytes key, public_sender_key(context_, tree_, *pub));
    GCHAT_TRY_STATUS(verify_public(*suite_, context_, secrets_.membership_key, *pub, key));
    content = pub->content;
    auth = pub->auth;
  } else if (const auto* priv = std::get_if<PrivateMessage>(&message.body)) {
    if (rules_.public_handshakes_only && priv->content_type != ContentType::application) {
      return fail(Errc::mls_invalid_message, "this group takes proposals and commits as PublicMessages only");
    }
    GCHAT_TRY(auto opened, unprotect_private(*suite_, context_, *secret_tree_, secrets_.sender_data_secret, *priv,
                                             signature_key));
    content = std::move(opened.content);
    auth = std::move(opened.auth);
  } else {
    return fail(Errc::mls_invalid_message, "not a message for an existing group");
  }

  Received r;
  r.sender_type = content.sender.sender_type;
  r.sender = content.sender.index;
  if (auto* data = std::get_if<Bytes>(&content.body)) {
    r.kind = Received::Kind::application;
    r.application_data = std::move(*data);
    return r;
  }
  if (const auto* proposal = std::get_if<Proposal>(&content.body)) {
    GCHAT_TRY_STATUS(cache_proposal(wire_format, content, auth));
    r.kind = Received::Kind::proposal;
    r.proposal = proposal->type();
    return r;
  }
  const bool external = content.sender.sender_type == SenderType::new_member_commit;
  if (!external && content.sender.index == private_.leaf) {
    return fail(Errc::mls_invalid_commit, "this member's own commit was applied when it was made");
  }
  if (reinit_) return fail(Errc::mls_group_reinitialized, "the group was reinitialized; no commit may follow");
  r.kind = Received::Kind::commit;
  // Everything public is checked before anything is acted on, our own removal included: a commit
  // that removes us but fails any check (credentials, new leaf, path, policy) is refused, and we
  // stay. A removed member cannot check the confirmation tag (it gets no path secret), so that is
  // the one check it has to do without.
  GCHAT_TRY(CheckedCommit checked, check_commit(*suite_, context_, tree_, rules_, pending_, wire_format, content, auth,
                                                interim_transcript_hash_));
  const Commit& commit = std::get<Commit>(content.body);
  const Changes& changes = checked.changes;
  r.removed = checked.removed;
  r.added = checked.added;
  r.updated = checked.updated;
  r.extensions_changed = changes.extensions != nullptr;
  r.extensions_by = changes.extensions_sender.index;
  if (external) r.sender = checked.committer;
  if (std::find(r.removed.begin(), r.removed.end(), private_.leaf) != r.removed.end()) {
    active_ = false;
    r.we_were_removed = true;
    start_epoch_caches();
    return r;
  }
  GCHAT_TRY(SecretBytes psk, psk_secret_of(changes.psks));
  std::optional<SecretBytes> external_init_secret;
  if (external) {
    // The init secret comes from the joiner's KEM output.
    GCHAT_TRY(auto external_key, suite_->hpke().derive_key_pair(secrets_.external_secret));
    GCHAT_TRY(auto hpke, suite_->hpke().setup_base_r(changes.external_init->kem_output, external_key.private_key, {}));
    GCHAT_TRY(external_init_secret, hpke.export_secret(as_bytes(kExternalInitLabel), suite_->hash_length()));
  }
  TreeKemPrivate next_private = private_.clone();
  for (const auto& [leaf, node] : changes.updates) {
    if (leaf != private_.leaf) continue;
    // Our own Update was committed: our leaf now has the key we proposed, our path is blank.
    auto key = own_update_keys_.find(node->encryption_key);
    if (key == own_update_keys_.end()) return fail(Errc::mls_invalid_commit, "the commit applies an Update we did not make");
    for (NodeIndex x : direct_path(node_of_leaf(private_.leaf), tree_.leaf_count())) next_private.keys.erase(x);
    next_private.keys.insert_or_assign(node_of_leaf(private_.leaf), key->second.clone());
  }
  SecretBytes commit_secret;
  if (commit.path) {
    GCHAT_TRY(auto processed, decrypt_update_path(*suite_, checked.next_tree, checked.committer, *commit.path,
                                                  *checked.merged, checked.next, next_private));
    commit_secret = std::move(processed.commit_secret);
  } else {
    commit_secret = SecretBytes(zeros(*suite_));
  }
  // Applied only once everything checked out, the confirmation tag last (enter_epoch).
  RatchetTree previous_tree = std::move(tree_);
  tree_ = std::move(checked.next_tree);
  const Bytes confirmed = checked.confirmed_transcript_hash;
  auto st = enter_epoch(std::move(checked.next), commit_secret, psk, confirmed, auth.confirmation_tag,
                        external_init_secret ? std::optional<BytesView>(external_init_secret->view()) : std::nullopt);
  if (!st.ok()) {
    tree_ = std::move(previous_tree);
    return Unexpected{st.error()};
  }
  private_ = std::move(next_private);
  if (changes.reinit) {  // before the caches it points into are cleared
    reinit_ = *changes.reinit;
    r.reinit = *changes.reinit;
  }
  start_epoch_caches();
  return r;
}

// --- Proposals -------------------------------------------------------------------------------

void Group::start_epoch_caches() {
  pending_.clear();
  own_update_keys_.clear();
}

Result<SecretBytes> Group::psk_secret_of(const std::vector<const PreSharedKeyId*>& ids) const {
  std::vector<PskInput> inputs;
  for (const PreSharedKeyId* id : ids) {
    const SecretBytes* secret = nullptr;
    if (id->psktype == PskType::external) {
      auto it = external_psks_.find(id->psk_id);
      if (it != external_psks_.end()) secret = &it->second;
    } else if (id->psk_group_id == context_.group_id) {
      auto it = resumption_psks_.find(id->psk_epoch);
      if (id->psk_epoch == context_.epoch) secret = &secrets_.resumption_psk;
      else if (it != resumption_psks_.end()) secret = &it->second;
    }
    if (!secret) return fail(Errc::mls_unknown_psk, "a pre-shared key this member does not hold is named");
    inputs.push_back({*id, secret->view()});
  }
  if (inputs.empty()) return SecretBytes(zeros(*suite_));
  return psk_secret(*suite_, inputs);
}

// §12.1: one proposal on its own, from `sender`, against this epoch's state.
Status Group::check_proposal(const Proposal& proposal, const Sender& sender, BytesView authenticated_data) const {
  return detail::check_proposal(*suite_, context_, tree_, rules_, proposal, sender, authenticated_data);
}

Status Group::cache_proposal(WireFormat wire_format, const FramedContent& content, const FramedContentAuthData& auth) {
  const auto& proposal = std::get<Proposal>(content.body);
  Bytes ref = proposal_ref(*suite_, wire_format, content, auth);
  GCHAT_TRY_STATUS(check_room_for(pending_, ref));
  GCHAT_TRY_STATUS(check_proposal(proposal, content.sender, content.authenticated_data));
  pending_.push_back({std::move(ref), proposal, content.sender, content.authenticated_data});
  return {};
}


Result<MlsMessage> Group::send_proposal(Proposal proposal) {
  GCHAT_TRY_STATUS(check_can_send());
  if (pending_.size() >= kMaxPendingProposals) {
    return fail(Errc::mls_invalid_proposal, "too many proposals are pending in this epoch; commit them first");
  }
  const Sender me{SenderType::member, private_.leaf};
  GCHAT_TRY_STATUS(check_proposal(proposal, me, {}));
  FramedContent content;
  content.group_id = context_.group_id;
  content.epoch = context_.epoch;
  content.sender = me;
  content.body = std::move(proposal);
  GCHAT_TRY(PublicMessage pub, protect_public(*suite_, context_, secrets_.membership_key, content,
                                              identity_.signature.private_key));
  // Our own proposals are pending like everybody else's.
  pending_.push_back({proposal_ref(*suite_, WireFormat::public_message, pub.content, pub.auth),
                      std::get<Proposal>(pub.content.body), me, {}});
  return MlsMessage{ProtocolVersion::mls10, std::move(pub)};
}

Result<MlsMessage> Group::propose_update() {
  GCHAT_TRY_STATUS(check_can_send());
  LeafNode leaf = *tree_.leaf(private_.leaf);
  auto key = suite_->hpke().generate_key_pair();
  leaf.encryption_key = key.public_key;
  leaf.leaf_node_source = LeafNodeSource::update;
  leaf.parent_hash.clear();
  GCHAT_TRY(leaf.signature, sign_leaf_node(*suite_, leaf, identity_.signature.private_key, context_.group_id, private_.leaf));
  GCHAT_TRY(auto sent, send_proposal(Proposal{Update{std::move(leaf)}}));
  own_update_keys_.insert_or_assign(key.public_key, std::move(key.private_key));
  return sent;
}

Result<MlsMessage> Group::propose_remove(LeafIndex leaf) {
  if (!tree_.leaf(leaf)) return fail(Errc::mls_invalid_proposal, "leaf " + std::to_string(leaf) + " is not a member");
  return send_proposal(Proposal{Remove{leaf}});
}

Result<MlsMessage> Group::propose_add(const KeyPackage& key_package, std::uint64_t now) {
  GCHAT_TRY_STATUS(validate_key_package(*suite_, key_package, now));
  GCHAT_TRY(Requirements req, requirements_of(context_.extensions));
  GCHAT_TRY_STATUS(check_new_leaf(*suite_, tree_, key_package.leaf_node, std::nullopt, req));
  return send_proposal(Proposal{Add{key_package}});
}

namespace {
PreSharedKeyId fresh_psk_id(const crypto::CipherSuite& suite) {
  PreSharedKeyId id;
  id.psk_nonce.resize(suite.hash_length());
  randombytes_buf(id.psk_nonce.data(), id.psk_nonce.size());
  return id;
}
}  // namespace

Result<MlsMessage> Group::propose_external_psk(BytesView psk_id) {
  PreSharedKeyId id = fresh_psk_id(*suite_);
  id.psktype = PskType::external;
  id.psk_id.assign(psk_id.begin(), psk_id.end());
  GCHAT_TRY_STATUS(psk_secret_of({&id}));
  return send_proposal(Proposal{PreSharedKey{std::move(id)}});
}

Result<MlsMessage> Group::propose_resumption_psk(std::uint64_t epoch) {
  PreSharedKeyId id = fresh_psk_id(*suite_);
  id.psktype = PskType::resumption;
  id.usage = ResumptionPskUsage::application;
  id.psk_group_id = context_.group_id;
  id.psk_epoch = epoch;
  GCHAT_TRY_STATUS(psk_secret_of({&id}));
  return send_proposal(Proposal{PreSharedKey{std::move(id)}});
}

Result<MlsMessage> Group::propose_group_context_extensions(std::vector<Extension> extensions) {
  return send_proposal(Proposal{GroupContextExtensions{std::move(extensions)}});
}

Result<MlsMessage> Group::propose_reinit(ReInit reinit) { return send_proposal(Proposal{std::move(reinit)}); }

Status Group::renew_credential(Credential credential) {
  if (credential.credential_type != identity_.credential.credential_type) {
    return fail(Errc::mls_invalid_credential, "a renewed credential keeps its type");
  }
  GCHAT_TRY_STATUS(rules_.validator(credential, identity_.signature.public_key, CredentialUse::update));
  identity_.credential = std::move(credential);
  return {};
}

bool Group::credential_current() const {
  const LeafNode* own = tree_.leaf(private_.leaf);
  return own && codec::encode(own->credential) == codec::encode(identity_.credential);
}

void Group::add_external_psk(Bytes id, SecretBytes secret) { external_psks_.insert_or_assign(std::move(id), std::move(secret)); }

// --- Proposals from outside the group --------------------------------------------------------

namespace {
Result<MlsMessage> outside_proposal(const crypto::CipherSuite& suite, BytesView group_id, std::uint64_t epoch,
                                    Sender sender, Proposal proposal, BytesView signature_private_key,
                                    BytesView authenticated_data = {}) {
  GroupContext context;  // external senders do not sign the GroupContext: only its group and epoch count
  context.cipher_suite = suite.id();
  context.group_id.assign(group_id.begin(), group_id.end());
  context.epoch = epoch;
  FramedContent content;
  content.group_id = context.group_id;
  content.epoch = epoch;
  content.sender = sender;
  content.authenticated_data.assign(authenticated_data.begin(), authenticated_data.end());
  content.body = std::move(proposal);
  GCHAT_TRY(PublicMessage pub, protect_public(suite, context, {}, std::move(content), signature_private_key));
  return MlsMessage{ProtocolVersion::mls10, std::move(pub)};
}
}  // namespace

Result<MlsMessage> external_proposal(const crypto::CipherSuite& suite, BytesView group_id, std::uint64_t epoch,
                                     std::uint32_t sender_index, Proposal proposal, BytesView signature_private_key,
                                     BytesView authenticated_data) {
  if (std::holds_alternative<Update>(proposal.body) || std::holds_alternative<ExternalInit>(proposal.body)) {
    return fail(Errc::mls_invalid_proposal, "an external sender cannot send Update or ExternalInit proposals");
  }
  return outside_proposal(suite, group_id, epoch, Sender{SenderType::external, sender_index}, std::move(proposal),
                          signature_private_key, authenticated_data);
}

Result<MlsMessage> new_member_proposal(const crypto::CipherSuite& suite, BytesView group_id, std::uint64_t epoch,
                                       const KeyPackage& key_package, BytesView signature_private_key) {
  return outside_proposal(suite, group_id, epoch, Sender{SenderType::new_member_proposal, 0},
                          Proposal{Add{key_package}}, signature_private_key);
}

// --- Persistence -----------------------------------------------------------------------------

namespace {

// Format 2 kept pending proposals without their authenticated data.
constexpr std::uint16_t kStateFormat = 3;

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
struct StoredPsk {
  Bytes id;  // external: the PSK id; resumption: the epoch, big-endian
  Bytes secret;
  GCHAT_TLS_FIELDS(id, secret)
};
template <typename Pending>
struct StoredGroupOf {
  std::uint16_t format = kStateFormat;
  std::uint16_t cipher_suite = 0;
  GroupContext context;
  Bytes tree;
  std::uint32_t own_leaf = 0;
  std::vector<StoredKey> private_keys;
  Bytes init_secret, sender_data_secret, exporter_secret, external_secret, membership_key, resumption_psk,
      epoch_authenticator, interim_transcript_hash, confirmation_tag, secret_tree;
  std::vector<Pending> pending;
  std::vector<StoredUpdateKey> own_update_keys;
  std::vector<StoredPsk> external_psks;
  std::vector<StoredPsk> resumption_psks;
  std::vector<ReInit> reinit;  // empty or one
  bool active = true;
  GCHAT_TLS_FIELDS(format, cipher_suite, context, tree, own_leaf, private_keys, init_secret, sender_data_secret,
                   exporter_secret, external_secret, membership_key, resumption_psk, epoch_authenticator,
                   interim_transcript_hash, confirmation_tag, secret_tree, pending, own_update_keys, external_psks,
                   resumption_psks, reinit, active)
};
using StoredGroup = StoredGroupOf<PendingProposal>;

Bytes copy(BytesView v) { return Bytes(v.begin(), v.end()); }

void wipe(StoredGroup& g) {
  for (Bytes* b : {&g.init_secret, &g.sender_data_secret, &g.exporter_secret, &g.external_secret, &g.membership_key,
                   &g.resumption_psk, &g.epoch_authenticator, &g.secret_tree}) {
    sodium_memzero(b->data(), b->size());
  }
  for (auto& k : g.private_keys) sodium_memzero(k.key.data(), k.key.size());
  for (auto& k : g.own_update_keys) sodium_memzero(k.private_key.data(), k.private_key.size());
  for (auto* list : {&g.external_psks, &g.resumption_psks}) {
    for (auto& k : *list) sodium_memzero(k.secret.data(), k.secret.size());
  }
}

// A stored state of this format or of format 2.
Result<StoredGroup> decode_state(BytesView data) {
  Reader r(data);
  GCHAT_TRY(std::uint16_t format, r.u16());
  if (format == kStateFormat) return codec::decode_exact<StoredGroup>(data);
  if (format != 2) return fail(Errc::invalid_value, "unknown group state format");
  GCHAT_TRY(auto old, codec::decode_exact<StoredGroupOf<LegacyPendingProposal>>(data));
  StoredGroup g;
  g.cipher_suite = old.cipher_suite;
  g.context = std::move(old.context);
  g.tree = std::move(old.tree);
  g.own_leaf = old.own_leaf;
  g.private_keys = std::move(old.private_keys);
  for (auto [to, from] : {std::pair{&g.init_secret, &old.init_secret}, {&g.sender_data_secret, &old.sender_data_secret},
                          {&g.exporter_secret, &old.exporter_secret}, {&g.external_secret, &old.external_secret},
                          {&g.membership_key, &old.membership_key}, {&g.resumption_psk, &old.resumption_psk},
                          {&g.epoch_authenticator, &old.epoch_authenticator},
                          {&g.interim_transcript_hash, &old.interim_transcript_hash},
                          {&g.confirmation_tag, &old.confirmation_tag}, {&g.secret_tree, &old.secret_tree}}) {
    *to = std::move(*from);
  }
  for (auto& p : old.pending) g.pending.push_back(std::move(p.p));
  g.own_update_keys = std::move(old.own_update_keys);
  g.external_psks = std::move(old.external_psks);
  g.resumption_psks = std::move(old.resumption_psks);
  g.reinit = std::move(old.reinit);
  g.active = old.active;
  return g;
}

Bytes epoch_bytes(std::uint64_t epoch) {
  Writer w;
  codec::encode_value(w, epoch);
  return w.take();
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
  g.pending = pending_;
  for (const auto& [pub, key] : own_update_keys_) g.own_update_keys.push_back({pub, copy(key)});
  for (const auto& [id, secret] : external_psks_) g.external_psks.push_back({id, copy(secret)});
  for (const auto& [epoch, secret] : resumption_psks_) g.resumption_psks.push_back({epoch_bytes(epoch), copy(secret)});
  if (reinit_) g.reinit.push_back(*reinit_);
  g.active = active_;
  Bytes encoded = codec::encode(g);
  wipe(g);
  return SecretBytes::take(encoded);
}

Result<Group> Group::deserialize(const crypto::CipherSuite& suite, BytesView data, const Identity& identity,
                                 GroupRules rules) {
  GCHAT_TRY(StoredGroup stored, decode_state(data));
  struct Wiper {
    StoredGroup& g;
    ~Wiper() { wipe(g); }
  } wiper{stored};
  if (stored.cipher_suite != suite.id()) return fail(Errc::invalid_argument, "the state is for another cipher suite");
  Group g(suite);
  g.rules_ = std::move(rules);
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
  // A state saved at epoch 0 by a version before RFC 9420 §11's interim hash has an empty one; it
  // is kept, not recomputed: the relay's state of that group was saved empty too, and the two must
  // agree on the next confirmed transcript hash.
  g.interim_transcript_hash_ = stored.interim_transcript_hash;
  g.confirmation_tag_ = stored.confirmation_tag;
  GCHAT_TRY(SecretTree tree, SecretTree::deserialize(suite, stored.secret_tree));
  if (tree.leaf_count() != g.tree_.leaf_count()) return fail(Errc::storage_corrupt, "the stored secret tree does not match");
  g.secret_tree_ = std::make_unique<SecretTree>(std::move(tree));
  g.pending_ = std::move(stored.pending);
  for (auto& k : stored.own_update_keys) g.own_update_keys_.insert_or_assign(k.public_key, SecretBytes(k.private_key));
  for (auto& k : stored.external_psks) g.external_psks_.insert_or_assign(k.id, SecretBytes(k.secret));
  for (auto& k : stored.resumption_psks) {
    GCHAT_TRY(std::uint64_t epoch, codec::decode_exact<std::uint64_t>(k.id));
    g.resumption_psks_.insert_or_assign(epoch, SecretBytes(k.secret));
  }
  if (stored.reinit.size() > 1) return fail(Errc::storage_corrupt, "the stored state has two ReInits");
  if (!stored.reinit.empty()) g.reinit_ = stored.reinit.front();
  g.active_ = stored.active;
  return g;
}

}  // namespace gchat::mls
