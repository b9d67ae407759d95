// gchat-mls-bench [--warm] [--tree-apart] [N ...]: for each group size N (default 10 100 1000
// 10000), builds a group of N members and times, on one thread: creating and processing an add, a remove and an
// update commit, joining by Welcome, and protecting and opening application messages; prints a
// Markdown table with the byte sizes of the commit, Welcome and ratchet tree. A benchmark, not a
// test: timings vary from run to run.
//
// Fresh: one commit adds N-1 key packages, so every parent node but the creator's path is blank
// (the worst case for the next commits). Warm (--warm): the steady state of a group whose members
// have all committed, every parent node filled. Building that with N real members committing in
// turn costs O(N²) work, so the warm tree is assembled here directly from the public tree API:
// every other leaf's path is merged with fresh keys and signed leaves, exactly as processing their
// commits would leave it; then the member at leaf 1 joins by a Welcome that this tool seals with
// the path secret of leaf 0's last commit, and validates the whole tree like any joiner.
//
// --tree-apart: the add's Welcome leaves the ratchet tree out (CommitOptions), and the joiner is
// given the tree as the relay would serve it.
//
// --gchat: every member carries a G-Chat certificate chain (one agency, one administrator, a user
// certificate and a device certificate per member) and every group checks credentials and the
// group policy; the joiner starts with an empty chain cache, so its join verifies every member's
// chain.
#include <sodium.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "gchat/crypto/hpke.hpp"
#include "gchat/identity/mls_identity.hpp"
#include "gchat/mls/group.hpp"

using namespace gchat;
using namespace gchat::mls;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kNow = 1'800'000'000;
const Bytes kGroupId{'b', 'e', 'n', 'c', 'h'};

const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }

// --gchat: a government PKI for the benchmark's members.
struct Pki {
  bool on = false;
  identity::SigningKey root = identity::SigningKey::generate();
  identity::SigningKey agency_key = identity::SigningKey::generate();
  identity::SigningKey admin_key = identity::SigningKey::generate();
  identity::v1::Signed agency, admin;
  std::int64_t from = 0, to = 0;

  void start() {
    on = true;
    from = static_cast<std::int64_t>(std::time(nullptr)) - 3600;
    to = from + 30 * 24 * 3600;
    identity::v1::AgencyCertificate a;
    a.set_serial(1);
    a.set_agency_id("bench");
    a.set_name_th("หน่วยทดสอบ");
    a.set_name_en("Benchmark agency");
    a.set_agency_key(std::string(agency_key.public_key().begin(), agency_key.public_key().end()));
    a.set_max_clearance(identity::v1::TOP_SECRET);
    validity(a.mutable_validity());
    agency = identity::make_signed(identity::SignedKind::agency_certificate, a, root);
    identity::v1::AdminCertificate ad;
    ad.set_serial(2);
    ad.set_admin_id("admin");
    ad.set_agency_id("bench");
    ad.set_name_th("ผู้ดูแล");
    ad.set_name_en("Administrator");
    ad.set_admin_key(std::string(admin_key.public_key().begin(), admin_key.public_key().end()));
    ad.add_roles(identity::v1::USER_ADMIN);
    ad.add_roles(identity::v1::CLEARANCE_OFFICER);
    validity(ad.mutable_validity());
    admin = identity::make_signed(identity::SignedKind::admin_certificate, ad, agency_key);
  }
  void validity(identity::v1::Validity* v) const {
    v->set_not_before(from);
    v->set_not_after(to);
  }
  Identity member(std::size_t n) const {
    const auto user_key = identity::SigningKey::generate();
    const auto device_key = identity::SigningKey::generate();
    identity::v1::UserCertificate u;
    u.set_serial(100 + n);
    u.set_user_id("u" + std::to_string(n));
    u.set_agency_id("bench");
    u.set_name_th("ผู้ใช้");
    u.set_name_en("User " + std::to_string(n));
    u.set_identity_key(std::string(user_key.public_key().begin(), user_key.public_key().end()));
    u.set_clearance(identity::v1::SECRET);
    validity(u.mutable_validity());
    u.set_admin_id("admin");
    identity::v1::DeviceCertificate d;
    d.set_serial(1);
    d.set_user_id(u.user_id());
    d.set_agency_id("bench");
    d.set_device_key(std::string(device_key.public_key().begin(), device_key.public_key().end()));
    validity(d.mutable_validity());
    identity::v1::Chain chain;
    *chain.mutable_agency() = agency;
    *chain.mutable_admin() = admin;
    *chain.mutable_user() = identity::make_signed(identity::SignedKind::user_certificate, u, admin_key);
    *chain.mutable_device() = identity::make_signed(identity::SignedKind::device_certificate, d, user_key);
    auto id = identity::mls_identity(chain, device_key);
    if (!id.ok()) std::exit(1);
    return std::move(*id);
  }
  // A fresh verifier (empty cache) per member.
  GroupRules rules() const {
    if (!on) return {};
    return std::make_shared<identity::MemberVerifier>(root.public_key(), Bytes{})->rules();
  }
  std::vector<Extension> extensions() const {
    if (!on) return {};
    identity::v1::GroupPolicy policy;
    policy.set_kind(identity::v1::GROUP);
    policy.set_level(identity::v1::SECRET);
    return identity::group_extensions(policy);
  }
};
Pki pki;

Identity identity(std::size_t n) {
  if (pki.on) return pki.member(n);
  Identity id;
  const std::string name = "member-" + std::to_string(n);
  id.credential.identity.assign(name.begin(), name.end());
  id.signature = suite().generate_signature_key();
  return id;
}

JoinOptions join_options() {
  JoinOptions o;
  o.rules = pki.rules();
  return o;
}

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "gchat-mls-bench: %s: %s\n", what, r.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*r);
}
void must(Status s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "gchat-mls-bench: %s: %s\n", what, s.error().to_string().c_str());
    std::exit(1);
  }
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

Bytes random_bytes(std::size_t n) {
  Bytes b(n);
  randombytes_buf(b.data(), b.size());
  return b;
}

struct Row {
  std::size_t n;
  double add_create, add_process, remove_create, remove_process, update_create, update_process, join;
  double protect_per_s, open_per_s;
  std::size_t commit_bytes, welcome_bytes, tree_bytes;
};

// Two members of the same group and epoch: alice commits, bob processes.
struct Members {
  Group alice, bob;
};

Members build_fresh(std::size_t n, const std::vector<Identity>& ids) {
  auto alice = must(Group::create(suite(), kGroupId, ids[0], pki.rules(), pki.extensions()), "create");
  std::vector<KeyPackage> kps;
  std::optional<KeyPackageBundle> bob_bundle;
  for (std::size_t i = 1; i < n; ++i) {
    auto b = must(make_key_package(suite(), ids[i], kNow - 10, kNow + 100000), "key package");
    kps.push_back(b.key_package);
    if (i == 1) bob_bundle = std::move(b);
  }
  auto setup = must(alice.commit(kps, {}, kNow), "setup commit");
  auto bob = must(Group::join(suite(), std::get<Welcome>(setup.welcome->body), std::move(*bob_bundle), ids[1],
                              join_options()),
                  "join");
  return {std::move(alice), std::move(bob)};
}

Members build_warm(std::size_t n, const std::vector<Identity>& ids) {
  const auto& s = suite();
  RatchetTree tree(s);
  std::optional<KeyPackageBundle> alice_bundle;
  for (std::size_t i = 0; i < n; ++i) {
    auto b = must(make_key_package(s, ids[i], kNow - 10, kNow + 100000), "key package");
    tree.add_leaf(b.key_package.leaf_node);
    if (i == 1) alice_bundle = std::move(b);
  }
  // Every even leaf but 0 commits: fresh keys on its filtered direct path, a signed commit leaf.
  for (LeafIndex j = 2; j < n; j += 2) {
    std::vector<Bytes> keys;
    for (std::size_t k = 0; k < tree.filtered_direct_path(j).size(); ++k) keys.push_back(s.hpke().generate_key_pair().public_key);
    const Bytes parent_hash = must(tree.apply_path(j, keys), "apply path");
    LeafNode leaf = *tree.leaf(j);
    leaf.encryption_key = s.hpke().generate_key_pair().public_key;
    leaf.leaf_node_source = LeafNodeSource::commit;
    leaf.parent_hash = parent_hash;
    leaf.signature = must(sign_leaf_node(s, leaf, ids[j].signature.private_key, kGroupId, j), "sign leaf");
    must(tree.set_leaf(j, std::move(leaf)), "set leaf");
  }
  // Leaf 0 commits last: its path covers all of leaf 1's direct path, so leaf 1 learns every key
  // it needs from one path secret.
  GroupContext context;
  context.cipher_suite = s.id();
  context.group_id = kGroupId;
  context.epoch = 7;
  context.extensions = pki.extensions();
  TreeKemPrivate own;
  const auto created = must(create_update_path(s, tree, 0, ids[0].signature.private_key, context, {}, own), "path");
  context.confirmed_transcript_hash = random_bytes(s.hash_length());

  const Bytes joiner_secret = random_bytes(s.hash_length());
  const SecretBytes psk = must(psk_secret(s, {}), "psk");
  const auto secrets = must(derive_epoch_from_joiner(s, joiner_secret, psk, codec::encode(context)), "epoch");
  GroupInfo info;
  info.group_context = context;
  info.extensions.push_back(Extension{extension_type::ratchet_tree, tree.encode()});
  info.confirmation_tag = confirmation_tag(s, secrets.confirmation_key, context.confirmed_transcript_hash);
  info.signer = 0;
  must(sign_group_info(s, info, ids[0].signature.private_key), "sign group info");
  Welcome welcome;
  welcome.cipher_suite = s.id();
  const auto ws = must(welcome_secret(s, joiner_secret, psk), "welcome secret");
  welcome.encrypted_group_info = must(seal_group_info(s, info, ws), "seal group info");
  GroupSecrets gs;
  gs.joiner_secret = joiner_secret;
  const auto& first_step = created.path_secrets.front();  // node 1, above leaves 0 and 1
  gs.path_secret = PathSecret{Bytes(first_step.path_secret.view().begin(), first_step.path_secret.view().end())};
  welcome.secrets.push_back(must(seal_group_secrets(s, alice_bundle->key_package, gs, welcome.encrypted_group_info),
                                 "seal group secrets"));
  auto alice = must(Group::join(s, welcome, std::move(*alice_bundle), ids[1], join_options()), "alice joins the warm tree");

  // Bob comes in the ordinary way, by a commit and a Welcome from alice.
  auto bob_bundle = must(make_key_package(s, ids[n], kNow - 10, kNow + 100000), "key package");
  auto add = must(alice.commit({bob_bundle.key_package}, {}, kNow), "add bob");
  auto bob = must(Group::join(s, std::get<Welcome>(add.welcome->body), std::move(bob_bundle), ids[n], join_options()),
                  "bob joins");
  return {std::move(alice), std::move(bob)};
}

Row measure(std::size_t n, bool warm, bool tree_apart) {
  Row row{};
  row.n = n;
  std::vector<Identity> ids;
  ids.reserve(n + 2);
  for (std::size_t i = 0; i < n + 2; ++i) ids.push_back(identity(i));
  auto [alice, bob] = warm ? build_warm(n, ids) : build_fresh(n, ids);
  row.tree_bytes = alice.tree().encode().size();

  // Add one, and time its join (the whole tree validated: one signature per leaf).
  auto extra = must(make_key_package(suite(), ids[n + 1], kNow - 10, kNow + 100000), "key package");
  auto t = Clock::now();
  CommitOptions commit_options;
  commit_options.ratchet_tree_in_welcome = !tree_apart;
  auto add = must(alice.commit({extra.key_package}, {}, kNow, commit_options), "add commit");
  row.add_create = ms_since(t);
  JoinOptions carol_options = join_options();
  if (tree_apart) carol_options.ratchet_tree = alice.tree().encode();  // as the relay would serve it
  t = Clock::now();
  const auto carol =
      must(Group::join(suite(), std::get<Welcome>(add.welcome->body), std::move(extra), ids[n + 1], carol_options), "join");
  row.join = ms_since(t);
  if (carol.epoch() != alice.epoch()) std::exit(1);
  row.commit_bytes = codec::encode(add.commit).size();
  row.welcome_bytes = codec::encode(*add.welcome).size();
  t = Clock::now();
  must(bob.process(add.commit), "process add");
  row.add_process = ms_since(t);

  // Remove the one just added.
  t = Clock::now();
  auto rm = must(alice.commit({}, {carol.own_leaf()}, kNow), "remove commit");
  row.remove_create = ms_since(t);
  t = Clock::now();
  must(bob.process(rm.commit), "process remove");
  row.remove_process = ms_since(t);

  // Update (empty commit with a path).
  t = Clock::now();
  auto up = must(alice.commit({}, {}, kNow), "update commit");
  row.update_create = ms_since(t);
  t = Clock::now();
  must(bob.process(up.commit), "process update");
  row.update_process = ms_since(t);

  // Application messages: alice protects, bob opens (each open verifies one signature).
  constexpr int kMessages = 2000;
  std::vector<MlsMessage> msgs;
  msgs.reserve(kMessages);
  const Bytes text(200, 'x');
  t = Clock::now();
  for (int i = 0; i < kMessages; ++i) msgs.push_back(must(alice.protect(text), "protect"));
  row.protect_per_s = kMessages / (ms_since(t) / 1000.0);
  t = Clock::now();
  for (const auto& m : msgs) must(bob.process(m), "open");
  row.open_per_s = kMessages / (ms_since(t) / 1000.0);
  if (Bytes(alice.epoch_authenticator().begin(), alice.epoch_authenticator().end()) !=
      Bytes(bob.epoch_authenticator().begin(), bob.epoch_authenticator().end())) {
    std::fprintf(stderr, "gchat-mls-bench: members disagree\n");
    std::exit(1);
  }
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  bool warm = false, tree_apart = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--warm") {
      warm = true;
      continue;
    }
    if (std::string(argv[i]) == "--gchat") {
      pki.start();
      continue;
    }
    if (std::string(argv[i]) == "--tree-apart") {
      tree_apart = true;
      continue;
    }
    const long v = std::strtol(argv[i], nullptr, 10);
    if (v < 2 || v > 100000) {
      std::fprintf(stderr, "usage: gchat-mls-bench [--warm] [--tree-apart] [--gchat] [N ...]  (2 <= N <= 100000)\n");
      return 2;
    }
    sizes.push_back(static_cast<std::size_t>(v));
  }
  if (sizes.empty()) sizes = {10, 100, 1000, 10000};
  std::printf("| N | add: create | add: process | remove: create | remove: process | update: create | "
              "update: process | join (Welcome) | protect/s | open/s | commit B | Welcome B | tree B |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (auto n : sizes) {
    const Row r = measure(n, warm, tree_apart);
    std::printf("| %zu | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.1f ms | %.0f | %.0f | %zu | %zu | %zu |\n",
                r.n, r.add_create, r.add_process, r.remove_create, r.remove_process, r.update_create, r.update_process,
                r.join, r.protect_per_s, r.open_per_s, r.commit_bytes, r.welcome_bytes, r.tree_bytes);
    std::fflush(stdout);
  }
  return 0;
}
