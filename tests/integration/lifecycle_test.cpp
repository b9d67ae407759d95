// The identity's life with real clients on the real relay: a clearance lowered or raised takes
// effect on the person's devices by itself (no re-enrolment, nobody locked out), a certificate
// renewed by the agency's issuing service is taken and carried into every conversation, the
// issuing service cannot give more than the certificate it renews, and a lost device is removed by
// its owner from another device.
#include <doctest/doctest.h>

#include <sodium.h>

#include <thread>

#include "client_world.hpp"
#include "gchat/identity/verify.hpp"

using namespace gchat;
using namespace gchat::testing;
using identity::Clearance;

namespace {

identity::VerifiedAdmin verified(const ClientWorld& w, const TestAdmin& admin) {
  auto v = identity::verify_admin(admin.chain, identity::TrustAnchor{w.pki.root.public_key(), std::time(nullptr), nullptr});
  REQUIRE_MESSAGE(v.ok(), v.error().to_string());
  return *v;
}

// What the issuing service signs: the person's current certificate renewed for `days` from now.
idv1::Signed renewal(ClientWorld& w, const TestAdmin& service, const std::string& agency, const std::string& user_id,
                     int days, const std::function<void(idv1::UserCertificate&)>& tamper = {}) {
  const auto& user = w.users.at(user_id);
  idv1::Validity v;
  v.set_not_before(std::time(nullptr) - 60);
  v.set_not_after(std::time(nullptr) + days * 24 * 3600);
  auto body = identity::renewal_of(user.cert, w.admins.at(agency).chain, verified(w, service), w.pki.next_serial++, v);
  REQUIRE_MESSAGE(body.ok(), body.error().to_string());
  if (tamper) tamper(*body);
  return identity::make_signed(identity::SignedKind::user_certificate, *body, service.key);
}

std::optional<api::CertificateChanged> wait_certificate(client::Client& c) {
  auto e = c.wait_event([](const api::Event& ev) { return ev.has_certificate(); }, kWait);
  if (!e) return std::nullopt;
  return e->certificate();
}

}  // namespace

TEST_CASE("a clearance lowered: the person keeps every group at or below it and leaves those above, no re-enrolment") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::secret);
  auto bob = w.enrol("moi", "bob", Clearance::secret);
  auto secret = create(*alice, idv1::GROUP, idv1::SECRET, "ลับมาก", {ref("moi", "bob")});
  REQUIRE_MESSAGE(secret.has_conversation(), secret.DebugString());
  REQUIRE(wait_conversation(*bob));
  auto open = create(*alice, idv1::GROUP, idv1::UNCLASSIFIED, "ทั่วไป", {ref("moi", "bob")});
  REQUIRE_MESSAGE(open.has_conversation(), open.DebugString());
  REQUIRE(wait_conversation(*bob));
  const std::string high = secret.conversation().conversation_id(), low = open.conversation().conversation_id();

  w.set_clearance("moi", "bob", Clearance::confidential);

  // Bob's device takes the new certificate by itself and says so.
  auto changed = wait_certificate(*bob);
  REQUIRE_MESSAGE(changed, "bob's device never took the new certificate");
  CHECK(changed->clearance_changed());
  CHECK(changed->previous_clearance() == idv1::SECRET);
  CHECK(changed->person().clearance() == idv1::CONFIDENTIAL);
  ClientWorld::wait_connected(*bob);
  CHECK(status_of(*bob).self().person().clearance() == idv1::CONFIDENTIAL);

  // The unclassified group goes on both ways.
  REQUIRE(send_text(*bob, low, "ยังอยู่ในกลุ่มทั่วไป").has_message());
  auto at_alice = wait_message(*alice, "ยังอยู่ในกลุ่มทั่วไป");
  REQUIRE_MESSAGE(at_alice, "bob's message after the change never reached alice");
  CHECK(at_alice->sender().person().clearance() == idv1::CONFIDENTIAL);
  REQUIRE(send_text(*alice, low, "ได้รับแล้ว").has_message());
  REQUIRE(wait_message(*bob, "ได้รับแล้ว"));

  // The secret group loses him, and he reads nothing sent there afterwards.
  REQUIRE(alice->wait_event([](const api::Event& e) { return e.has_membership() && e.membership().removed_size() == 1; },
                            kWait));
  REQUIRE(send_text(*alice, high, "หลังลดชั้น").has_message());
  CHECK_FALSE(wait_message(*bob, "หลังลดชั้น", 3s));
}

TEST_CASE("a clearance raised: the person creates a conversation at the new level at once") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::secret);
  auto bob = w.enrol("moi", "bob", Clearance::top_secret);
  auto refused = create(*alice, idv1::GROUP, idv1::TOP_SECRET, "ลับที่สุด", {ref("moi", "bob")});
  REQUIRE(refused.has_error());

  w.set_clearance("moi", "alice", Clearance::top_secret);
  auto changed = wait_certificate(*alice);
  REQUIRE_MESSAGE(changed, "alice's device never took the raised certificate");
  CHECK(changed->person().clearance() == idv1::TOP_SECRET);
  ClientWorld::wait_connected(*alice);
  auto created = create(*alice, idv1::GROUP, idv1::TOP_SECRET, "ลับที่สุด", {ref("moi", "bob")});
  REQUIRE_MESSAGE(created.has_conversation(), created.DebugString());
  REQUIRE(wait_conversation(*bob));
  REQUIRE(send_text(*alice, created.conversation().conversation_id(), "ลับที่สุด ฉบับแรก").has_message());
  REQUIRE(wait_message(*bob, "ลับที่สุด ฉบับแรก"));
}

TEST_CASE("the issuing service renews a certificate; the device takes it and refreshes its leaf in every group") {
  ClientWorld w;
  const TestAdmin service = w.pki.admin(w.agencies.at("moi"), "issuer", {idv1::RENEWAL});
  auto alice = w.enrol("moi", "alice", Clearance::secret);
  auto bob = w.enrol("moi", "bob", Clearance::confidential);
  auto group = create(*alice, idv1::GROUP, idv1::CONFIDENTIAL, "งานประจำ", {ref("moi", "bob")});
  REQUIRE_MESSAGE(group.has_conversation(), group.DebugString());
  REQUIRE(wait_conversation(*bob));
  const std::string room = group.conversation().conversation_id();
  const std::uint64_t serial_before = w.users.at("bob").body.serial();

  SUBCASE("a renewal: same person, later expiry") {
    idv1::AdminAct act;
    *act.mutable_renew_user() = renewal(w, service, "moi", "bob", 80);
    auto ok = w.submit(service, act);
    REQUIRE_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());
    auto changed = wait_certificate(*bob);
    REQUIRE_MESSAGE(changed, "bob's device never took the renewed certificate");
    CHECK_FALSE(changed->clearance_changed());
    CHECK(changed->serial() != serial_before);
    CHECK(changed->person().clearance() == idv1::CONFIDENTIAL);
    ClientWorld::wait_connected(*bob);
    // The renewed chain is in the tree: alice verifies bob's next message under it.
    REQUIRE(send_text(*bob, room, "หลังต่ออายุ").has_message());
    REQUIRE(wait_message(*alice, "หลังต่ออายุ"));
    REQUIRE(send_text(*alice, room, "รับทราบ").has_message());
    REQUIRE(wait_message(*bob, "รับทราบ"));
    CHECK(status_of(*bob).self().person().clearance() == idv1::CONFIDENTIAL);
  }
  SUBCASE("the service cannot raise a clearance, add a right, rename, or renew for another agency") {
    auto refused = [&](const idv1::Signed& cert, const TestAdmin& as) {
      idv1::AdminAct act;
      *act.mutable_renew_user() = cert;
      auto r = w.submit(as, act);
      REQUIRE_MESSAGE(r.has_error(), r.DebugString());
      return r.error().code();
    };
    CHECK(refused(renewal(w, service, "moi", "bob", 80, [](auto& b) { b.set_clearance(idv1::SECRET); }), service) ==
          relay::v1::FORBIDDEN);
    CHECK(refused(renewal(w, service, "moi", "bob", 80, [](auto& b) { b.add_rights(idv1::CROSS_AGENCY_GROUPS); }),
                  service) == relay::v1::FORBIDDEN);
    CHECK(refused(renewal(w, service, "moi", "bob", 80, [](auto& b) { b.set_name_en("Someone Else"); }), service) ==
          relay::v1::FORBIDDEN);
    // Clients refuse such a chain too: the basis check is every verifier's.
    idv1::Chain forged;
    *forged.mutable_agency() = service.chain.agency();
    *forged.mutable_admin() = service.chain.admin();
    *forged.mutable_user() = renewal(w, service, "moi", "bob", 80, [](auto& b) { b.set_clearance(idv1::TOP_SECRET); });
    auto user = identity::verify_user(verified(w, service), forged.user(),
                                      identity::TrustAnchor{w.pki.root.public_key(), std::time(nullptr), nullptr});
    REQUIRE_FALSE(user.ok());
    CHECK(user.error().code == Errc::cert_renewal_changed);
    // Another agency's service.
    const TestAdmin other = w.pki.admin(w.agencies.at("mof"), "issuer", {idv1::RENEWAL});
    idv1::Validity v;
    v.set_not_before(std::time(nullptr));
    v.set_not_after(std::time(nullptr) + 80 * 24 * 3600);
    CHECK_FALSE(identity::renewal_of(w.users.at("bob").cert, w.admins.at("moi").chain, verified(w, other), 77, v).ok());
    idv1::AdminAct act;
    *act.mutable_renew_user() = renewal(w, service, "moi", "bob", 80);
    auto r = w.submit(other, act);
    REQUIRE(r.has_error());
    CHECK(r.error().code() == relay::v1::FORBIDDEN);
  }
}

TEST_CASE("a revoked person stays refused after the issuing service runs: renewal never resurrects") {
  ClientWorld w;
  const TestAdmin service = w.pki.admin(w.agencies.at("moi"), "issuer", {idv1::RENEWAL});
  auto bob = w.enrol("moi", "bob", Clearance::confidential);
  idv1::AdminAct revoke;
  *revoke.mutable_revoke_user() = ref("moi", "bob");
  auto revoked = w.submit("moi", revoke);
  REQUIRE_MESSAGE(revoked.has_admin_act_ok(), revoked.DebugString());
  idv1::AdminAct act;
  *act.mutable_renew_user() = renewal(w, service, "moi", "bob", 80);
  auto r = w.submit(service, act);
  REQUIRE_MESSAGE(r.has_error(), r.DebugString());
  CHECK(r.error().code() == relay::v1::REVOKED);
}

TEST_CASE("a lost device: its owner removes it from another device; refused at Hello, gone from every group") {
  ClientWorld w;
  auto laptop = w.enrol_by_code("moi", "alice", Clearance::confidential, "alice-laptop");
  auto bob = w.enrol("moi", "bob", Clearance::confidential);
  auto phone = w.start("alice-phone");
  api::Request ask;
  ask.mutable_request_link();
  auto asked = phone->call(ask, kWait);
  REQUIRE(asked.has_link_requested());
  const std::string phone_key = asked.link_requested().device_key();
  api::Request approve;
  approve.mutable_approve_link()->set_device_key(phone_key);
  approve.mutable_approve_link()->set_device_name("alice-phone");
  auto approved = laptop->call(approve, kWait);
  REQUIRE_MESSAGE(approved.has_link_approved(), approved.DebugString());
  api::Request complete;
  complete.mutable_complete_link()->set_token(approved.link_approved().token());
  REQUIRE(phone->call(complete, kWait).has_enrolled());
  ClientWorld::wait_connected(*phone);
  auto group = create(*laptop, idv1::GROUP, idv1::UNCLASSIFIED, "ทีม", {ref("moi", "bob")});
  REQUIRE_MESSAGE(group.has_conversation(), group.DebugString());
  const std::string room = group.conversation().conversation_id();
  REQUIRE(wait_conversation(*bob));
  REQUIRE_MESSAGE(wait_conversation(*phone), "the phone never joined the group");
  {
    const auto until = std::chrono::steady_clock::now() + kWait;
    for (;;) {
      api::Request r;
      r.mutable_list_conversations();
      auto convs = bob->call(r, kWait);
      if (convs.conversations().conversations_size() == 1 && convs.conversations().conversations(0).devices() == 3) break;
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until, "bob never saw three devices in the group");
      std::this_thread::sleep_for(100ms);
    }
  }

  api::Request list;
  list.mutable_list_devices();
  auto devices = laptop->call(list, kWait);
  REQUIRE_MESSAGE(devices.has_devices(), devices.DebugString());
  REQUIRE(devices.devices().devices_size() == 2);
  int self = 0;
  for (const auto& d : devices.devices().devices()) {
    self += d.this_device();
    CHECK(d.fingerprint().size() == 19);
    CHECK_FALSE(d.revoked());
  }
  CHECK(self == 1);

  // Bad requests: a truncated key, and this device itself (removed from another one only).
  api::Request bad;
  bad.mutable_remove_device()->set_device_key(phone_key.substr(0, 31));
  auto truncated = laptop->call(bad, kWait);
  REQUIRE(truncated.has_error());
  CHECK(truncated.error().code() == api::INVALID_ARGUMENT);
  for (const auto& d : devices.devices().devices()) {
    if (d.this_device()) bad.mutable_remove_device()->set_device_key(d.device_key());
  }
  auto itself = laptop->call(bad, kWait);
  REQUIRE(itself.has_error());
  CHECK(itself.error().code() == api::INVALID_ARGUMENT);

  // Someone else cannot remove it.
  api::Request remove;
  remove.mutable_remove_device()->set_device_key(phone_key);
  auto refused = bob->call(remove, kWait);
  REQUIRE(refused.has_error());
  CHECK(refused.error().relay_code() == relay::v1::FORBIDDEN);

  auto removed = laptop->call(remove, kWait);
  REQUIRE_MESSAGE(removed.has_done(), removed.DebugString());
  // Out of the group's tree: bob's client sees the commit take the phone's leaf out.
  auto devices_in = [&](client::Client& c) -> std::uint32_t {
    api::Request r;
    r.mutable_list_conversations();
    auto convs = c.call(r, kWait);
    for (const auto& conv : convs.conversations().conversations()) {
      if (conv.conversation_id() == room) return conv.devices();
    }
    return 0;
  };
  const auto until = std::chrono::steady_clock::now() + kWait;
  while (devices_in(*bob) != 2 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(100ms);
  REQUIRE_MESSAGE(devices_in(*bob) == 2, "the phone's leaf was never removed from the group's tree");
  REQUIRE(send_text(*bob, room, "หลังถอดมือถือ").has_message());
  REQUIRE(wait_message(*laptop, "หลังถอดมือถือ"));
  CHECK_FALSE(wait_message(*phone, "หลังถอดมือถือ", 3s));
  // And the relay refuses it from now on.
  auto at_hello = phone->wait_event(
      [](const api::Event& e) { return e.has_connection() && e.connection().refused_code() == "REVOKED"; }, kWait);
  CHECK_MESSAGE(at_hello, "the removed phone was not refused as REVOKED");
  devices = laptop->call(list, kWait);
  REQUIRE(devices.has_devices());
  for (const auto& d : devices.devices().devices()) CHECK(d.revoked() == (d.device_key() == phone_key));
}
