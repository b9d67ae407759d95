#pragma once
// Real G-Chat clients (gchat::client::Client, each with its own thread and encrypted store) on the
// real relay in certificate mode, with people certified by a throw-away government PKI. A device
// is enrolled through the client API's own linking path: the client makes its device key, the test
// PKI certifies it with the person's identity key, the client checks and keeps the chain.
#include <doctest/doctest.h>

#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gchat/client/client.hpp"
#include "gchat/identity/certificate.hpp"
#include "gchat/identity/enrolment.hpp"
#include "relay_client.hpp"
#include "relay_process.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

namespace gchat::testing {

namespace api = ::gchat::client::v1;
namespace idv1 = ::gchat::identity::v1;
using namespace std::chrono_literals;

inline constexpr auto kWait = 60s;  // generous: sanitizers and a shared 2-core machine

struct ClientWorld {
  TestPki pki;
  std::map<std::string, TestAgency> agencies;
  std::map<std::string, TestAdmin> admins;
  std::map<std::string, TestUser> users;
  RelayProcess relay{RelayOptions{true, "closed", {"--root-key", to_hex(pki.root.public_key())}}};
  TempDir dir;

  ClientWorld() {
    for (const char* a : {"moi", "mof", "mod"}) {
      agencies.emplace(a, pki.agency(a));
      admins.emplace(a, pki.admin(agencies.at(a), std::string("admin-") + a));
    }
  }

  TestUser& person(const std::string& agency, const std::string& user_id, identity::Clearance level,
                   std::initializer_list<idv1::Right> rights = {}) {
    auto it = users.find(user_id);
    if (it != users.end()) return it->second;
    return users.emplace(user_id, pki.user(admins.at(agency), user_id, level, rights)).first->second;
  }

  api::Config config(const std::string& device, std::vector<std::string> endpoints = {}) const {
    api::Config c;
    c.set_data_dir(dir.file(device.c_str()));
    if (endpoints.empty()) endpoints.push_back("127.0.0.1:" + std::to_string(relay.port()));
    for (auto& e : endpoints) c.add_endpoints(e);
    c.set_ca_file(relay.ca_file());
    c.set_root_key(std::string(pki.root.public_key().begin(), pki.root.public_key().end()));
    c.set_device_name(device);
    c.set_kdf("interactive");
    c.set_reconnect_min_ms(100);
    c.set_reconnect_max_ms(1000);
    return c;
  }

  static api::Request open_request() {
    api::Request r;
    r.mutable_open()->set_passphrase("รหัสผ่านทดสอบ test passphrase");
    return r;
  }

  // A client on `device`'s store, opened (and, when enrolled, connected).
  std::unique_ptr<client::Client> start(const std::string& device, std::vector<std::string> endpoints = {}) {
    auto c = std::make_unique<client::Client>(config(device, std::move(endpoints)));
    auto opened = c->call(open_request(), kWait);
    REQUIRE_MESSAGE(opened.has_opened(), opened.DebugString());
    return c;
  }

  // The device's chain for a key the client made, signed with the person's identity key.
  api::Response link(client::Client& c, const TestUser& user, const std::string& agency, const std::string& device) {
    api::Request ask;
    ask.mutable_request_link();
    auto asked = c.call(ask, kWait);
    REQUIRE_MESSAGE(asked.has_link_requested(), asked.DebugString());
    const idv1::Chain chain = pki.chain_for(admins.at(agency), user, asked.link_requested().device_key(), device);
    api::LinkToken token;
    *token.mutable_chain() = chain.SerializeAsString();
    api::Request complete;
    complete.mutable_complete_link()->set_token(token.SerializeAsString());
    return c.call(complete, kWait);
  }

  // A new person's first device, enrolled and connected.
  std::unique_ptr<client::Client> enrol(const std::string& agency, const std::string& user_id, identity::Clearance level,
                                        const std::string& device = "", std::initializer_list<idv1::Right> rights = {}) {
    const std::string name = device.empty() ? user_id + "-laptop" : device;
    auto c = start(name);
    auto done = link(*c, person(agency, user_id, level, rights), agency, name);
    REQUIRE_MESSAGE(done.has_enrolled(), done.DebugString());
    wait_connected(*c);
    return c;
  }

  // A bare relay connection authenticated as a new device of `user`, for requests a client would
  // never send.
  std::unique_ptr<net::RelayClient> raw_device(const std::string& agency, const TestUser& user,
                                               idv1::Chain* chain_out = nullptr) {
    auto c = net::RelayClient::connect(relay.port(), relay.ca_file());
    auto key = net::DeviceKey::generate();
    const auto chain = pki.chain_for(admins.at(agency), user, std::string(key.public_key.begin(), key.public_key.end()),
                                     "raw");
    const std::string bytes = chain.SerializeAsString();
    c->set_key(std::move(key));
    c->set_chain(Bytes(bytes.begin(), bytes.end()));
    auto ok = c->authenticate();
    REQUIRE_MESSAGE(ok.has_auth_ok(), ok.DebugString());
    if (chain_out) *chain_out = chain;
    return c;
  }

  // The administrator's act, signed now, on a connection of its own.
  relay::v1::ServerFrame submit(const std::string& agency, idv1::AdminAct act) {
    return submit(admins.at(agency), std::move(act));
  }
  // ... signed by any administrator (another role, another agency, the issuing service).
  relay::v1::ServerFrame submit(const TestAdmin& admin, idv1::AdminAct act) {
    act.set_issued_at(static_cast<std::int64_t>(std::time(nullptr)));
    act.set_nonce(++nonce);
    relay::v1::ClientFrame f;
    *f.mutable_submit_admin_act()->mutable_admin() = admin.chain;
    *f.mutable_submit_admin_act()->mutable_act() = identity::make_signed(identity::SignedKind::admin_act, act, admin.key);
    return net::RelayClient::connect(relay.port(), relay.ca_file())->request(f);
  }
  std::uint64_t nonce = 0;

  // The agency's clearance officer renews the person's certificate at another level (same identity
  // key); the relay applies it (lowering removes them from what is above the new level).
  void set_clearance(const std::string& agency, const std::string& user_id, identity::Clearance level) {
    auto& old = users.at(user_id);
    auto renewed = pki.user_body(admins.at(agency), user_id, level);
    renewed.body.set_identity_key(old.body.identity_key());
    renewed.cert = identity::make_signed(identity::SignedKind::user_certificate, renewed.body, admins.at(agency).key);
    idv1::AdminAct act;
    *act.mutable_set_clearance() = renewed.cert;
    auto ok = submit(agency, act);
    REQUIRE_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());
  }

  // The real enrolment: the administrator grants a code, the person types it into the client, the
  // administrator signs the certificate for the key the client made; the client collects it. This
  // device then holds the person's identity key (it can link further devices).
  std::unique_ptr<client::Client> enrol_by_code(const std::string& agency, const std::string& user_id,
                                                identity::Clearance level, const std::string& device) {
    const std::string code = identity::new_enrolment_code();
    idv1::AdminAct grant;
    auto* g = grant.mutable_grant_enrolment();
    const Bytes hash = identity::enrolment_code_hash(*identity::normalized_enrolment_code(code));
    g->set_code_hash(std::string(hash.begin(), hash.end()));
    g->set_expires_at(static_cast<std::int64_t>(std::time(nullptr)) + 3600);
    auto* t = g->mutable_template_();
    t->set_user_id(user_id);
    t->set_agency_id(agency);
    t->set_name_th("คุณ " + user_id);
    t->set_name_en("Khun " + user_id);
    t->set_clearance(static_cast<idv1::Clearance>(level));
    t->set_admin_id(admins.at(agency).body.admin_id());
    auto granted = submit(agency, grant);
    REQUIRE_MESSAGE(granted.has_admin_act_ok(), granted.DebugString());

    auto c = start(device);
    api::Request enrol;
    enrol.mutable_enrol()->set_code(code);
    auto first = c->call(enrol, kWait);
    REQUIRE_MESSAGE(first.has_error(), first.DebugString());
    CHECK(first.error().code() == api::PENDING);

    idv1::AdminAct list;
    list.mutable_list_enrolments();
    auto pending = submit(agency, list);
    REQUIRE(pending.has_admin_act_ok());
    REQUIRE(pending.admin_act_ok().enrolments_size() >= 1);
    const auto& p = pending.admin_act_ok().enrolments(pending.admin_act_ok().enrolments_size() - 1);
    idv1::UserCertificate body = p.template_();
    body.set_serial(pki.next_serial++);
    body.set_identity_key(p.identity_key());
    set_validity(body.mutable_validity(), pki.from, pki.to);
    idv1::AdminAct issue;
    *issue.mutable_issue_user() = identity::make_signed(identity::SignedKind::user_certificate, body, admins.at(agency).key);
    auto issued = submit(agency, issue);
    REQUIRE_MESSAGE(issued.has_admin_act_ok(), issued.DebugString());

    enrol.mutable_enrol()->set_wait_ms(20000);
    auto second = c->call(enrol, kWait);
    REQUIRE_MESSAGE(second.has_enrolled(), second.DebugString());
    CHECK(second.enrolled().person().user_id() == user_id);
    wait_connected(*c);
    return c;
  }

  static void wait_connected(client::Client& c) {
    auto e = c.wait_event([](const api::Event& ev) { return ev.has_connection() && ev.connection().state() == api::ConnectionState::CONNECTED; },
                          kWait);
    REQUIRE_MESSAGE(e.has_value(), "the client did not connect");
  }
};

inline idv1::UserRef ref(const std::string& agency, const std::string& user) {
  idv1::UserRef r;
  r.set_agency_id(agency);
  r.set_user_id(user);
  return r;
}

inline std::optional<api::Message> wait_message(client::Client& c, const std::string& text,
                                                std::chrono::milliseconds timeout = kWait) {
  auto e = c.wait_event([&](const api::Event& ev) { return ev.has_message() && ev.message().text() == text; }, timeout);
  if (!e) return std::nullopt;
  return e->message();
}

inline std::optional<api::Conversation> wait_conversation(client::Client& c, std::chrono::milliseconds timeout = kWait) {
  auto e = c.wait_event([](const api::Event& ev) { return ev.has_conversation(); }, timeout);
  if (!e) return std::nullopt;
  return e->conversation();
}

inline api::Response send_text(client::Client& c, const std::string& conversation, const std::string& text,
                               const std::string& reply_to = "") {
  api::Request r;
  r.mutable_send_text()->set_conversation_id(conversation);
  r.mutable_send_text()->set_text(text);
  r.mutable_send_text()->set_reply_to(reply_to);
  return c.call(r, kWait);
}

inline api::Response create(client::Client& c, idv1::GroupKind kind, idv1::Clearance level, const std::string& title,
                            const std::vector<idv1::UserRef>& members) {
  api::Request r;
  auto* cc = r.mutable_create_conversation();
  cc->set_kind(kind);
  cc->set_level(level);
  cc->set_title(title);
  for (const auto& m : members) *cc->add_members() = m;
  return c.call(r, kWait);
}

inline api::Messages history(client::Client& c, const std::string& conversation, std::uint32_t limit = 100) {
  api::Request r;
  r.mutable_history()->set_conversation_id(conversation);
  r.mutable_history()->set_limit(limit);
  auto resp = c.call(r, kWait);
  REQUIRE_MESSAGE(resp.has_messages(), resp.DebugString());
  return resp.messages();
}

inline api::StatusReport status_of(client::Client& c) {
  api::Request r;
  r.mutable_status();
  auto resp = c.call(r, kWait);
  REQUIRE_MESSAGE(resp.has_status(), resp.DebugString());
  return resp.status();
}

inline api::Messages search(client::Client& c, const std::string& query) {
  api::Request r;
  r.mutable_search()->set_query(query);
  auto resp = c.call(r, kWait);
  REQUIRE_MESSAGE(resp.has_messages(), resp.DebugString());
  return resp.messages();
}

}  // namespace gchat::testing
