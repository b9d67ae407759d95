// The identity lifecycle on the real relay: a person's current certificate served before
// authentication with the newest chain of its signer, renewals by an agency's issuing service
// (accepted and told to the person's devices; refused when they would give more, come from
// elsewhere, or would resurrect a revoked person or a superseded certificate), a person's own
// devices listed and a lost one revoked, and the expiry gauges in /metrics.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "gchat/identity/mls_identity.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/server/audit_log.hpp"
#include "government.hpp"
#include "mls_wire.hpp"
#include "relay_groups.hpp"

using namespace gchat;
using namespace gchat::testing;
namespace v1 = gchat::identity::v1;
using identity::Clearance;

namespace {

constexpr std::int64_t kDay = 24 * 3600;

v1::AdminAct get_user_act(const std::string& agency, const std::string& user) {
  v1::AdminAct act;
  act.mutable_get_user()->set_agency_id(agency);
  act.mutable_get_user()->set_user_id(user);
  return act;
}

v1::AdminAct renew_act(const v1::Signed& certificate) {
  v1::AdminAct act;
  *act.mutable_renew_user() = certificate;
  return act;
}

pb::ServerFrame fetch_certificate(RelayClient& c, const std::string& identity_key) {
  pb::ClientFrame f;
  f.mutable_fetch_certificate()->set_identity_key(identity_key);
  return c.request(f);
}

v1::UserCertificate body_of(const v1::Signed& s) {
  v1::UserCertificate body;
  REQUIRE(body.ParseFromString(s.body()));
  return body;
}

// The person's current certificate and its signer's chain, as the issuing service reads them.
struct Current {
  v1::Signed certificate;
  v1::AdminChain issuer;
};

Current current_of(Government& gov, const TestAdmin& reader, const std::string& user) {
  auto got = gov.submit(*gov.connect(), reader, get_user_act("moi", user));
  REQUIRE_MESSAGE(got.has_admin_act_ok(), got.DebugString());
  REQUIRE(got.admin_act_ok().has_user_certificate());
  REQUIRE(got.admin_act_ok().has_user_issuer());
  return Current{got.admin_act_ok().user_certificate(), got.admin_act_ok().user_issuer()};
}

// What gchat-admin serve signs: identity::renewal_of, valid from now to `days` from now, changed by
// `tweak` (a dishonest or broken renewer) before signing.
template <typename Tweak>
v1::Signed renewal_by(Government& gov, const TestAdmin& renewer, const Current& current, std::int64_t days,
                      Tweak tweak) {
  auto verified = identity::verify_admin(renewer.chain, gov.pki.anchor());
  REQUIRE_MESSAGE(verified.ok(), verified.error().to_string());
  v1::Validity validity;
  validity.set_not_before(gov.pki.now - 60);
  validity.set_not_after(gov.pki.now + days * kDay);
  auto body =
      identity::renewal_of(current.certificate, current.issuer, *verified, gov.pki.next_serial++, validity);
  REQUIRE_MESSAGE(body.ok(), body.error().to_string());
  tweak(*body);
  return identity::make_signed(identity::SignedKind::user_certificate, *body, renewer.key);
}
v1::Signed renewal_by(Government& gov, const TestAdmin& renewer, const Current& current,
                      std::int64_t days = 90) {
  return renewal_by(gov, renewer, current, days, [](v1::UserCertificate&) {});
}

// A renewal made by hand, for signers identity::renewal_of refuses (another agency, no role).
v1::Signed hand_made_renewal(Government& gov, const TestAdmin& signer, const Current& current,
                             bool with_basis) {
  auto body = body_of(current.certificate);
  body.set_serial(gov.pki.next_serial++);
  body.mutable_validity()->set_not_after(gov.pki.now + 90 * kDay);
  body.set_admin_id(signer.body.admin_id());
  if (with_basis) {
    *body.mutable_basis() = current.certificate;
    *body.mutable_basis_issuer() = current.issuer;
  }
  return identity::make_signed(identity::SignedKind::user_certificate, body, signer.key);
}

// The device's chain with another user certificate and issuer (its device certificate, signed by
// the person's identity key, is unchanged).
v1::Chain rechained(const TestDevice& device, const v1::Signed& certificate, const v1::AdminChain& issuer) {
  v1::Chain chain = device.chain;
  *chain.mutable_agency() = issuer.agency();
  *chain.mutable_admin() = issuer.admin();
  *chain.mutable_user() = certificate;
  return chain;
}

// A later agency and administrator certificate with the same keys (the yearly ceremony).
v1::AdminChain renewed_chain(TestPki& pki, const TestAgency& agency, const TestAdmin& admin,
                             std::int64_t not_before, std::int64_t not_after) {
  v1::AgencyCertificate a = agency.body;
  a.set_serial(pki.next_serial++);
  set_validity(a.mutable_validity(), not_before, not_after);
  v1::AdminCertificate m = admin.body;
  m.set_serial(pki.next_serial++);
  set_validity(m.mutable_validity(), not_before, not_after);
  v1::AdminChain chain;
  *chain.mutable_agency() = identity::make_signed(identity::SignedKind::agency_certificate, a, pki.root);
  *chain.mutable_admin() = identity::make_signed(identity::SignedKind::admin_certificate, m, agency.key);
  return chain;
}

// The next push of a kind, skipping others; nothing within the wait.
template <typename Has>
std::optional<pb::ServerFrame> next_push_where(RelayClient& c, Has has) {
  for (int i = 0; i < 10; ++i) {
    auto p = c.next_push();
    if (!p) return std::nullopt;
    if (has(*p)) return p;
  }
  return std::nullopt;
}

std::optional<pb::ServerFrame> certificate_notice(RelayClient& c) {
  return next_push_where(c, [](const pb::ServerFrame& f) { return f.has_certificate_notice(); });
}

// A gauge's value from /metrics, polled until it reads `want` (it is recounted after each change).
std::string gauge(RelayProcess& relay, const std::string& name, const std::string& want) {
  std::string value;
  for (int i = 0; i < 50; ++i) {
    const auto page = http_get(relay.port(), "/metrics", relay.ca_file());
    const auto at = page.find("\n" + name + " ");
    value = at == std::string::npos
                ? "missing"
                : page.substr(at + name.size() + 2, page.find('\n', at + 1) - at - name.size() - 2);
    if (value == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return value;
}

}  // namespace

TEST_CASE(
    "before authenticating, a device fetches its person's renewed certificate with the newest chain of its "
    "signer") {
  Government gov;
  auto somchai = gov.pki.user(gov.moi_admin, "somchai", Clearance::confidential);
  auto laptop = gov.pki.device(gov.moi_admin, somchai);
  REQUIRE(gov.connect_as(laptop)->authenticate().has_auth_ok());
  const std::string identity_key = somchai.body.identity_key();

  // Served on a connection that never authenticates: the certificate the device showed, its signer's chain.
  auto first = fetch_certificate(*gov.connect(), identity_key);
  REQUIRE_MESSAGE(first.has_current_certificate(), first.DebugString());
  CHECK(first.current_certificate().user_certificate().body() == somchai.cert.body());
  CHECK(first.current_certificate().issuer().admin().body() == gov.moi_admin.chain.admin().body());

  // The issuing service renews; then its own agency and administrator certificates are renewed, and
  // the relay learns the new chain when the service next acts.
  auto renewal = renewal_by(gov, gov.moi_service, current_of(gov, gov.moi_service, "somchai"));
  auto renewed = gov.submit(*gov.connect(), gov.moi_service, renew_act(renewal));
  REQUIRE_MESSAGE(renewed.has_admin_act_ok(), renewed.DebugString());
  auto after_renewal = fetch_certificate(*gov.connect(), identity_key);
  REQUIRE(after_renewal.has_current_certificate());
  CHECK(after_renewal.current_certificate().user_certificate().body() == renewal.body());
  CHECK(after_renewal.current_certificate().issuer().admin().body() == gov.moi_service.chain.admin().body());

  const auto ceremony =
      renewed_chain(gov.pki, gov.moi, gov.moi_service, gov.pki.now - 60, gov.pki.now + 400 * kDay);
  v1::AdminAct list;
  list.mutable_list_users();
  REQUIRE(gov.submit_with(*gov.connect(), ceremony, gov.moi_service.key, list).has_admin_act_ok());
  auto after_ceremony = fetch_certificate(*gov.connect(), identity_key);
  REQUIRE(after_ceremony.has_current_certificate());
  const auto& current = after_ceremony.current_certificate();
  CHECK(current.user_certificate().body() == renewal.body());
  CHECK(current.issuer().agency().body() == ceremony.agency().body());
  CHECK(current.issuer().admin().body() == ceremony.admin().body());
  // An older chain the service shows afterwards does not displace it.
  REQUIRE(gov.submit(*gov.connect(), gov.moi_service, list).has_admin_act_ok());
  CHECK(fetch_certificate(*gov.connect(), identity_key).current_certificate().issuer().admin().body() ==
        ceremony.admin().body());

  // The device rebuilds its chain from what it fetched: it verifies to the root and authenticates.
  const auto chain = rechained(laptop, current.user_certificate(), current.issuer());
  auto verified = identity::verify_chain(chain, gov.pki.anchor());
  REQUIRE_MESSAGE(verified.ok(), verified.error().to_string());
  CHECK(verified->user.serial == body_of(renewal).serial());
  auto again = gov.connect_as(laptop.key, chain)->authenticate();
  CHECK_MESSAGE(again.has_auth_ok(), again.DebugString());

  // Unknown keys get an empty answer; malformed ones an error.
  auto unknown = fetch_certificate(*gov.connect(), std::string(32, 'u'));
  REQUIRE(unknown.has_current_certificate());
  CHECK_FALSE(unknown.current_certificate().has_user_certificate());
  auto short_key = fetch_certificate(*gov.connect(), std::string(31, 'k'));
  REQUIRE(short_key.has_error());
  CHECK(short_key.error().code() == pb::INVALID_ARGUMENT);

  // Unauthenticated connections get a few answers, then are closed.
  auto greedy = gov.connect();
  for (int i = 0; i < 8; ++i) REQUIRE(fetch_certificate(*greedy, identity_key).has_current_certificate());
  pb::ClientFrame ninth;
  ninth.mutable_fetch_certificate()->set_identity_key(identity_key);
  greedy->send(ninth);
  auto refused = next_push_where(*greedy, [](const pb::ServerFrame& f) { return f.has_notice(); });
  REQUIRE(refused.has_value());
  CHECK(refused->notice().reason().code() == pb::RATE_LIMITED);
  CHECK(greedy->wait_closed());
}

TEST_CASE("get_user answers the chain a renewal's basis needs, while devices are served the newest one") {
  Government gov;
  auto somchai = gov.pki.user(gov.moi_admin, "somchai", Clearance::confidential);
  REQUIRE(gov.connect_as(gov.pki.device(gov.moi_admin, somchai))->authenticate().has_auth_ok());
  auto current = current_of(gov, gov.moi_service, "somchai");
  CHECK(current.certificate.body() == somchai.cert.body());
  CHECK(current.issuer.admin().body() == gov.moi_admin.chain.admin().body());

  // admin1's certificate is renewed in a ceremony after it signed somchai's: devices get the new
  // chain, but a renewal's basis is checked as of its own not_before, which only the old one covers.
  const auto ceremony =
      renewed_chain(gov.pki, gov.moi, gov.moi_admin, gov.pki.now - 60, gov.pki.now + 400 * kDay);
  v1::AdminAct list;
  list.mutable_list_users();
  REQUIRE(gov.submit_with(*gov.connect(), ceremony, gov.moi_admin.key, list).has_admin_act_ok());
  CHECK(fetch_certificate(*gov.connect(), somchai.body.identity_key())
            .current_certificate()
            .issuer()
            .admin()
            .body() == ceremony.admin().body());
  auto for_basis = current_of(gov, gov.moi_service, "somchai");
  CHECK(for_basis.issuer.admin().body() == gov.moi_admin.chain.admin().body());

  // A renewal built from it verifies under the service, basis included, and the relay takes it.
  auto renewal = renewal_by(gov, gov.moi_service, for_basis);
  auto service = identity::verify_admin(gov.moi_service.chain, gov.pki.anchor());
  REQUIRE(service.ok());
  CHECK(identity::verify_user(*service, renewal, gov.pki.anchor()).ok());
  auto ok = gov.submit(*gov.connect(), gov.moi_service, renew_act(renewal));
  CHECK_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());
}

TEST_CASE(
    "the issuing service's renewal is accepted, the person's devices are told at once, and stale key "
    "packages go") {
  Government gov;
  auto somchai = gov.pki.user(gov.moi_admin, "somchai", Clearance::confidential);
  auto laptop = gov.pki.device(gov.moi_admin, somchai, "laptop");
  auto phone = gov.pki.device(gov.moi_admin, somchai, "phone");
  auto laptop_online = gov.connect_as(laptop);
  REQUIRE(laptop_online->authenticate().has_auth_ok());
  auto phone_online = gov.connect_as(phone);
  REQUIRE(phone_online->authenticate().has_auth_ok());
  pb::ClientFrame upload;
  upload.mutable_upload_key_packages()->add_key_packages("key package 1, old chain");
  upload.mutable_upload_key_packages()->add_key_packages("key package 2, old chain");
  REQUIRE(laptop_online->request(upload).has_upload_key_packages_ok());
  pb::ClientFrame take;
  take.mutable_fetch_key_package()->set_device_key(laptop.body.device_key());
  REQUIRE(phone_online->request(take).has_key_package());

  const auto current = current_of(gov, gov.moi_service, "somchai");
  auto renewal = renewal_by(gov, gov.moi_service, current);
  const auto renewed = body_of(renewal);
  auto ok = gov.submit(*gov.connect(), gov.moi_service, renew_act(renewal));
  REQUIRE_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());
  CHECK(ok.admin_act_ok().audit_seq() > 0);
  for (auto* device : {laptop_online.get(), phone_online.get()}) {
    auto notice = certificate_notice(*device);
    REQUIRE(notice.has_value());
    CHECK(notice->certificate_notice().serial() == renewed.serial());
  }

  // Administrators see the renewal.
  CHECK(current_of(gov, gov.moi_admin, "somchai").certificate.body() == renewal.body());
  v1::AdminAct list;
  list.mutable_list_users();
  auto people = gov.submit(*gov.connect(), gov.moi_admin, list);
  REQUIRE(people.has_admin_act_ok());
  REQUIRE(people.admin_act_ok().users_size() == 1);
  const auto& summary = people.admin_act_ok().users(0);
  CHECK(summary.serial() == renewed.serial());
  CHECK(summary.not_after() == renewed.validity().not_after());
  CHECK_FALSE(summary.revoked());

  // The laptop comes back with the renewed chain: its key packages, made with the old one, are gone.
  laptop_online->close();
  auto back = gov.connect_as(laptop.key, rechained(laptop, renewal, gov.moi_service.chain));
  REQUIRE_MESSAGE(back->authenticate().has_auth_ok(), "the renewed chain authenticates");
  auto none = phone_online->request(take);
  REQUIRE(none.has_error());
  CHECK(none.error().code() == pb::NO_KEY_PACKAGE);

  // A user administrator may renew too (without a basis).
  auto by_admin = renewal_by(gov, gov.moi_admin, current_of(gov, gov.moi_admin, "somchai"), 120);
  CHECK(body_of(by_admin).has_basis() == false);
  auto admin_ok = gov.submit(*gov.connect(), gov.moi_admin, renew_act(by_admin));
  CHECK_MESSAGE(admin_ok.has_admin_act_ok(), admin_ok.DebugString());
}

TEST_CASE(
    "a renewal that changes the person, comes from another agency or lacks the role is refused, and changes "
    "nothing") {
  Government gov;
  auto somchai = gov.pki.user(gov.moi_admin, "somchai", Clearance::confidential);
  REQUIRE(gov.connect_as(gov.pki.device(gov.moi_admin, somchai))->authenticate().has_auth_ok());
  const auto current = current_of(gov, gov.moi_service, "somchai");
  auto c = gov.connect();
  auto refused = [&](const TestAdmin& by, const v1::Signed& renewal, pb::ErrorCode code,
                     const std::string& reason) {
    auto r = gov.submit(*c, by, renew_act(renewal));
    REQUIRE_MESSAGE(r.has_error(), r.DebugString());
    CHECK(r.error().code() == code);
    CHECK_MESSAGE(r.error().message().find(reason) != std::string::npos, r.error().message());
  };

  refused(gov.moi_service,
          renewal_by(gov, gov.moi_service, current, 90,
                     [](v1::UserCertificate& u) { u.set_clearance(v1::SECRET); }),
          pb::FORBIDDEN, "cert_renewal_changed");
  refused(gov.moi_service,
          renewal_by(gov, gov.moi_service, current, 90,
                     [](v1::UserCertificate& u) { u.add_rights(v1::CROSS_AGENCY_GROUPS); }),
          pb::FORBIDDEN, "cert_renewal_changed");
  refused(gov.moi_service,
          renewal_by(gov, gov.moi_service, current, 90,
                     [](v1::UserCertificate& u) { u.set_name_en("Khun Someone"); }),
          pb::FORBIDDEN, "cert_renewal_changed");
  // A user administrator's renewal is checked against the current certificate the same way.
  refused(gov.moi_admin,
          renewal_by(gov, gov.moi_admin, current, 90,
                     [](v1::UserCertificate& u) { u.set_clearance(v1::SECRET); }),
          pb::FORBIDDEN, "cert_renewal_changed");

  // mof's issuing service renewing a person of moi; an administrator with neither RENEWAL nor USER_ADMIN.
  refused(gov.mof_service, hand_made_renewal(gov, gov.mof_service, current, true), pb::FORBIDDEN,
          "may not renew certificates of 'moi'");
  refused(gov.moi_officer, hand_made_renewal(gov, gov.moi_officer, current, false), pb::FORBIDDEN,
          "may not renew certificates");

  // Not newer: the same expiry (by a user administrator: the service's would already fail its basis).
  auto same_expiry = renewal_by(gov, gov.moi_admin, current, 0, [&](v1::UserCertificate& u) {
    u.mutable_validity()->set_not_after(body_of(current.certificate).validity().not_after());
  });
  refused(gov.moi_admin, same_expiry, pb::INVALID_ARGUMENT, "later expiry");

  // None of it changed anything.
  CHECK(current_of(gov, gov.moi_admin, "somchai").certificate.body() == current.certificate.body());

  // An accepted renewal, submitted again in another act, is a replay.
  auto renewal = renewal_by(gov, gov.moi_service, current);
  REQUIRE(gov.submit(*c, gov.moi_service, renew_act(renewal)).has_admin_act_ok());
  refused(gov.moi_service, renewal, pb::REPLAYED, "already the current one");
}

TEST_CASE(
    "renewal never resurrects: a revoked person and a superseded certificate are refused with REVOKED") {
  Government gov;
  auto alice = gov.pki.user(gov.moi_admin, "alice", Clearance::secret);
  auto bob = gov.pki.user(gov.moi_admin, "bob", Clearance::secret);
  REQUIRE(gov.connect_as(gov.pki.device(gov.moi_admin, alice))->authenticate().has_auth_ok());
  auto bob_laptop = gov.pki.device(gov.moi_admin, bob);
  auto bob_online = gov.connect_as(bob_laptop);
  REQUIRE(bob_online->authenticate().has_auth_ok());
  const auto alice_current = current_of(gov, gov.moi_service, "alice");
  const auto bob_secret = current_of(gov, gov.moi_service, "bob");
  auto c = gov.connect();

  // The clearance officer lowers Bob to Confidential; his devices are told, and the relay serves it.
  auto lowered = gov.pki.user_body(gov.moi_admin, "bob", Clearance::confidential);
  lowered.body.set_identity_key(bob.body.identity_key());
  lowered.body.set_name_th(bob.body.name_th());
  lowered.body.set_name_en(bob.body.name_en());
  gov.pki.sign_user(lowered, gov.moi_admin);
  v1::AdminAct set;
  *set.mutable_set_clearance() = lowered.cert;
  REQUIRE(gov.submit(*c, gov.moi_admin, set).has_admin_act_ok());
  auto notice = certificate_notice(*bob_online);
  REQUIRE(notice.has_value());
  CHECK(notice->certificate_notice().serial() == lowered.body.serial());
  CHECK(fetch_certificate(*gov.connect(), bob.body.identity_key())
            .current_certificate()
            .user_certificate()
            .body() == lowered.cert.body());

  // A renewal standing on his superseded Secret certificate is refused; so is a user
  // administrator's renewal of what it said.
  auto stale = gov.submit(*c, gov.moi_service, renew_act(renewal_by(gov, gov.moi_service, bob_secret)));
  REQUIRE(stale.has_error());
  CHECK(stale.error().code() == pb::REVOKED);
  auto old_content = gov.submit(*c, gov.moi_admin, renew_act(renewal_by(gov, gov.moi_admin, bob_secret)));
  REQUIRE(old_content.has_error());
  CHECK(old_content.error().code() == pb::FORBIDDEN);
  // His current one renews.
  CHECK(gov.submit(*c, gov.moi_service,
                   renew_act(renewal_by(gov, gov.moi_service, current_of(gov, gov.moi_service, "bob"))))
            .has_admin_act_ok());

  // Alice is revoked: nothing renews her, by the service or by an administrator.
  v1::AdminAct revoke;
  revoke.mutable_revoke_user()->set_agency_id("moi");
  revoke.mutable_revoke_user()->set_user_id("alice");
  REQUIRE(gov.submit(*c, gov.moi_admin, revoke).has_admin_act_ok());
  for (const auto* by : {&gov.moi_service, &gov.moi_admin}) {
    auto r = gov.submit(*c, *by, renew_act(renewal_by(gov, *by, alice_current)));
    REQUIRE(r.has_error());
    CHECK(r.error().code() == pb::REVOKED);
  }
  v1::AdminAct list;
  list.mutable_list_users();
  auto people = gov.submit(*c, gov.moi_admin, list);
  REQUIRE(people.has_admin_act_ok());
  for (const auto& u : people.admin_act_ok().users()) CHECK(u.revoked() == (u.user_id() == "alice"));
}

TEST_CASE(
    "a raised clearance becomes the person's current certificate, their devices are told, nothing is "
    "revoked") {
  Government gov;
  auto malee = gov.pki.user(gov.moi_admin, "malee", Clearance::confidential);
  auto laptop = gov.pki.device(gov.moi_admin, malee);
  auto online = gov.connect_as(laptop);
  REQUIRE(online->authenticate().has_auth_ok());
  auto raised = gov.pki.user_body(gov.moi_admin, "malee", Clearance::secret);
  raised.body.set_identity_key(malee.body.identity_key());
  // Issued now and for less time than the certificate it replaces (the officer's choice).
  set_validity(raised.body.mutable_validity(), gov.pki.now - 10, gov.pki.now + 20 * kDay);
  gov.pki.sign_user(raised, gov.moi_admin);
  v1::AdminAct set;
  *set.mutable_set_clearance() = raised.cert;
  auto ok = gov.submit(*gov.connect(), gov.moi_admin, set);
  REQUIRE_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());
  CHECK(ok.admin_act_ok().revocation_list_number() == 0);
  auto notice = certificate_notice(*online);
  REQUIRE(notice.has_value());
  CHECK(notice->certificate_notice().serial() == raised.body.serial());
  CHECK(fetch_certificate(*gov.connect(), malee.body.identity_key())
            .current_certificate()
            .user_certificate()
            .body() == raised.cert.body());
  // The device reconnecting with its older certificate (still valid, and lasting longer) does not
  // displace the raised one.
  REQUIRE(gov.connect_as(laptop)->authenticate().has_auth_ok());
  CHECK(current_of(gov, gov.moi_admin, "malee").certificate.body() == raised.cert.body());
}

TEST_CASE(
    "a newer certificate a device authenticates with becomes current, and the person's other devices are "
    "told") {
  Government gov;
  auto somchai = gov.pki.user(gov.moi_admin, "somchai", Clearance::confidential);
  auto laptop = gov.pki.device(gov.moi_admin, somchai, "laptop");
  auto phone = gov.pki.device(gov.moi_admin, somchai, "phone");
  REQUIRE(gov.connect_as(laptop)->authenticate().has_auth_ok());
  auto phone_online = gov.connect_as(phone);
  REQUIRE(phone_online->authenticate().has_auth_ok());

  // Signed by the administrator's own tool, never submitted to this relay.
  auto later = gov.pki.user_body(gov.moi_admin, "somchai", Clearance::confidential);
  later.body.set_identity_key(somchai.body.identity_key());
  set_validity(later.body.mutable_validity(), gov.pki.now - 10, gov.pki.now + 60 * kDay);
  gov.pki.sign_user(later, gov.moi_admin);
  REQUIRE(gov.connect_as(laptop.key, rechained(laptop, later.cert, gov.moi_admin.chain))
              ->authenticate()
              .has_auth_ok());
  auto notice = certificate_notice(*phone_online);
  REQUIRE(notice.has_value());
  CHECK(notice->certificate_notice().serial() == later.body.serial());
  CHECK(fetch_certificate(*gov.connect(), somchai.body.identity_key())
            .current_certificate()
            .user_certificate()
            .body() == later.cert.body());
}

TEST_CASE("a revoked person's device is refused as REVOKED, also once the certificate has expired") {
  Government gov;
  auto carol = gov.pki.user_body(gov.moi_admin, "carol", Clearance::confidential);
  set_validity(carol.body.mutable_validity(), gov.pki.now - 2 * kDay, gov.pki.now - kDay);
  gov.pki.sign_user(carol, gov.moi_admin);
  auto laptop = gov.pki.device(gov.moi_admin, carol);
  auto expired = gov.connect_as(laptop)->authenticate();
  REQUIRE(expired.has_error());
  CHECK(expired.error().code() == pb::CERTIFICATE_REJECTED);
  CHECK(expired.error().message().find("cert_expired") != std::string::npos);

  v1::AdminAct revoke;
  revoke.mutable_revoke_user()->set_agency_id("moi");
  revoke.mutable_revoke_user()->set_user_id("carol");
  REQUIRE(gov.submit(*gov.connect(), gov.moi_admin, revoke).has_admin_act_ok());
  auto refused = gov.connect_as(laptop)->authenticate();
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == pb::REVOKED);
  CHECK(refused.error().message().find("cert_expired") != std::string::npos);
}

TEST_CASE("a person lists their devices and revokes a lost one, who is then refused; nobody else may") {
  Government gov;
  auto somchai = gov.pki.user(gov.moi_admin, "somchai", Clearance::confidential);
  auto malee = gov.pki.user(gov.moi_admin, "malee", Clearance::confidential);
  auto laptop = gov.pki.device(gov.moi_admin, somchai, "laptop");
  auto phone = gov.pki.device(gov.moi_admin, somchai, "phone");
  auto malee_device = gov.pki.device(gov.moi_admin, malee);
  auto laptop_online = gov.connect_as(laptop);
  auto ok = laptop_online->authenticate();
  REQUIRE(ok.has_auth_ok());
  const Bytes relay_key(ok.auth_ok().relay_key().begin(), ok.auth_ok().relay_key().end());
  auto phone_online = gov.connect_as(phone);
  REQUIRE(phone_online->authenticate().has_auth_ok());
  auto malee_online = gov.connect_as(malee_device);
  REQUIRE(malee_online->authenticate().has_auth_ok());

  // The laptop's group holds the phone too (one person, two leaves).
  const std::string group_id = "somchai-notes";
  const auto& suite = default_suite();
  auto verifier = std::make_shared<identity::MemberVerifier>(gov.pki.root.public_key(), relay_key);
  auto laptop_id = identity::mls_identity(laptop.chain, laptop.key);
  auto phone_id = identity::mls_identity(phone.chain, phone.key);
  REQUIRE(laptop_id.ok());
  REQUIRE(phone_id.ok());
  auto group = create_group_on_relay(*laptop_online, group_id, *laptop_id, *verifier, relay_key,
                                     v1::CONFIDENTIAL, "moi", "somchai");
  auto phone_kp = mls::make_key_package(suite, *phone_id, 0, mls::kMaxKeyPackageLifetime);
  REQUIRE(phone_kp.ok());
  auto added = group.commit({phone_kp->key_package}, {}, 0);
  REQUIRE(added.ok());
  REQUIRE(laptop_online->send_message(group_id, encoded(added->commit), pb::HANDSHAKE).has_send_ok());
  REQUIRE(laptop_online->send_message(group_id, encoded(*added->welcome), pb::WELCOME).has_send_ok());
  REQUIRE(phone_online->take_deliveries(1).size() == 1);
  laptop_online->take_deliveries(2);

  pb::ClientFrame list;
  list.mutable_list_devices();
  auto mine = laptop_online->request(list);
  REQUIRE_MESSAGE(mine.has_device_list(), mine.DebugString());
  REQUIRE(mine.device_list().devices_size() == 2);
  CHECK(mine.device_list().devices(0).device_key() == laptop.body.device_key());
  CHECK(mine.device_list().devices(1).device_key() == phone.body.device_key());
  CHECK(mine.device_list().devices(1).chain() == phone.chain.SerializeAsString());
  for (const auto& d : mine.device_list().devices()) {
    CHECK(d.registered_ms() > 0);
    CHECK(d.last_seen_ms() >= d.registered_ms());
    CHECK_FALSE(d.revoked());
  }

  auto revoke = [](RelayClient& by, const std::string& key) {
    pb::ClientFrame f;
    f.mutable_revoke_own_device()->set_device_key(key);
    return by.request(f);
  };
  auto refused = [](const pb::ServerFrame& r, pb::ErrorCode code) {
    REQUIRE_MESSAGE(r.has_error(), r.DebugString());
    CHECK(r.error().code() == code);
  };
  refused(revoke(*malee_online, phone.body.device_key()), pb::FORBIDDEN);
  refused(revoke(*laptop_online, laptop.body.device_key()), pb::FORBIDDEN);
  refused(revoke(*laptop_online, std::string(32, 'x')), pb::UNKNOWN_DEVICE);
  refused(revoke(*laptop_online, "short"), pb::INVALID_ARGUMENT);
  refused(revoke(*gov.connect(), phone.body.device_key()), pb::NOT_AUTHENTICATED);

  auto done = revoke(*laptop_online, phone.body.device_key());
  REQUIRE_MESSAGE(done.has_revoke_own_device_ok(), done.DebugString());
  CHECK(done.revoke_own_device_ok().audit_seq() > 0);
  REQUIRE(done.revoke_own_device_ok().group_ids_size() == 1);
  CHECK(done.revoke_own_device_ok().group_ids(0) == group_id);

  // The phone is told and cut off, and refused at Hello from now on; it is on the relay's list.
  auto notice = next_push_where(*phone_online, [](const pb::ServerFrame& f) { return f.has_notice(); });
  REQUIRE(notice.has_value());
  CHECK(notice->notice().reason().code() == pb::REVOKED);
  CHECK(phone_online->wait_closed());
  auto again = gov.connect_as(phone)->authenticate();
  REQUIRE(again.has_error());
  CHECK(again.error().code() == pb::REVOKED);
  pb::ClientFrame fetch;
  fetch.mutable_fetch_revocations();
  auto list_frame = gov.connect()->request(fetch);
  REQUIRE(list_frame.has_revocations());
  v1::RevocationList revoked;
  REQUIRE(revoked.ParseFromString(list_frame.revocations().list().body()));
  REQUIRE(revoked.device_keys_size() == 1);
  CHECK(revoked.device_keys(0) == phone.body.device_key());
  auto listed = laptop_online->request(list);
  REQUIRE(listed.has_device_list());
  REQUIRE(listed.device_list().devices_size() == 2);
  CHECK(listed.device_list().devices(1).revoked());
  refused(revoke(*laptop_online, phone.body.device_key()), pb::REVOKED);

  // The relay proposed nothing (no administrator's act to show): the laptop commits the removal.
  laptop_online->pump(std::chrono::milliseconds(300));
  CHECK(laptop_online->deliveries_waiting() == 0);
  std::vector<mls::LeafIndex> others;
  for (auto leaf : group.members()) {
    if (leaf != group.own_leaf()) others.push_back(leaf);
  }
  REQUIRE(others.size() == 1);
  auto removal = group.commit({}, others, 0);
  REQUIRE(removal.ok());
  auto removed = laptop_online->send_message(group_id, encoded(removal->commit), pb::HANDSHAKE);
  CHECK_MESSAGE(removed.has_send_ok(), removed.DebugString());

  // The audit log says who did it.
  REQUIRE(gov.relay.stop() == 0);
  auto report = server::verify_audit_database(gov.relay.db_file(), relay_key);
  REQUIRE_MESSAGE(report.ok(), report.error().to_string());
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(gov.relay.db_file().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT entry FROM audit_log ORDER BY seq", -1, &st, nullptr) == SQLITE_OK);
  int by_owner = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    v1::AuditEntry entry;
    REQUIRE(entry.ParseFromArray(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0)));
    if (entry.kind() == "device_revoked_by_owner") {
      ++by_owner;
      CHECK(entry.actor().rfind("moi/somchai ", 0) == 0);
      CHECK(entry.subject().rfind("moi/somchai ", 0) == 0);
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  CHECK(by_owner == 1);
}

TEST_CASE("/metrics counts the people and administrators whose certificates expire within 30 days") {
  TestPki pki;
  pki.to = pki.now + 200 * kDay;
  auto moi = pki.agency("moi");
  auto admin = pki.admin(moi, "admin1");
  RelayProcess relay{RelayOptions{true, "closed", {"--root-key", to_hex(pki.root.public_key())}}};
  auto connect_as = [&](const TestDevice& d) {
    auto c = RelayClient::connect(relay.port(), relay.ca_file());
    c->set_key(device_key_of(d.key));
    c->set_chain(d.chain_bytes());
    return c;
  };
  auto soon = pki.user_body(admin, "soon", Clearance::confidential);
  set_validity(soon.body.mutable_validity(), pki.from, pki.now + 10 * kDay);
  pki.sign_user(soon, admin);
  auto later = pki.user(admin, "later", Clearance::confidential);
  REQUIRE(connect_as(pki.device(admin, soon))->authenticate().has_auth_ok());
  REQUIRE(connect_as(pki.device(admin, later))->authenticate().has_auth_ok());
  CHECK(gauge(relay, "gchat_user_certificates_expiring_30d", "1") == "1");
  CHECK(gauge(relay, "gchat_admin_chains_expiring_30d", "0") == "0");

  // An administrator whose certificate ends in a week acts: the relay now knows that chain.
  auto leaving = pki.admin(moi, "admin2");
  set_validity(leaving.body.mutable_validity(), pki.from, pki.now + 7 * kDay);
  *leaving.chain.mutable_admin() =
      identity::make_signed(identity::SignedKind::admin_certificate, leaving.body, moi.key);
  v1::AdminAct act;
  act.mutable_list_users();
  act.set_issued_at(static_cast<std::int64_t>(std::time(nullptr)));
  act.set_nonce(1);
  pb::ClientFrame f;
  *f.mutable_submit_admin_act()->mutable_admin() = leaving.chain;
  *f.mutable_submit_admin_act()->mutable_act() =
      identity::make_signed(identity::SignedKind::admin_act, act, leaving.key);
  REQUIRE(RelayClient::connect(relay.port(), relay.ca_file())->request(f).has_admin_act_ok());
  CHECK(gauge(relay, "gchat_admin_chains_expiring_30d", "1") == "1");

  // A revoked person no longer counts.
  v1::AdminAct revoke;
  revoke.mutable_revoke_user()->set_agency_id("moi");
  revoke.mutable_revoke_user()->set_user_id("soon");
  revoke.set_issued_at(static_cast<std::int64_t>(std::time(nullptr)));
  revoke.set_nonce(2);
  *f.mutable_submit_admin_act()->mutable_admin() = admin.chain;
  *f.mutable_submit_admin_act()->mutable_act() =
      identity::make_signed(identity::SignedKind::admin_act, revoke, admin.key);
  REQUIRE(RelayClient::connect(relay.port(), relay.ca_file())->request(f).has_admin_act_ok());
  CHECK(gauge(relay, "gchat_user_certificates_expiring_30d", "0") == "0");
}
