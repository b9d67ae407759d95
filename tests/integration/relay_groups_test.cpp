// Classified groups on the real relay in certificate mode, with real MLS clients in this process:
// the relay takes membership from the verified group state, refuses a commit that admits someone
// below the group's level even when a modified client sends it, and when an administrator lowers
// a member's clearance it cuts the member off and proposes the removal, which a member commits.
#include "relay_groups.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <ctime>
#include <map>

#include "gchat/identity/mls_identity.hpp"
#include "mls_wire.hpp"
#include "relay_client.hpp"
#include "relay_process.hpp"
#include "test_pki.hpp"

using namespace gchat;
using namespace gchat::testing;
namespace v1 = gchat::identity::v1;
using identity::Clearance;

namespace {

constexpr std::uint64_t kNow = 0;
const std::string kGroupId = "secret-room";

const crypto::CipherSuite& suite() { return default_suite(); }

struct Member {
  TestUser user;
  TestDevice device;
  mls::Identity id;
  std::unique_ptr<RelayClient> client;
  std::optional<mls::Group> group;
};

struct World {
  TestPki pki;
  TestAgency moi = pki.agency("moi");
  TestAdmin admin = pki.admin(moi, "admin1");
  RelayProcess relay{RelayOptions{true, "closed", {"--root-key", to_hex(pki.root.public_key())}}};
  Bytes relay_key;
  std::shared_ptr<identity::MemberVerifier> verifier;
  std::map<std::string, Member> people;

  Member& join_relay(const std::string& name, Clearance level) {
    Member m{pki.user(admin, name, level), {}, {}, nullptr, std::nullopt};
    m.device = pki.device(admin, m.user);
    m.id = std::move(*identity::mls_identity(m.device.chain, m.device.key));
    m.client = RelayClient::connect(relay.port(), relay.ca_file());
    DeviceKey k;
    k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
    k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
    crypto_sign_seed_keypair(k.public_key.data(), k.secret_key.data(), m.device.key.seed().data());
    m.client->set_key(k);
    m.client->set_chain(m.device.chain_bytes());
    auto ok = m.client->authenticate();
    REQUIRE(ok.has_auth_ok());
    if (relay_key.empty()) {
      relay_key = to_bytes(ok.auth_ok().relay_key());
      verifier = std::make_shared<identity::MemberVerifier>(pki.root.public_key(), relay_key);
    }
    return people.insert_or_assign(name, std::move(m)).first->second;
  }
  static Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

  // The administrator's act, signed now, on a connection of its own.
  pb::ServerFrame submit(v1::AdminAct act) {
    act.set_issued_at(static_cast<std::int64_t>(std::time(nullptr)));
    act.set_nonce(++nonce);
    pb::ClientFrame f;
    *f.mutable_submit_admin_act()->mutable_admin() = admin.chain;
    *f.mutable_submit_admin_act()->mutable_act() = identity::make_signed(identity::SignedKind::admin_act, act, admin.key);
    return RelayClient::connect(relay.port(), relay.ca_file())->request(f);
  }
  std::uint64_t nonce = 0;

  // Alice creates the Secret group on the relay and adds Bob; both end in the same epoch.
  void secret_group_with_bob() {
    auto& alice = people.at("alice");
    alice.group = create_group_on_relay(*alice.client, kGroupId, alice.id, *verifier, relay_key, v1::SECRET,
                                        "moi", "alice");

    auto& bob = people.at("bob");
    auto bundle = mls::make_key_package(suite(), bob.id, 0, mls::kMaxKeyPackageLifetime);
    REQUIRE(bundle.ok());
    auto out = alice.group->commit({bundle->key_package}, {}, kNow);
    REQUIRE(out.ok());
    auto sent = alice.client->send_message(kGroupId, encoded(out->commit), pb::HANDSHAKE);
    REQUIRE_MESSAGE(sent.has_send_ok(), sent.DebugString());
    REQUIRE(alice.client->send_message(kGroupId, encoded(*out->welcome), pb::WELCOME).has_send_ok());

    // Bob's device is a member from the commit on: the Welcome is the first thing it receives.
    auto got = bob.client->take_deliveries(1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].kind() == pb::WELCOME);
    mls::JoinOptions options;
    options.rules = verifier->rules();
    auto joined = mls::Group::join(suite(), std::get<mls::Welcome>(decoded(got[0].payload()).body), std::move(*bundle),
                                   bob.id, options);
    REQUIRE_MESSAGE(joined.ok(), joined.error().to_string());
    bob.group = std::move(*joined);
    CHECK(equal_ct(bob.group->epoch_authenticator(), alice.group->epoch_authenticator()));
    alice.client->take_deliveries(2);  // her own commit and Welcome come back to her
  }
};

}  // namespace

TEST_CASE("a Confidential user cannot join a Secret group: the client refuses, and the relay refuses a modified client") {
  World w;
  w.join_relay("alice", Clearance::secret);
  w.join_relay("bob", Clearance::secret);
  auto& carol = w.join_relay("carol", Clearance::confidential);
  w.secret_group_with_bob();
  auto& alice = w.people.at("alice");

  auto carol_kp = mls::make_key_package(suite(), carol.id, 0, mls::kMaxKeyPackageLifetime);
  REQUIRE(carol_kp.ok());
  auto refused = alice.group->commit({carol_kp->key_package}, {}, kNow);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::clearance_too_low);

  // A modified client with no policy check sends the commit anyway.
  auto rogue = mls::Group::deserialize(
      suite(), alice.group->serialize().view(), alice.id,
      mls::GroupRules([v = w.verifier](const mls::Credential& c, BytesView k, mls::CredentialUse u) {
        return v->check_credential(c, k, u);
      }));
  REQUIRE(rogue.ok());
  auto bad = rogue->commit({carol_kp->key_package}, {}, kNow);
  REQUIRE(bad.ok());
  auto r = alice.client->send_message(kGroupId, encoded(bad->commit), pb::HANDSHAKE);
  REQUIRE(r.has_error());
  CHECK(r.error().code() == pb::POLICY_REJECTED);
  CHECK(r.error().message().find("clearance_too_low") != std::string::npos);

  // Carol is not a member (even replaying a member's well-formed message); the group goes on in
  // the epoch the relay accepted.
  auto hello = alice.group->protect(as_bytes("still just us"));
  REQUIRE(hello.ok());
  auto carol_send = carol.client->send_message(kGroupId, encoded(*hello), pb::APPLICATION);
  REQUIRE(carol_send.has_error());
  CHECK(carol_send.error().code() == pb::NOT_A_MEMBER);
  auto garbage = carol.client->send_message(kGroupId, "hello", pb::APPLICATION);
  REQUIRE(garbage.has_error());
  CHECK(garbage.error().code() == pb::INVALID_ARGUMENT);
  REQUIRE(alice.client->send_message(kGroupId, encoded(*hello)).has_send_ok());
  auto got = w.people.at("bob").client->take_deliveries(1);
  REQUIRE(got.size() == 1);
  auto opened = w.people.at("bob").group->process(decoded(got[0].payload()));
  REQUIRE(opened.ok());
  CHECK(std::string(opened->application_data.begin(), opened->application_data.end()) == "still just us");
}

TEST_CASE("the relay refuses forged and out-of-date handshakes, and membership requests that bypass MLS") {
  World w;
  w.join_relay("alice", Clearance::secret);
  w.join_relay("bob", Clearance::secret);
  w.secret_group_with_bob();
  auto& alice = w.people.at("alice");
  auto& bob = w.people.at("bob");

  // Bob replays Alice's first commit: it is for an old epoch and from another member's leaf.
  auto update = alice.group->commit({}, {}, kNow);
  REQUIRE(update.ok());
  auto from_bob = bob.client->send_message(kGroupId, encoded(update->commit), pb::HANDSHAKE);
  REQUIRE(from_bob.has_error());
  CHECK(from_bob.error().code() == pb::FORBIDDEN);
  auto forged = update->commit;
  std::get<mls::PublicMessage>(forged.body).auth.signature[3] ^= 0x40;
  auto bad_sig = alice.client->send_message(kGroupId, encoded(forged), pb::HANDSHAKE);
  REQUIRE(bad_sig.has_error());
  CHECK(bad_sig.error().code() == pb::INVALID_HANDSHAKE);
  REQUIRE(alice.client->send_message(kGroupId, encoded(update->commit), pb::HANDSHAKE).has_send_ok());
  auto replay = alice.client->send_message(kGroupId, encoded(update->commit), pb::HANDSHAKE);
  REQUIRE(replay.has_error());
  CHECK(replay.error().code() == pb::INVALID_HANDSHAKE);

  // A commit or Welcome passed off as an application message is refused before it is stored.
  auto next = alice.group->commit({}, {}, kNow);
  REQUIRE(next.ok());
  auto smuggled = alice.client->send_message(kGroupId, encoded(next->commit), pb::APPLICATION);
  REQUIRE(smuggled.has_error());
  CHECK(smuggled.error().code() == pb::INVALID_ARGUMENT);
  auto not_welcome = alice.client->send_message(kGroupId, encoded(next->commit), pb::WELCOME);
  REQUIRE(not_welcome.has_error());
  CHECK(not_welcome.error().code() == pb::INVALID_ARGUMENT);

  pb::ClientFrame add;
  add.mutable_add_members()->set_group_id(kGroupId);
  add.mutable_add_members()->add_member_keys(std::string(32, 'x'));
  auto bypass = alice.client->request(add);
  REQUIRE(bypass.has_error());
  CHECK(bypass.error().code() == pb::FORBIDDEN);
}

TEST_CASE("lowering a clearance removes the member within one commit, and they read nothing sent after") {
  World w;
  w.join_relay("alice", Clearance::secret);
  w.join_relay("bob", Clearance::secret);
  w.secret_group_with_bob();
  auto& alice = w.people.at("alice");
  auto& bob = w.people.at("bob");

  // The clearance officer renews Bob's certificate at Confidential.
  auto lowered = w.pki.user_body(w.admin, "bob", Clearance::confidential);
  lowered.body.set_identity_key(bob.user.body.identity_key());
  lowered.body.set_name_th(bob.user.body.name_th());
  lowered.body.set_name_en(bob.user.body.name_en());
  lowered.cert = identity::make_signed(identity::SignedKind::user_certificate, lowered.body, w.admin.key);
  v1::AdminAct act;
  *act.mutable_set_clearance() = lowered.cert;
  auto ok = w.submit(act);
  REQUIRE_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());
  CHECK(ok.admin_act_ok().revocation_list_number() == 1);  // Bob's Secret certificate is revoked

  // The relay, as the group's external sender, proposes Bob's removal; Alice's client commits it.
  auto proposal = alice.client->take_deliveries(1);
  REQUIRE(proposal.size() == 1);
  CHECK(proposal[0].kind() == pb::HANDSHAKE);
  CHECK(proposal[0].sender_key() == to_str(w.relay_key));
  auto seen = alice.group->process(decoded(proposal[0].payload()));
  REQUIRE_MESSAGE(seen.ok(), seen.error().to_string());
  CHECK(seen->sender_type == mls::SenderType::external);
  auto commit = alice.group->commit({}, {}, kNow);
  REQUIRE(commit.ok());
  REQUIRE(alice.group->members().size() == 1);
  auto sent = alice.client->send_message(kGroupId, encoded(commit->commit), pb::HANDSHAKE);
  REQUIRE_MESSAGE(sent.has_send_ok(), sent.DebugString());

  auto after = alice.group->protect(as_bytes("after Bob's removal"));
  REQUIRE(after.ok());
  REQUIRE(alice.client->send_message(kGroupId, encoded(*after)).has_send_ok());

  // Bob's device received at most the proposal: not the commit, not the message.
  bob.client->pump(std::chrono::milliseconds(300));
  while (bob.client->deliveries_waiting() > 0) {
    auto d = bob.client->take_deliveries(1);
    CHECK(d[0].kind() == pb::HANDSHAKE);
    CHECK(d[0].sender_key() == to_str(w.relay_key));
  }
  // Even holding the ciphertext, Bob's group state cannot open it.
  CHECK_FALSE(bob.group->process(*after).ok());
  // And his old chain no longer authenticates.
  auto again = RelayClient::connect(w.relay.port(), w.relay.ca_file());
  again->set_key(bob.client->key());
  again->set_chain(bob.device.chain_bytes());
  auto refused = again->authenticate();
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == pb::REVOKED);
}

TEST_CASE("revoking a member's device cuts it off and proposes its removal from the group") {
  World w;
  w.join_relay("alice", Clearance::secret);
  w.join_relay("bob", Clearance::secret);
  w.secret_group_with_bob();
  auto& alice = w.people.at("alice");
  auto& bob = w.people.at("bob");

  v1::AdminAct act;
  act.set_revoke_device(bob.device.body.device_key());
  auto ok = w.submit(act);
  REQUIRE_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());

  auto proposal = alice.client->take_deliveries(1);
  REQUIRE(proposal.size() == 1);
  CHECK(proposal[0].sender_key() == to_str(w.relay_key));
  REQUIRE(alice.group->process(decoded(proposal[0].payload())).ok());
  auto commit = alice.group->commit({}, {}, kNow);
  REQUIRE(commit.ok());
  CHECK(alice.group->members().size() == 1);
  auto sent = alice.client->send_message(kGroupId, encoded(commit->commit), pb::HANDSHAKE);
  REQUIRE_MESSAGE(sent.has_send_ok(), sent.DebugString());
  CHECK(bob.client->wait_closed());
}

TEST_CASE("key packages of a person's devices: bounded names, the asking device left out, revoked devices left out") {
  World w;
  auto& alice = w.join_relay("alice", Clearance::secret);
  auto& bob = w.join_relay("bob", Clearance::secret);
  auto upload = [&](Member& m) {
    auto kp = mls::make_key_package(suite(), m.id, 0, mls::kMaxKeyPackageLifetime);
    REQUIRE(kp.ok());
    mls::MlsMessage msg;
    msg.body = kp->key_package;
    pb::ClientFrame f;
    f.mutable_upload_key_packages()->add_key_packages(encoded(msg));
    REQUIRE(m.client->request(f).has_upload_key_packages_ok());
  };
  upload(alice);
  upload(bob);
  auto fetch = [&](Member& who, const std::string& agency, const std::string& user) {
    pb::ClientFrame f;
    f.mutable_fetch_user_key_packages()->set_agency_id(agency);
    f.mutable_fetch_user_key_packages()->set_user_id(user);
    return who.client->request(f);
  };
  auto bobs = fetch(alice, "moi", "bob");
  REQUIRE_MESSAGE(bobs.has_user_key_packages(), bobs.DebugString());
  REQUIRE(bobs.user_key_packages().key_packages_size() == 1);
  CHECK(bobs.user_key_packages().key_packages(0).device_key() == to_str(bob.device.key.public_key()));
  // One-time packages are consumed: none left for a second fetch.
  CHECK(fetch(alice, "moi", "bob").user_key_packages().key_packages_size() == 0);
  // Asking for one's own person leaves out the asking device.
  CHECK(fetch(alice, "moi", "alice").user_key_packages().key_packages_size() == 0);
  CHECK(fetch(alice, "moi", "nobody").user_key_packages().key_packages_size() == 0);
  for (const auto& [agency, user] : std::vector<std::pair<std::string, std::string>>{
           {"", "bob"}, {"moi", ""}, {std::string(65, 'a'), "bob"}, {"moi", std::string(65, 'u')}}) {
    auto bad = fetch(alice, agency, user);
    REQUIRE(bad.has_error());
    CHECK(bad.error().code() == pb::INVALID_ARGUMENT);
  }
}
