// Who may change a classified room, on the real relay with real clients: a member who is not an
// admin, running a modified client with a valid certificate, cannot declassify a Secret room,
// remove others, inject keys or bring in someone uncleared — the relay refuses each proposal and
// commit, and no honest client ever commits one; an admin's declassification is shown to every
// member and recorded in the audit log under the admin's name.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include "client_world.hpp"
#include "mls_wire.hpp"
#include "gchat/identity/mls_identity.hpp"

using namespace gchat;
using namespace gchat::testing;
using identity::Clearance;

namespace {

const crypto::CipherSuite& suite() { return default_suite(); }

// Bob's own client: a bare relay connection and an MLS state of his, so that the test can send
// what a modified client would.
struct ModifiedClient {
  std::unique_ptr<net::RelayClient> relay;
  mls::Identity id;
  std::optional<mls::KeyPackageBundle> bundle;
  std::shared_ptr<identity::MemberVerifier> verifier;
  std::optional<mls::Group> group;

  ModifiedClient(ClientWorld& w, const std::string& agency, const TestUser& user) {
    idv1::Chain chain;
    relay = w.raw_device(agency, user, &chain);
    const auto& secret = relay->key().secret_key;
    auto key = identity::SigningKey::from_seed(BytesView(secret.data(), 32));
    REQUIRE(key.ok());
    id = std::move(*identity::mls_identity(chain, *key));
    const auto now = static_cast<std::uint64_t>(std::time(nullptr));
    auto kp = mls::make_key_package(suite(), id, now - 60, now + 30 * 24 * 3600);
    REQUIRE(kp.ok());
    relay::v1::ClientFrame up;
    up.mutable_upload_key_packages()->add_key_packages(encoded(mls::MlsMessage{mls::ProtocolVersion::mls10, kp->key_package}));
    auto uploaded = relay->request(up);
    REQUIRE_MESSAGE(uploaded.has_upload_key_packages_ok(), uploaded.DebugString());
    bundle = std::move(*kp);
    relay::v1::ClientFrame ask;
    ask.mutable_fetch_revocations();
    auto revocations = relay->request(ask);
    REQUIRE_MESSAGE(revocations.has_revocations(), revocations.DebugString());
    verifier = std::make_shared<identity::MemberVerifier>(w.pki.root.public_key(),
                                                          Bytes(revocations.revocations().relay_key().begin(),
                                                                revocations.revocations().relay_key().end()));
  }

  // Joins from the first Welcome delivered.
  void join_from_welcome() {
    for (int i = 0; i < 20 && !group; ++i) {
      for (const auto& d : relay->take_deliveries(1, 10s)) {
        if (d.kind() != relay::v1::WELCOME) continue;
        mls::JoinOptions options;
        options.rules = verifier->rules();
        auto joined = mls::Group::join(suite(), std::get<mls::Welcome>(decoded(d.payload()).body), std::move(*bundle), id,
                                       options);
        REQUIRE_MESSAGE(joined.ok(), joined.error().to_string());
        group = std::move(*joined);
      }
    }
    REQUIRE(group);
  }
  // The honest rules switched off: only certificate chains are checked.
  mls::Group modified() const {
    auto g = mls::Group::deserialize(suite(), group->serialize().view(), id,
                                     mls::GroupRules([v = verifier](const mls::Credential& c, BytesView k,
                                                                    mls::CredentialUse u) {
                                       return v->check_credential(c, k, u);
                                     }));
    REQUIRE(g.ok());
    return std::move(*g);
  }
  relay::v1::ServerFrame send_handshake(const mls::MlsMessage& m) {
    return relay->send_message(std::string(group->group_id().begin(), group->group_id().end()), encoded(m),
                               relay::v1::HANDSHAKE);
  }
  // Reads the room's deliveries until `text` opens (commits and proposals are processed on the way).
  bool reads(const std::string& text) {
    for (int i = 0; i < 20; ++i) {
      auto got = relay->take_deliveries(1, 5s);
      if (got.empty()) return false;
      auto r = group->process(decoded(got[0].payload()));
      if (r.ok() && r->kind == mls::Received::Kind::application &&
          std::string(r->application_data.begin(), r->application_data.end()).find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
};

void refused_by_relay(const relay::v1::ServerFrame& reply, const std::string& what) {
  INFO(what);
  REQUIRE(reply.has_error());
  CHECK(reply.error().code() == relay::v1::POLICY_REJECTED);
}

std::vector<idv1::AuditEntry> audit_entries(const std::string& db_file) {
  std::vector<idv1::AuditEntry> out;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT entry FROM audit_log ORDER BY seq", -1, &st, nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    idv1::AuditEntry e;
    REQUIRE(e.ParseFromArray(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0)));
    out.push_back(e);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

api::Conversation conversation_of(client::Client& c, const std::string& id) {
  api::Request list;
  list.mutable_list_conversations();
  auto convs = c.call(list, kWait);
  for (const auto& conv : convs.conversations().conversations()) {
    if (conv.conversation_id() == id) return conv;
  }
  FAIL("no such conversation");
  return {};
}

}  // namespace

TEST_CASE("a member who is not an admin cannot declassify a Secret room, remove others or admit the uncleared") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::secret);
  auto dan = w.enrol("moi", "dan", Clearance::secret);
  auto carol = w.enrol("moi", "carol", Clearance::confidential);
  ModifiedClient bob(w, "moi", w.person("moi", "bob", Clearance::secret));

  auto created = create(*alice, idv1::GROUP, idv1::SECRET, "ห้องลับมาก", {ref("moi", "bob"), ref("moi", "dan")});
  REQUIRE_MESSAGE(created.has_conversation(), created.DebugString());
  const std::string room = created.conversation().conversation_id();
  REQUIRE(wait_conversation(*dan));
  bob.join_from_welcome();
  REQUIRE(send_text(*alice, room, "ประชุมลับ 09:00").has_message());
  REQUIRE(wait_message(*dan, "ประชุมลับ 09:00"));
  REQUIRE(bob.reads("ประชุมลับ 09:00"));

  // A message that does not open is counted and told, not dropped in silence; the genuine one
  // with the same key still opens afterwards.
  {
    api::Envelope envelope;
    api::Post post;
    post.set_message_id(std::string(16, 'b'));
    post.set_conversation_id(room);
    post.set_sent_at_ms(1);
    post.mutable_text()->set_body("จากบ็อบ");
    envelope.set_post(post.SerializeAsString());
    envelope.set_signature(std::string(64, 's'));  // the MLS signature is what authenticates here
    auto genuine = bob.group->protect(as_bytes(envelope.SerializeAsString()));
    REQUIRE(genuine.ok());
    auto forged = *genuine;
    std::get<mls::PrivateMessage>(forged.body).ciphertext[5] ^= 1;
    REQUIRE(bob.relay->send_message(room, encoded(forged)).has_send_ok());
    auto told = alice->wait_event([](const api::Event& e) { return e.has_problem(); }, kWait);
    REQUIRE_MESSAGE(told, "a message that did not open was dropped silently");
    api::Request status;
    status.mutable_status();
    CHECK(alice->call(status, kWait).status().undecryptable() >= 1);
    REQUIRE(bob.relay->send_message(room, encoded(*genuine)).has_send_ok());
    REQUIRE(wait_message(*alice, "จากบ็อบ"));
  }

  auto rogue = bob.modified();
  const auto dan_leaf = [&] {
    for (mls::LeafIndex i = 0; i < rogue.tree().leaf_count(); ++i) {
      if (i != rogue.own_leaf() && rogue.tree().leaf(i)) return i;  // alice or dan: not bob's to remove
    }
    return mls::LeafIndex{0};
  }();

  // Unclassified, any agency, himself an admin: refused, never stored, never delivered.
  idv1::GroupPolicy lowered = *identity::policy_of(rogue.context().extensions);
  lowered.set_level(idv1::UNCLASSIFIED);
  lowered.clear_allowed_agencies();
  *lowered.add_admins() = ref("moi", "bob");
  std::vector<mls::Extension> extensions = rogue.context().extensions;
  for (auto& e : extensions) {
    if (e.extension_type == identity::kPolicyExtensionType) e = identity::policy_extension(lowered);
  }
  refused_by_relay(bob.send_handshake(*rogue.propose_group_context_extensions(extensions)), "a declassification");
  refused_by_relay(bob.send_handshake(*rogue.propose_remove(dan_leaf)), "removing another member");
  refused_by_relay(bob.send_handshake(*rogue.propose_resumption_psk(rogue.epoch())), "a PSK");
  refused_by_relay(bob.send_handshake(*rogue.propose_reinit(mls::ReInit{Bytes{'x'}, mls::ProtocolVersion::mls10,
                                                                        suite().id(), {}})),
                   "a ReInit");
  {
    auto by_value = bob.modified();
    mls::CommitOptions options;
    options.extensions = extensions;
    auto c = by_value.commit({}, {}, 0, options);
    REQUIRE(c.ok());
    refused_by_relay(bob.send_handshake(c->commit), "a declassification by value in a commit");
  }
  {
    auto by_value = bob.modified();
    auto c = by_value.commit({}, {dan_leaf}, 0);
    REQUIRE(c.ok());
    refused_by_relay(bob.send_handshake(c->commit), "a removal by value in a commit");
  }
  {
    // Carol (Confidential): refused by Bob's honest client, and by the relay from a modified one.
    relay::v1::ClientFrame ask;
    ask.mutable_fetch_user_key_packages()->set_agency_id("moi");
    ask.mutable_fetch_user_key_packages()->set_user_id("carol");
    auto kps = bob.relay->request(ask);
    REQUIRE_MESSAGE(kps.has_user_key_packages(), kps.DebugString());
    REQUIRE(kps.user_key_packages().key_packages_size() >= 1);
    auto kp = decoded(kps.user_key_packages().key_packages(0).key_package());
    const auto& carol_kp = std::get<mls::KeyPackage>(kp.body);
    auto honest = bob.group->commit({carol_kp}, {}, static_cast<std::uint64_t>(std::time(nullptr)));
    REQUIRE_FALSE(honest.ok());
    CHECK(honest.error().code == Errc::clearance_too_low);
    auto by_value = bob.modified();
    auto c = by_value.commit({carol_kp}, {}, static_cast<std::uint64_t>(std::time(nullptr)));
    REQUIRE(c.ok());
    auto reply = bob.send_handshake(c->commit);
    refused_by_relay(reply, "admitting Carol");
    CHECK(reply.error().message().find("clearance_too_low") != std::string::npos);
  }

  // Nothing moved: the room is still Secret for everyone, Bob's state still opens the next message
  // (no commit happened), and Carol was never let in.
  REQUIRE(send_text(*alice, room, "ยังเป็นลับมาก").has_message());
  REQUIRE(wait_message(*dan, "ยังเป็นลับมาก"));
  REQUIRE(bob.reads("ยังเป็นลับมาก"));
  CHECK(conversation_of(*alice, room).level() == idv1::SECRET);
  CHECK(conversation_of(*dan, room).level() == idv1::SECRET);
  CHECK_FALSE(wait_message(*carol, "ยังเป็นลับมาก", 2s));
  api::Request list;
  list.mutable_list_conversations();
  CHECK(carol->call(list, kWait).conversations().conversations_size() == 0);

  // What Bob may do, he can: leaving is committed by a member's client on its own.
  auto leave = bob.group->propose_remove(bob.group->own_leaf());
  REQUIRE(leave.ok());
  auto sent = bob.send_handshake(*leave);
  REQUIRE_MESSAGE(sent.has_send_ok(), sent.DebugString());
  auto left = alice->wait_event(
      [](const api::Event& e) { return e.has_membership() && e.membership().removed_size() == 1; }, kWait);
  REQUIRE_MESSAGE(left, "no client committed Bob's leaving");
  CHECK(left->membership().removed(0).user_id() == "bob");
}

TEST_CASE("an admin's declassification is shown to every member and audited under the admin's name") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::secret);
  auto dan = w.enrol("mof", "dan", Clearance::secret);
  auto created = create(*alice, idv1::GROUP, idv1::SECRET, "ห้องลับมาก", {ref("mof", "dan")});
  REQUIRE_MESSAGE(created.has_conversation(), created.DebugString());
  const std::string room = created.conversation().conversation_id();
  REQUIRE(wait_conversation(*dan));

  api::Request change;
  change.mutable_change_conversation()->set_conversation_id(room);
  change.mutable_change_conversation()->set_level(idv1::UNCLASSIFIED);
  // Dan is no admin: his client refuses.
  auto refused = dan->call(change, kWait);
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == api::NOT_PERMITTED);

  auto done = alice->call(change, kWait);
  REQUIRE_MESSAGE(done.has_conversation(), done.DebugString());
  CHECK(done.conversation().level() == idv1::UNCLASSIFIED);
  auto notice = dan->wait_event([](const api::Event& e) { return e.has_message() && e.message().has_notice(); }, kWait);
  REQUIRE_MESSAGE(notice, "dan was not told of the declassification");
  const auto& pc = notice->message().notice().policy();
  CHECK(pc.declassified());
  CHECK(pc.old_level() == idv1::SECRET);
  CHECK(pc.new_level() == idv1::UNCLASSIFIED);
  CHECK(notice->message().sender().person().user_id() == "alice");
  CHECK(conversation_of(*dan, room).level() == idv1::UNCLASSIFIED);
  // In the history of both, in its place.
  for (auto* c : {alice.get(), dan.get()}) {
    bool found = false;
    const auto messages = history(*c, room);
    for (const auto& m : messages.messages()) found = found || (m.has_notice() && m.notice().policy().declassified());
    CHECK(found);
  }
  bool audited = false;
  for (const auto& e : audit_entries(w.relay.db_file())) {
    if (e.kind() == "group_declassified") {
      audited = true;
      CHECK(e.actor() == "moi/alice");
      CHECK(e.detail().find("level 2 -> 0") != std::string::npos);
    }
  }
  CHECK(audited);
}
